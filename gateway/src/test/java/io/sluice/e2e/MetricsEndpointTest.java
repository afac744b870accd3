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

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static io.sluice.e2e.StreamTestSupport.WAIT;
import static io.sluice.e2e.StreamTestSupport.closeAll;
import static io.sluice.e2e.StreamTestSupport.openStream;
import static io.sluice.e2e.StreamTestSupport.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /metrics} on the management listener (CONTRACT §8) against a real gateway over real sockets: every
 * required name with its Prometheus type, the values following real traffic, and only low-cardinality labels.
 */
class MetricsEndpointTest {
    /** The metric families of CONTRACT §8, with the type Prometheus must see. */
    private static final Map<String, String> CONTRACT_TYPES = new LinkedHashMap<>();

    static {
        CONTRACT_TYPES.put("sluice_connections", "gauge");
        CONTRACT_TYPES.put("sluice_connections_rejected_total", "counter");
        CONTRACT_TYPES.put("sluice_events_published_total", "counter");
        CONTRACT_TYPES.put("sluice_events_delivered_total", "counter");
        CONTRACT_TYPES.put("sluice_slow_consumer_disconnects_total", "counter");
        CONTRACT_TYPES.put("sluice_replayed_events_total", "counter");
        CONTRACT_TYPES.put("sluice_delivery_latency_seconds", "histogram");
        CONTRACT_TYPES.put("sluice_backplane_up", "gauge");
    }

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void close() {
        closeAll(resources);
    }

    private GatewayFixture start(String... flags) {
        GatewayFixture gateway = GatewayFixture.start(flags);
        resources.add(gateway);
        return gateway;
    }

    private static PrometheusText scrape(GatewayFixture gateway) {
        RawResponse r = HttpTestClient.get(GatewayFixture.HOST, gateway.managementPort(), "/metrics");
        assertEquals(200, r.status(), r::body);
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.header("Content-Type"));
        return PrometheusText.parse(r.body());
    }

    @Test
    void everyContractMetricIsExportedWithItsTypeAlongsideTheNodeAndJvmMeters() {
        GatewayFixture gateway = start("--max-connections=1234", "--event-loop-threads=3");
        PrometheusText metrics = scrape(gateway);

        CONTRACT_TYPES.forEach((family, type) -> assertEquals(type, metrics.type(family), family));
        Map<String, String> nodeTypes = Map.ofEntries(
                Map.entry("sluice_connections_max", "gauge"),
                Map.entry("sluice_ready", "gauge"),
                Map.entry("sluice_topics", "gauge"),
                Map.entry("sluice_history_events", "gauge"),
                Map.entry("sluice_event_loop_pending_tasks", "gauge"),
                Map.entry("sluice_publishes_refused_total", "counter"),
                Map.entry("sluice_publish_request_duration_seconds", "histogram"),
                Map.entry("netty_allocator_memory_used_bytes", "gauge"),
                Map.entry("jvm_memory_used_bytes", "gauge"),
                Map.entry("jvm_threads_live_threads", "gauge"),
                Map.entry("jvm_classes_loaded_classes", "gauge"),
                Map.entry("jvm_gc_memory_allocated_bytes_total", "counter"),
                Map.entry("process_cpu_usage", "gauge"),
                Map.entry("process_uptime_seconds", "gauge"),
                Map.entry("process_files_open_files", "gauge"));
        nodeTypes.forEach((family, type) -> assertEquals(type, metrics.type(family), family));

        assertEquals(0, metrics.value("sluice_connections"));
        assertEquals(1234, metrics.value("sluice_connections_max"));
        assertEquals(1, metrics.value("sluice_backplane_up"), "the local backplane is always up");
        assertEquals(1, metrics.value("sluice_ready"));
        for (String reason : List.of("max_connections", "max_connections_per_user", "unauthorized", "forbidden",
                "too_many_topics", "invalid_request", "not_ready")) {
            assertEquals(0, metrics.value("sluice_connections_rejected_total", "reason", reason),
                    "pre-registered at 0: " + reason);
        }
        for (String loop : List.of("0", "1", "2")) {
            assertTrue(metrics.value("sluice_event_loop_pending_tasks", "loop", loop) >= 0, "loop " + loop);
        }
        assertEquals(3, metrics.samples().stream().filter(s -> s.name().equals("sluice_event_loop_pending_tasks")).count(),
                "one series per stream event loop");
        assertTrue(metrics.value("netty_allocator_memory_used_bytes", "memory_type", "direct") >= 0);
        assertTrue(metrics.samples().stream().anyMatch(s -> s.name().equals("jvm_memory_used_bytes")
                && "heap".equals(s.labels().get("area"))), "heap pools in jvm_memory_used_bytes");
        assertEquals(0, metrics.value("sluice_delivery_latency_seconds_count"));
        assertEquals(0, metrics.value("sluice_delivery_latency_seconds_bucket", "le", "+Inf"));
    }

    @Test
    void publishedDeliveredLatencyAndReplayFollowRealTraffic() {
        GatewayFixture gateway = start();
        PrometheusText before = scrape(gateway);
        SseTestClient stream = openStream(gateway, "topic=orders", Map.of(), resources);
        Await.until(() -> scrape(gateway).value("sluice_connections") == 1, WAIT, "sluice_connections 1");

        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(publish(gateway, "orders", null, "{\"n\":" + i + "}"));
        }
        List<SseEvent> received = stream.awaitEvents(3, WAIT);
        assertEquals(ids, received.stream().map(SseEvent::id).toList());

        // delivery is counted after the drain's flush: the client may read the frames a moment earlier
        Await.until(() -> scrape(gateway).value("sluice_events_delivered_total") == 3, WAIT, "3 events delivered");
        PrometheusText after = scrape(gateway);
        assertEquals(3, after.value("sluice_events_published_total") - before.value("sluice_events_published_total"));
        assertEquals(3, after.value("sluice_events_delivered_total") - before.value("sluice_events_delivered_total"));
        assertEquals(3, after.value("sluice_delivery_latency_seconds_count"),
                "one latency sample per event on the one loop that delivered it");
        assertEquals(3, after.value("sluice_delivery_latency_seconds_bucket", "le", "+Inf"));
        assertTrue(after.value("sluice_delivery_latency_seconds_sum") > 0);
        assertEquals(3, after.value("sluice_publish_request_duration_seconds_count", "outcome", "accepted"));
        assertEquals(0, after.value("sluice_publish_request_duration_seconds_count", "outcome", "refused"));
        Await.until(() -> scrape(gateway).value("sluice_history_events") == 3, WAIT,
                "3 events in history (sampled every second)");
        assertEquals(0, after.value("sluice_replayed_events_total"));

        SseTestClient resumed = openStream(gateway, "topic=orders", Map.of("Last-Event-ID", ids.get(0)), resources);
        assertEquals(ids.subList(1, 3), resumed.awaitEvents(2, WAIT).stream().map(SseEvent::id).toList());
        Await.until(() -> scrape(gateway).value("sluice_replayed_events_total") == 2, WAIT, "2 events replayed");
        assertEquals(2, scrape(gateway).value("sluice_connections"));

        stream.close();
        resumed.close();
        Await.until(() -> scrape(gateway).value("sluice_connections") == 0, WAIT, "sluice_connections back to 0");
    }

    @Test
    void labelsNeverCarryATopicOrAUser() {
        GatewayFixture gateway = start();
        openStream(gateway, "topic=secret-topic-4711", Map.of(), resources);
        publish(gateway, "secret-topic-4711", "secret-type-4711", "{}");
        Await.until(() -> scrape(gateway).value("sluice_events_delivered_total") == 1, WAIT, "the event delivered");

        PrometheusText metrics = scrape(gateway);
        Set<String> sluiceLabels = new TreeSet<>();
        for (PrometheusText.Sample s : metrics.samples()) {
            for (String value : s.labels().values()) {
                assertFalse(value.contains("4711"), () -> "a label carries a topic or type: " + s);
            }
            if (s.name().startsWith("sluice_") || s.name().startsWith("netty_")) {
                sluiceLabels.addAll(s.labels().keySet());
            }
        }
        assertEquals(Set.of("le", "loop", "memory_type", "outcome", "reason"), sluiceLabels);
    }

    @Test
    void metricsAndStatsAreServedOnTheManagementPortOnly() {
        GatewayFixture gateway = start();
        assertEquals(404, HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/metrics").status());
        assertEquals(404, HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/v1/stats").status());
        assertEquals(200, HttpTestClient.get(GatewayFixture.HOST, gateway.managementPort(), "/healthz").status());
        assertEquals(200, HttpTestClient.get(GatewayFixture.HOST, gateway.managementPort(), "/readyz").status());
        RawResponse post = HttpTestClient.post(GatewayFixture.HOST, gateway.managementPort(), "/metrics", "text/plain", "");
        assertEquals(405, post.status(), post::body);
    }
}
