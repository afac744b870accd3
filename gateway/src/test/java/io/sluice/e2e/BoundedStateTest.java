package io.sluice.e2e;

import io.sluice.testing.Await;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.PrometheusText;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.sluice.e2e.PublishTestSupport.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CONTRACT §10 through real sockets: topics that streams and snapshots invent leave nothing behind, history stays
 * within {@code historyMaxBytes} however many topics are published to, a resume from an evicted event is told
 * {@code reset}, and the metrics say so.
 */
class BoundedStateTest {
    /** Forgetting runs every 15 s: a topic is gone within that and a second of maintenance. */
    private static final Duration FORGOTTEN = Duration.ofSeconds(30);
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private GatewayFixture start(String... flags) {
        GatewayFixture gateway = GatewayFixture.start(flags);
        resources.add(gateway);
        return gateway;
    }

    private static PrometheusText scrape(GatewayFixture gateway) {
        return PrometheusText.parse(HttpTestClient.get(GatewayFixture.HOST, gateway.managementPort(), "/metrics").body());
    }

    @Test
    void streamsAndSnapshotsThatNameInventedTopicsLeaveNothingBehind() {
        GatewayFixture gateway = start("--max-connections-per-user=1000");
        for (int round = 0; round < 10; round++) {
            List<SseTestClient> streams = new ArrayList<>();
            for (int s = 0; s < 20; s++) {
                StringBuilder query = new StringBuilder();
                for (int t = 0; t < 8; t++) {
                    query.append(t == 0 ? "" : "&").append("topic=invented/").append(round).append('/').append(s)
                            .append('/').append(t);
                }
                SseTestClient stream = gateway.stream("/v1/events/stream?" + query, Map.of());
                streams.add(stream);
                stream.awaitEvent(e -> "connected".equals(e.type()), WAIT);
            }
            for (SseTestClient stream : streams) {
                stream.close();
            }
        }
        RawResponse snapshot = HttpTestClient.get(GatewayFixture.HOST, gateway.port(),
                "/v1/events?topic=never/published&topic=nor/this");
        assertEquals(200, snapshot.status(), snapshot::toString);
        Await.until(() -> gateway.server().openConnections() == 0, WAIT, "every stream closed");
        assertTrue(gateway.server().fanout().topics().size() > 0, "the streams' topics existed while they were open");

        Await.until(() -> gateway.server().fanout().topics().size() == 0, FORGOTTEN,
                "1,600 invented topics forgotten once their streams closed");
        assertEquals(0, scrape(gateway).value("sluice_topics"));
    }

    @Test
    void historyStaysWithinItsByteBudgetAcrossTopicsAndAResumeFromAnEvictedEventIsReset() {
        GatewayFixture gateway = start("--history-max-bytes=1MiB");
        String data = "\"" + "x".repeat(60 * 1024) + "\"";
        String first = null;
        for (int i = 0; i < 60; i++) {
            RawResponse r = gateway.publishJson("{\"topic\":\"jobs/" + i + "\",\"data\":" + data + "}");
            assertEquals(200, r.status(), r::toString);
            if (first == null) {
                first = r.body().substring("{\"ids\":[\"".length(), r.body().indexOf('"', "{\"ids\":[\"".length()));
            }
        }
        PrometheusText metrics = scrape(gateway);
        assertTrue(metrics.value("sluice_history_bytes") <= 1024 * 1024, () -> "history bytes "
                + metrics.value("sluice_history_bytes"));
        assertTrue(metrics.value("sluice_history_bytes") > 900 * 1024, "the budget is used, not wasted");
        assertTrue(metrics.value("sluice_history_evictions_total", "reason", "bytes") >= 40);
        assertEquals(0, metrics.value("sluice_history_evictions_total", "reason", "age"));

        try (SseTestClient resumed = gateway.stream("/v1/events/stream?topic=jobs/0",
                Map.of("Last-Event-ID", Long.toString(Long.parseLong(first) - 1)))) {
            SseEvent reset = resumed.awaitEvent(e -> !"connected".equals(e.type()), WAIT);
            assertEquals("reset", reset.type(), reset::toString);
        }
    }
}
