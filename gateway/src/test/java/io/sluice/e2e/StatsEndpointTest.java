package io.sluice.e2e;

import io.sluice.testing.Await;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.JsonTree;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.sluice.e2e.StreamTestSupport.WAIT;
import static io.sluice.e2e.StreamTestSupport.closeAll;
import static io.sluice.e2e.StreamTestSupport.openStream;
import static io.sluice.e2e.StreamTestSupport.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /v1/stats} on the management listener (CONTRACT §8) against a real gateway: the JSON shape, live
 * counts, rates over the sampler's window, and the top topics by streams.
 */
class StatsEndpointTest {
    private static final List<String> KEYS = List.of("connections", "topics", "publishRate", "deliveryRate",
            "slowConsumerDisconnects", "historyEvents", "rateWindowSeconds", "topTopics");

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void close() {
        closeAll(resources);
    }

    private static Map<String, Object> stats(GatewayFixture gateway) {
        RawResponse r = HttpTestClient.get(GatewayFixture.HOST, gateway.managementPort(), "/v1/stats");
        assertEquals(200, r.status(), r::body);
        assertEquals("application/json", r.header("Content-Type"));
        Map<String, Object> stats = JsonTree.object(r.body());
        assertEquals(KEYS, List.copyOf(stats.keySet()), r.body());
        return stats;
    }

    private static double number(Map<String, Object> stats, String key) {
        return ((Number) stats.get(key)).doubleValue();
    }

    @Test
    void anIdleNodeReportsZerosAndNoTopTopics() {
        GatewayFixture gateway = GatewayFixture.start();
        resources.add(gateway);
        Map<String, Object> stats = stats(gateway);
        assertEquals(0L, stats.get("connections"));
        assertEquals(0L, stats.get("topics"));
        assertEquals(0.0, number(stats, "publishRate"));
        assertEquals(0.0, number(stats, "deliveryRate"));
        assertEquals(0L, stats.get("slowConsumerDisconnects"));
        assertEquals(List.of(), stats.get("topTopics"));
    }

    @Test
    void countsRatesAndTheTenTopicsWithMostStreams() {
        GatewayFixture gateway = GatewayFixture.start();
        resources.add(gateway);
        // stream i subscribes to t00..t<i>: topic tk then has 12 - k streams
        List<SseTestClient> streams = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            StringBuilder query = new StringBuilder();
            for (int k = 0; k <= i; k++) {
                query.append(k == 0 ? "" : "&").append("topic=").append(topicName(k));
            }
            streams.add(openStream(gateway, query.toString(), Map.of(), resources));
        }
        for (int i = 0; i < 5; i++) {
            publish(gateway, topicName(0), null, "{\"n\":" + i + "}");
        }
        for (SseTestClient stream : streams) {
            stream.awaitEvents(5, WAIT);
        }

        List<Map<String, Object>> expectedTop = new ArrayList<>();
        for (int k = 0; k < 10; k++) {
            expectedTop.add(Map.of("topic", topicName(k), "streams", (long) (12 - k)));
        }
        // the rates cover the last ten seconds: once a sample follows the publishes, rate × window is the count
        Await.until(() -> {
            Map<String, Object> s = stats(gateway);
            double window = number(s, "rateWindowSeconds");
            return Math.abs(number(s, "publishRate") * window - 5) < 0.05
                    && Math.abs(number(s, "deliveryRate") * window - 60) < 0.5
                    && expectedTop.equals(s.get("topTopics")) && number(s, "historyEvents") == 5;
        }, WAIT, () -> "5 published, 60 delivered over the window, top ten topics, 5 in history: " + stats(gateway));

        Map<String, Object> stats = stats(gateway);
        assertEquals(12L, stats.get("connections"));
        assertEquals(13L, stats.get("topics"), "t00..t11 and broadcast");
        assertEquals(0L, stats.get("slowConsumerDisconnects"));
        assertTrue(number(stats, "rateWindowSeconds") > 0 && number(stats, "rateWindowSeconds") <= 11, stats::toString);

        for (SseTestClient stream : streams) {
            stream.close();
        }
        Await.until(() -> ((Long) stats(gateway).get("connections")) == 0, WAIT, "connections back to 0");
        Await.until(() -> List.of().equals(stats(gateway).get("topTopics")), WAIT, "no topic with streams");
    }

    private static String topicName(int k) {
        return String.format("t%02d", k);
    }
}
