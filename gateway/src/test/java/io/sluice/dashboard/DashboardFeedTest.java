package io.sluice.dashboard;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.sluice.admin.NodeStats.TopicStreams;
import io.sluice.dashboard.DashboardFeed.Totals;
import io.sluice.presence.PresenceHub;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DashboardFeedTest {

    @Test
    void firstSampleHasNoRatesAndLaterOnesDivideByElapsedTime() {
        Totals first = new Totals(3, 100, 1000, 1, Double.NaN, Double.NaN, List.of(), List.of(), 5, 2048, 10);
        String alone = new String(DashboardFeed.frame(5000, first, null, 0), StandardCharsets.UTF_8);
        assertEquals("event: sample\ndata: {\"time\":5000,\"connections\":3,\"slowConsumerDisconnects\":1,"
                + "\"topics\":5,\"historyBytes\":2048,\"topTopics\":[],\"presence\":[]}\n\n", alone);

        Totals second = new Totals(4, 300, 1800, 2, 1.5, 12.25,
                List.of(new TopicStreams("news", 3), new TopicStreams("user/a", 1)),
                List.of(new PresenceHub.TopicPresence("rooms/1", 3, 2, 1)), 6, 4096, 14);
        String next = new String(DashboardFeed.frame(7000, second, first, 2.0), StandardCharsets.UTF_8);
        assertEquals("event: sample\ndata: {\"time\":7000,\"connections\":4,\"slowConsumerDisconnects\":2,"
                + "\"topics\":6,\"historyBytes\":4096,"
                + "\"publishRate\":100.0,\"deliveryRate\":400.0,\"slowConsumerRate\":0.5,"
                + "\"historyEvictionByBytesRate\":2.0,\"latencyP50Ms\":1.5,"
                + "\"latencyP99Ms\":12.25,\"topTopics\":[{\"topic\":\"news\",\"streams\":3},"
                + "{\"topic\":\"user/a\",\"streams\":1}],\"presence\":[{\"topic\":\"rooms/1\",\"connections\":3,"
                + "\"users\":2,\"anonymous\":1}]}\n\n", next);
    }

    @Test
    void aTopicNameIsJsonEscapedAndStaysOnOneDataLine() {
        Totals t = new Totals(0, 0, 0, 0, Double.NaN, Double.NaN, List.of(new TopicStreams("a\"b", 1)), List.of(),
                0, 0, 0);
        String frame = new String(DashboardFeed.frame(1, t, null, 0), StandardCharsets.UTF_8);
        assertTrue(frame.contains("{\"topic\":\"a\\\"b\",\"streams\":1}"), frame);
        assertFalse(frame.substring(0, frame.length() - 2).substring("event: sample\n".length()).contains("\n"));
    }

    /** A viewer whose socket stopped draining skips samples (no queue grows) and gets them again once it drains. */
    @Test
    void viewerAboveItsWatermarkSkipsSamplesUntilItDrains() {
        ChannelHandlerContext[] ctx = new ChannelHandlerContext[1];
        EmbeddedChannel viewer = new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext c) {
                ctx[0] = c;
            }
        });
        DashboardFeed feed = new DashboardFeed(viewer.eventLoop(),
                watched -> new Totals(1, 0, 0, 0, Double.NaN, Double.NaN, List.of(), List.of(), 0, 0, 0));
        try {
            viewer.runScheduledPendingTasks();
            DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
            feed.open(ctx[0], request);
            request.release();
            assertEquals(2, samplesWritten(viewer), "the head, then the window of one sample");

            viewer.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
            tick(viewer, 3);
            assertEquals(0, samplesWritten(viewer), "nothing for a viewer above its high watermark");

            viewer.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
            tick(viewer, 1);
            assertEquals(1, samplesWritten(viewer));
        } finally {
            feed.close();
            viewer.runPendingTasks();
            viewer.finishAndReleaseAll();
        }
    }

    private static void tick(EmbeddedChannel channel, int seconds) {
        for (int i = 0; i < seconds; i++) {
            channel.advanceTimeBy(1, TimeUnit.SECONDS);
            channel.runScheduledPendingTasks();
            channel.runPendingTasks();
        }
    }

    /** Messages written since the last call (the response head and sample frames), released. */
    private static int samplesWritten(EmbeddedChannel channel) {
        channel.runPendingTasks();
        int n = 0;
        Object o;
        while ((o = channel.readOutbound()) != null) {
            assertTrue(o instanceof HttpResponse || o instanceof HttpContent, String.valueOf(o));
            ReferenceCountUtil.release(o);
            n++;
        }
        return n;
    }
}
