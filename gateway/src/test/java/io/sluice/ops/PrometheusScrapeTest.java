package io.sluice.ops;

import io.sluice.testing.Await;
import io.sluice.testing.ExternalTool;
import io.sluice.testing.FreePort;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.JsonTree;
import io.sluice.testing.RawResponse;
import io.sluice.testing.RepoFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real Prometheus (Debian's {@code prometheus}) scrapes a real gateway: its own generated configuration
 * (1 s scrape of the gateway's management port on loopback, the rules of ops/prometheus loaded), its own data
 * directory, its own loopback port. Events published to the gateway are read back through Prometheus's query
 * API, and every alert rule evaluates cleanly against the real series without firing.
 */
class PrometheusScrapeTest {
    private static final Duration START_DEADLINE = Duration.ofSeconds(60);
    private static final Duration SCRAPE_DEADLINE = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private GatewayFixture gateway;
    private Process prometheus;
    private int prometheusPort;

    @AfterEach
    void stop() throws InterruptedException {
        if (prometheus != null) {
            prometheus.destroy();
            if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (gateway != null) {
            gateway.close();
        }
        // @TempDir deletes the configuration and the data directory once the process is gone
    }

    @Test
    void prometheusScrapesTheGatewayAndReadsPublishedEventsBack() throws IOException {
        Path binary = ExternalTool.require("prometheus", "prometheus");
        gateway = GatewayFixture.start();
        startPrometheus(binary, gateway.managementPort());

        Await.until(() -> queryValue("up{job=\"sluice\"}") == 1.0, SCRAPE_DEADLINE,
                () -> "the gateway scraped (up == 1); " + diagnostics());
        for (int i = 0; i < 3; i++) {
            RawResponse r = gateway.publishJson("{\"topic\":\"prom\",\"data\":{\"n\":" + i + "}}");
            assertEquals(200, r.status(), r::body);
        }
        Await.until(() -> queryValue("sluice_events_published_total{job=\"sluice\"}") == 3.0, SCRAPE_DEADLINE,
                () -> "sluice_events_published_total == 3 through the query API; " + diagnostics());

        // every rule of ops/prometheus/sluice-alerts.yml evaluated against the real series without an error
        Await.until(this::everyRuleEvaluatedOk, SCRAPE_DEADLINE, () -> "every rule healthy; " + rules());
        Map<String, Object> alerts = JsonTree.object(prometheusGet("/api/v1/alerts").body());
        assertEquals(List.of(), ((Map<?, ?>) alerts.get("data")).get("alerts"), "no alert on a healthy gateway");
    }

    private void startPrometheus(Path binary, int managementPort) throws IOException {
        prometheusPort = FreePort.find();
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, String.join("\n",
                "global:",
                "  scrape_interval: 1s",
                "  scrape_timeout: 1s",
                "  evaluation_interval: 1s",
                "rule_files:",
                "  - '" + RepoFiles.file("ops/prometheus/sluice-alerts.yml") + "'",
                "scrape_configs:",
                "  - job_name: sluice",
                "    static_configs:",
                "      - targets: ['127.0.0.1:" + managementPort + "']",
                ""));
        prometheus = new ProcessBuilder(binary.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + prometheusPort,
                "--log.level=info")
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("prometheus.log").toFile())
                .start();
        Await.until(() -> {
            assertTrue(prometheus.isAlive(), () -> "prometheus exited: " + log());
            return ready();
        }, START_DEADLINE, () -> "prometheus ready on 127.0.0.1:" + prometheusPort + "; " + log());
    }

    private boolean ready() {
        try {
            return prometheusGet("/-/ready").status() == 200;
        } catch (UncheckedIOException notListeningYet) {
            return false;
        }
    }

    private RawResponse prometheusGet(String pathAndQuery) {
        return HttpTestClient.get("127.0.0.1", prometheusPort, pathAndQuery);
    }

    /** The single sample's value of an instant query, or NaN when the result is empty. */
    private double queryValue(String promql) {
        RawResponse r = prometheusGet("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        assertEquals(200, r.status(), r::body);
        Map<String, Object> body = JsonTree.object(r.body());
        assertEquals("success", body.get("status"), r.body());
        List<?> result = (List<?>) ((Map<?, ?>) body.get("data")).get("result");
        if (result.isEmpty()) {
            return Double.NaN;
        }
        assertEquals(1, result.size(), r.body());
        List<?> value = (List<?>) ((Map<?, ?>) result.get(0)).get("value");
        return Double.parseDouble((String) value.get(1));
    }

    private boolean everyRuleEvaluatedOk() {
        Map<String, Object> body = JsonTree.object(rules());
        int rules = 0;
        for (Object group : (List<?>) ((Map<?, ?>) body.get("data")).get("groups")) {
            for (Object rule : (List<?>) ((Map<?, ?>) group).get("rules")) {
                rules++;
                if (!"ok".equals(((Map<?, ?>) rule).get("health"))) {
                    return false;
                }
            }
        }
        return rules == 8;
    }

    private String rules() {
        return prometheusGet("/api/v1/rules").body();
    }

    private String diagnostics() {
        return "targets: " + prometheusGet("/api/v1/targets").body() + "; log: " + log();
    }

    private String log() {
        try {
            String text = Files.readString(dir.resolve("prometheus.log"));
            return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
