package io.sluice.dashboard;

import io.sluice.dashboard.DashboardFeed.Totals;
import io.sluice.metrics.NodeStats.TopicStreams;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DashboardFeedTest {

    @Test
    void firstSampleHasNoRatesAndLaterOnesDivideByElapsedTime() {
        Totals first = new Totals(3, 100, 1000, 1, Double.NaN, Double.NaN, List.of());
        String alone = new String(DashboardFeed.frame(5000, first, null, 0), StandardCharsets.UTF_8);
        assertEquals("event: sample\ndata: {\"time\":5000,\"connections\":3,\"slowConsumerDisconnects\":1,"
                + "\"topTopics\":[]}\n\n", alone);

        Totals second = new Totals(4, 300, 1800, 2, 1.5, 12.25,
                List.of(new TopicStreams("news", 3), new TopicStreams("user/a", 1)));
        String next = new String(DashboardFeed.frame(7000, second, first, 2.0), StandardCharsets.UTF_8);
        assertEquals("event: sample\ndata: {\"time\":7000,\"connections\":4,\"slowConsumerDisconnects\":2,"
                + "\"publishRate\":100.0,\"deliveryRate\":400.0,\"slowConsumerRate\":0.5,\"latencyP50Ms\":1.5,"
                + "\"latencyP99Ms\":12.25,\"topTopics\":[{\"topic\":\"news\",\"streams\":3},"
                + "{\"topic\":\"user/a\",\"streams\":1}]}\n\n", next);
    }

    @Test
    void aTopicNameIsJsonEscapedAndStaysOnOneDataLine() {
        Totals t = new Totals(0, 0, 0, 0, Double.NaN, Double.NaN, List.of(new TopicStreams("a\"b", 1)));
        String frame = new String(DashboardFeed.frame(1, t, null, 0), StandardCharsets.UTF_8);
        assertTrue(frame.contains("{\"topic\":\"a\\\"b\",\"streams\":1}"), frame);
        assertFalse(frame.substring(0, frame.length() - 2).substring("event: sample\n".length()).contains("\n"));
    }
}
