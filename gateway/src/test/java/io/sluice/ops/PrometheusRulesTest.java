package io.sluice.ops;

import io.sluice.testing.ExternalTool;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.PrometheusText;
import io.sluice.testing.RepoFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ops/prometheus as Prometheus itself reads it: {@code promtool check config}, {@code check rules} and
 * {@code test rules} (the unit tests of the alerts in sluice-alerts.test.yml), plus that each alert's runbook
 * exists in docs/operations.md and each metric a rule uses is one the gateway exports.
 */
class PrometheusRulesTest {
    private static final Duration PROMTOOL_TIMEOUT = Duration.ofSeconds(60);
    private static final List<String> ALERTS = List.of("SluiceInstanceDown", "SluiceBackplaneDown",
            "SluiceConnectionsNearLimit", "SluiceSlowConsumerDisconnects", "SluiceDeliveryLatencyHigh",
            "SluiceReadinessFlapping", "SluiceNotReady", "SluiceHistoryBudgetTooSmall");
    private static final Pattern ALERT = Pattern.compile("^\\s*- alert: (\\w+)\\s*$", Pattern.MULTILINE);
    private static final Pattern RUNBOOK = Pattern.compile("runbook: 'docs/operations\\.md#([a-z0-9-]+)'");
    private static final Pattern EXPR = Pattern.compile("expr: (>\\n(?:\\s{10,}.*\\n)+|.*)");
    private static final Pattern METRIC = Pattern.compile("\\b(?:sluice|jvm|netty|process)_[a-zA-Z0-9_]+");

    @TempDir
    Path dir;

    private static Path promtool() {
        return ExternalTool.require("promtool", "prometheus");
    }

    private static ExternalTool.Result promtool(Path workDir, String... args) {
        List<String> command = new ArrayList<>(List.of(promtool().toString()));
        command.addAll(List.of(args));
        return ExternalTool.run(workDir, PROMTOOL_TIMEOUT, command.toArray(new String[0]));
    }

    @Test
    void scrapeConfigIsValidAndLoadsTheRules() {
        Path config = RepoFiles.file("ops/prometheus/prometheus.yml");
        ExternalTool.Result r = promtool(config.getParent(), "check", "config", config.toString());
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("1 rule files found"), r.output());
    }

    @Test
    void rulesAreValidAndAreTheDocumentedAlerts() throws IOException {
        Path rules = RepoFiles.file("ops/prometheus/sluice-alerts.yml");
        ExternalTool.Result r = promtool(rules.getParent(), "check", "rules", rules.toString());
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains(ALERTS.size() + " rules found"), r.output());
        List<String> names = new ArrayList<>();
        Matcher m = ALERT.matcher(Files.readString(rules));
        while (m.find()) {
            names.add(m.group(1));
        }
        assertEquals(ALERTS, names);
    }

    @Test
    void alertUnitTestsPass() {
        Path tests = RepoFiles.file("ops/prometheus/sluice-alerts.test.yml");
        ExternalTool.Result r = promtool(tests.getParent(), "test", "rules", tests.toString());
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("SUCCESS"), r.output());
    }

    /** The checks above can fail: promtool rejects a broken rule and a unit test whose expectation is wrong. */
    @Test
    void promtoolRejectsABrokenRuleAndAWrongExpectation() throws IOException {
        String rules = Files.readString(RepoFiles.file("ops/prometheus/sluice-alerts.yml"));
        String tests = Files.readString(RepoFiles.file("ops/prometheus/sluice-alerts.test.yml"));

        Files.writeString(dir.resolve("sluice-alerts.yml"), rules.replace("> 0.9", "> "));
        ExternalTool.Result broken = promtool(dir, "check", "rules", dir.resolve("sluice-alerts.yml").toString());
        assertNotEquals(0, broken.exitCode(), broken.output());

        Files.writeString(dir.resolve("sluice-alerts.yml"), rules);
        assertTrue(tests.contains("instance: full:9090"));
        Files.writeString(dir.resolve("sluice-alerts.test.yml"), tests.replace("instance: full:9090", "instance: half:9090"));
        ExternalTool.Result wrong = promtool(dir, "test", "rules", dir.resolve("sluice-alerts.test.yml").toString());
        assertNotEquals(0, wrong.exitCode(), wrong.output());
    }

    @Test
    void everyAlertHasARunbookSectionInTheOperationsGuide() throws IOException {
        String rules = Files.readString(RepoFiles.file("ops/prometheus/sluice-alerts.yml"));
        Set<String> anchors = new TreeSet<>();
        for (String line : Files.readAllLines(RepoFiles.file("docs/operations.md"), StandardCharsets.UTF_8)) {
            if (line.startsWith("#")) {
                anchors.add(line.replaceFirst("^#+\\s*", "").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 -]", "")
                        .replace(' ', '-'));
            }
        }
        List<String> runbooks = new ArrayList<>();
        Matcher m = RUNBOOK.matcher(rules);
        while (m.find()) {
            runbooks.add(m.group(1));
            assertTrue(anchors.contains(m.group(1)), () -> "docs/operations.md has no heading for #" + m.group(1));
        }
        assertEquals(ALERTS.stream().map(a -> a.toLowerCase(Locale.ROOT)).toList(), runbooks);
    }

    @Test
    void everyMetricTheRulesUseIsExported() throws IOException {
        String rules = Files.readString(RepoFiles.file("ops/prometheus/sluice-alerts.yml"));
        Set<String> used = new TreeSet<>();
        Matcher e = EXPR.matcher(rules);
        while (e.find()) {
            Matcher m = METRIC.matcher(e.group(1));
            while (m.find()) {
                used.add(m.group());
            }
        }
        assertTrue(used.containsAll(Set.of("sluice_backplane_up", "sluice_connections", "sluice_connections_max",
                "sluice_slow_consumer_disconnects_total", "sluice_delivery_latency_seconds_bucket", "sluice_ready")),
                used::toString);
        try (GatewayFixture gateway = GatewayFixture.start()) {
            Set<String> exported = PrometheusText.parse(
                    HttpTestClient.get(GatewayFixture.HOST, gateway.managementPort(), "/metrics").body()).sampleNames();
            Set<String> missing = new TreeSet<>(used);
            missing.removeAll(exported);
            assertEquals(Set.of(), missing, "metrics the alert rules use that the gateway does not export");
        }
    }
}
