package io.sluice;

import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import io.sluice.http.AccessLogHandler;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.LogCapture;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The start-up warm-up ({@code warmup}): real streams and publishes run through the gateway's code before it listens,
 * and nothing of them is left for the node that serves clients: no topic, id, connection id, history, metric,
 * connection or access-log line. (Leaked buffers would fail the build: leak detection is paranoid.)
 */
class WarmupTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Pattern SUMMARY = Pattern.compile("warm-up: (\\d+) streams opened and closed, (\\d+) publishes,"
            + " \\d+ MiB streamed, (\\d+) access-log lines to no output, (\\d+) rehearsals of the listeners' bind in");

    @Test
    void warmsUpThenServesFromACleanSlate() {
        try (LogCapture access = LogCapture.of(AccessLogHandler.LOGGER_NAME);
             LogCapture serverLog = LogCapture.of(SluiceServer.class.getName());
             GatewayFixture gateway = GatewayFixture.start("--warmup=1s", "--access-log=text")) {
            String summary = serverLog.messages().stream().filter(m -> m.startsWith("warm-up:")).findFirst()
                    .orElseThrow(() -> new AssertionError("no warm-up line among " + serverLog.messages()));
            Matcher m = SUMMARY.matcher(summary);
            assertTrue(m.find(), summary);
            assertTrue(Integer.parseInt(m.group(1)) > 0, () -> "no stream opened: " + summary);
            assertTrue(Long.parseLong(m.group(2)) > 0, () -> "nothing published: " + summary);
            assertTrue(Long.parseLong(m.group(3)) >= Long.parseLong(m.group(2)),
                    () -> "every publish's access-log line took the logger's path to no output: " + summary);
            assertTrue(Integer.parseInt(m.group(4)) > 0, () -> "the listeners' bind was rehearsed: " + summary);
            assertTrue(summary.endsWith("; ended when the compiler went quiet)")
                    || summary.endsWith("; ended at the warmup budget)"), () -> "why it ended: " + summary);

            SluiceServer server = gateway.server();
            assertEquals(List.of(), access.messages(), "the warm-up's requests are never logged");
            assertEquals(0, server.fanout().topics().size(), "topics");
            assertEquals(-1, server.fanout().lastAssignedId(), "event ids");
            assertEquals(0, server.fanout().historyEvents(), "history");
            assertEquals(0, server.fanout().connectionCount(), "connection ids");
            assertEquals(0, server.openConnections(), "connections");
            assertEquals(0, server.metrics().published(), "published");
            assertEquals(0, server.metrics().delivered(), "delivered");
            assertEquals(0, server.metrics().openStreams(), "open streams");
            assertEquals(0, server.metrics().publishRequests(), "publish requests");

            try (SseTestClient stream = gateway.stream("/v1/events/stream?topic=t", Map.of())) {
                SseEvent connected = stream.awaitEvent(e -> e.type().equals("connected"), WAIT);
                assertTrue(connected.data().matches("\\{\"connectionId\":\"[0-9a-z]+-1\",.*"),
                        () -> "the node's first stream is its connection 1: " + connected.data());
                assertEquals(200, gateway.publishJson("{\"topic\":\"t\",\"data\":\"after warm-up\"}").status());
                assertEquals("after warm-up", stream.awaitEvent(WAIT).data());
            }
            assertEquals(1, server.metrics().published());
        }
    }

    @Test
    void throwawayNodeReachesNoBackplaneNorIdentityProvider() {
        SluiceConfig config = ConfigLoader.load(new String[] {"--backplane=redis://127.0.0.1:1", "--jwks-url=https://id.example/jwks",
                "--jwt-issuer=https://id.example", "--jwt-secret=" + "s".repeat(32), "--publish-keys=pk_0123456789abcdef",
                "--history-size=7", "--access-log=json", "--max-connections=5"}, Map.of()).config();
        SluiceConfig throwaway = Warmup.throwawayConfig(config);
        assertEquals("local", throwaway.backplane());
        assertEquals("", throwaway.jwksUrl());
        assertEquals("", throwaway.jwtSecret());
        assertEquals(List.of(), throwaway.publishKeys());
        assertFalse(throwaway.authConfigured(), "open access");
        assertTrue(throwaway.maxConnections() >= Warmup.STREAM_WAVE + Warmup.SHARED_STREAMS, "no stream refused");
        assertEquals(7, throwaway.historySize(), "the operator's other settings");
        assertEquals(SluiceConfig.AccessLog.JSON, throwaway.accessLog());
    }
}
