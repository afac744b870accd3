package io.sluice.e2e;

import io.sluice.testing.GatewayFixture;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** maxStreamLifetime ends long-lived streams with a jittered retry: so they rebalance across nodes. */
class StreamLifetimeTest {

    @Test
    void aStreamIsEndedWithRetryAfterEightyToOneHundredPercentOfItsLifetime() {
        try (GatewayFixture gateway = GatewayFixture.start("--max-stream-lifetime=600ms", "--reconnect-millis=1000")) {
            // taken before the request is sent, so it is never later than the moment the gateway starts the clock
            long connected = System.nanoTime();
            try (SseTestClient stream = gateway.stream("/v1/events/stream?topic=life", Map.of())) {
                stream.awaitEvent(e -> "connected".equals(e.type()), Duration.ofSeconds(10));

                assertTrue(stream.awaitClosed(Duration.ofSeconds(10)), "the stream is ended");
                long lived = System.nanoTime() - connected;
                assertTrue(lived >= Duration.ofMillis(480).toNanos(), "ended after " + lived / 1_000_000 + " ms, before 80%");
                Integer retry = stream.retry();
                assertTrue(retry != null && retry >= 500 && retry < 1500, "jittered retry: " + retry);
                assertTrue(stream.comments().stream().anyMatch(c -> c.contains("lifetime")), stream::toString);
            }
        }
    }

    @Test
    void withoutALifetimeAStreamStaysOpen() {
        try (GatewayFixture gateway = GatewayFixture.start("--heartbeat-interval=100ms");
             SseTestClient stream = gateway.stream("/v1/events/stream?topic=life", Map.of())) {
            stream.awaitEvent(e -> "connected".equals(e.type()), Duration.ofSeconds(10));
            // several heartbeats prove time passed on the stream; it is still open after them
            for (int i = 0; i < 5; i++) {
                assertEquals("heartbeat", stream.awaitComment(Duration.ofSeconds(5)).strip());
            }
            assertFalse(stream.awaitClosed(Duration.ZERO), "no lifetime configured: the stream stays open");
        }
    }
}
