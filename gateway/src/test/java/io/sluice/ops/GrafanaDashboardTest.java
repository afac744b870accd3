package io.sluice.ops;

import io.sluice.testing.Await;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.JsonTree;
import io.sluice.testing.PrometheusText;
import io.sluice.testing.RawResponse;
import io.sluice.testing.RepoFiles;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ops/grafana/sluice-dashboard.json is built only on metrics the gateway exports: every metric name in every
 * query of the dashboard is a series of a real gateway's {@code /metrics} after a publish and a stream (so the
 * histogram series exist), and the dashboard covers what an operator watches.
 */
class GrafanaDashboardTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Pattern METRIC = Pattern.compile("\\b(?:sluice|jvm|netty|process|system)_[a-zA-Z0-9_]+");

    @Test
    void everyMetricTheDashboardQueriesIsExportedByTheGateway() throws IOException {
        Map<String, Object> dashboard = JsonTree.object(Files.readString(RepoFiles.file("ops/grafana/sluice-dashboard.json")));
        List<String> queries = new ArrayList<>();
        collectQueries(dashboard, queries);
        Set<String> referenced = new TreeSet<>();
        for (String query : queries) {
            Matcher m = METRIC.matcher(query);
            while (m.find()) {
                referenced.add(m.group());
            }
        }
        assertTrue(referenced.containsAll(Set.of("sluice_connections", "sluice_events_published_total",
                "sluice_events_delivered_total", "sluice_slow_consumer_disconnects_total",
                "sluice_delivery_latency_seconds_bucket", "sluice_connections_rejected_total", "jvm_memory_used_bytes",
                "netty_allocator_memory_used_bytes", "sluice_event_loop_pending_tasks")),
                () -> "the dashboard lacks a required panel; it references " + referenced);
        assertTrue(queries.stream().anyMatch(q -> q.contains("histogram_quantile(0.5,")), "a p50 panel");
        assertTrue(queries.stream().anyMatch(q -> q.contains("histogram_quantile(0.99,")), "a p99 panel");

        Set<String> exported;
        try (GatewayFixture gateway = GatewayFixture.start();
             SseTestClient stream = gateway.stream("/v1/events/stream?topic=dash", Map.of())) {
            assertEquals(200, stream.status());
            stream.awaitEvent(WAIT);
            RawResponse published = gateway.publishJson("{\"topic\":\"dash\",\"data\":1}");
            assertEquals(200, published.status(), published::body);
            stream.awaitEvent(WAIT);
            Await.until(() -> scrape(gateway).value("sluice_delivery_latency_seconds_count") == 1, WAIT,
                    "the delivery recorded");
            exported = scrape(gateway).sampleNames();
        }
        Set<String> missing = new TreeSet<>(referenced);
        missing.removeAll(exported);
        assertEquals(Set.of(), missing, "metrics the dashboard queries that the gateway does not export");
    }

    @Test
    void dashboardIsImportable() throws IOException {
        Map<String, Object> dashboard = JsonTree.object(Files.readString(RepoFiles.file("ops/grafana/sluice-dashboard.json")));
        assertEquals("sluice-gateway", dashboard.get("uid"));
        assertFalse(((String) dashboard.get("title")).isBlank());
        assertTrue(((Number) dashboard.get("schemaVersion")).intValue() >= 30);
        Set<Long> ids = new TreeSet<>();
        for (Object p : (List<?>) dashboard.get("panels")) {
            Map<?, ?> panel = (Map<?, ?>) p;
            assertTrue(ids.add((Long) panel.get("id")), () -> "duplicate panel id " + panel.get("id"));
            assertTrue(panel.containsKey("gridPos"), () -> "panel without gridPos: " + panel.get("title"));
            if (!"row".equals(panel.get("type"))) {
                assertEquals(Map.of("type", "prometheus", "uid", "${datasource}"), panel.get("datasource"),
                        () -> "panel " + panel.get("title") + " must use the dashboard's data source variable");
            }
        }
    }

    private static PrometheusText scrape(GatewayFixture gateway) {
        RawResponse r = HttpTestClient.get(GatewayFixture.HOST, gateway.managementPort(), "/metrics");
        assertEquals(200, r.status(), r::body);
        return PrometheusText.parse(r.body());
    }

    /** Every {@code expr} (panel targets) and templating {@code query} string, at any depth. */
    private static void collectQueries(Object node, List<String> out) {
        if (node instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (("expr".equals(e.getKey()) || "query".equals(e.getKey()) || "definition".equals(e.getKey()))
                        && e.getValue() instanceof String s) {
                    out.add(s);
                } else {
                    collectQueries(e.getValue(), out);
                }
            }
        } else if (node instanceof List<?> list) {
            list.forEach(item -> collectQueries(item, out));
        }
    }
}
