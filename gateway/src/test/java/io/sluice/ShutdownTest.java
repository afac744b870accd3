package io.sluice;

import io.sluice.testing.Await;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.LeakGuard;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stopping the gateway while streams are open, one of them lagging with frames in flight and history full,
 * ends every connection, stops every event-loop thread and releases every buffer (the leak guard, forced
 * here right after the stop, fails on any frame still unreleased).
 */
class ShutdownTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void stopClosesStreamsEndsLoopsAndReleasesEveryBuffer() {
        SseTestClient fast = null;
        SseTestClient slow = null;
        GatewayFixture gateway = GatewayFixture.start("--history-size=50", "--write-buffer-high-water-mark=8KiB",
                "--write-buffer-low-water-mark=4KiB", "--event-loop-threads=2");
        try {
            fast = gateway.stream("/v1/events/stream?topic=t", Map.of());
            slow = SseTestClient.builder(GatewayFixture.HOST, gateway.port(), "/v1/events/stream?topic=t")
                    .receiveBufferSize(2048).startPaused().connect();
            fast.awaitEvent(e -> e.type().equals("connected"), WAIT);
            SseTestClient slowStream = slow;
            Await.until(() -> gateway.server().metrics().openStreams() == 2, WAIT, "two open streams");
            String data = "x".repeat(1000);
            for (int i = 0; i < 200; i++) {
                RawResponse r = gateway.publishJson("{\"topic\":\"t\",\"data\":\"" + data + i + "\"}");
                assertEquals(200, r.status(), r.body());
            }
            fast.awaitEvents(200, WAIT);
            assertTrue(slowStream.bodyBytesReceived() < 200 * 1000, "the slow stream must not have drained");
        } finally {
            gateway.close();
        }
        // Both channels were closed by the gateway. The fast client sees the FIN; the paused one would see it
        // only after draining what its kernel still queues behind a zero window (TCP, not the gateway), so
        // its close is checked on the server side.
        assertEquals(0, gateway.server().metrics().openStreams(), "every stream left fan-out");
        assertTrue(fast.awaitClosed(WAIT), "fast stream closed by the stop");
        fast.close();
        slow.close();
        Await.until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("sluice-loop")), WAIT, "no sluice-loop thread alive");
        LeakGuard.assertNoLeaks("after the gateway stopped");
    }
}
