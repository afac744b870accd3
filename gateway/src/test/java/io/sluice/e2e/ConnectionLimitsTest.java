package io.sluice.e2e;

import io.sluice.limits.ConnectionLimiter;
import io.sluice.metrics.CountingMetrics;
import io.sluice.metrics.GatewayMetrics;
import io.sluice.testing.Await;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseTestClient;
import io.sluice.testing.TestTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.sluice.e2e.StreamTestSupport.STREAM_PATH;
import static io.sluice.e2e.StreamTestSupport.WAIT;
import static io.sluice.e2e.StreamTestSupport.closeAll;
import static io.sluice.e2e.StreamTestSupport.errorBody;
import static io.sluice.e2e.StreamTestSupport.openStream;
import static io.sluice.e2e.StreamTestSupport.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stream limits (CONTRACT §6) over real sockets: {@code maxConnections} (503, or 200 + {@code retry:} for an
 * EventSource), {@code maxConnectionsPerUser} for anonymous streams keyed by client address (429), the
 * X-Forwarded-For rule for trusted proxies, slots given back however a stream ends, and refusals counted by reason.
 * Every client connects from 127.0.0.1.
 */
class ConnectionLimitsTest {
    private static final String GLOBAL_MESSAGE =
            "this node has the most streams it may hold open (maxConnections); retry later";

    private GatewayFixture gateway;
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void stop() {
        closeAll(resources);
        if (gateway != null) {
            gateway.close();
        }
    }

    private ConnectionLimiter limiter() {
        return gateway.server().connectionLimiter();
    }

    private CountingMetrics metrics() {
        return gateway.server().metrics();
    }

    private SseTestClient openWithForwardedFor(String forwardedFor) {
        return openStream(gateway, "topic=t", Map.of("X-Forwarded-For", forwardedFor), resources);
    }

    private RawResponse streamRequest(Map<String, String> headers) {
        return HttpTestClient.get(GatewayFixture.HOST, gateway.port(), STREAM_PATH + "?topic=t", headers);
    }

    private static int retryAfter(RawResponse r) {
        return Integer.parseInt(r.header("Retry-After"));
    }

    @Test
    void pastTheGlobalLimitPlainClientsGet503AndEventSourcesA200RetryThenClose() {
        gateway = GatewayFixture.start("--max-connections=2", "--reconnect-millis=1000");
        openStream(gateway, "topic=t", Map.of(), resources);
        openStream(gateway, "topic=t", Map.of(), resources);

        RawResponse plain = streamRequest(Map.of("Accept", "application/json"));
        assertEquals(503, plain.status(), plain::body);
        assertEquals(errorBody("unavailable", GLOBAL_MESSAGE), plain.body());
        int seconds = retryAfter(plain);
        assertTrue(seconds >= 2 && seconds <= 4, "Retry-After " + seconds + " for a 2-4 s backoff");
        assertTrue(plain.closedByServer());

        try (SseTestClient browser = gateway.stream(STREAM_PATH + "?topic=t", Map.of())) {
            assertEquals(200, browser.status());
            assertEquals("text/event-stream; charset=utf-8", browser.header("Content-Type"));
            assertTrue(browser.awaitClosed(WAIT), "closed at once: " + browser);
            int retry = browser.retry();
            assertTrue(retry >= 2000 && retry < 4000, "jittered retry " + retry);
            assertEquals(List.of(" " + GLOBAL_MESSAGE), browser.comments());
            assertEquals(List.of(), browser.events());
        }
        assertEquals(2, metrics().connectionsRejected(GatewayMetrics.REJECTED_MAX_CONNECTIONS));
        assertEquals(2, limiter().open());
    }

    @Test
    void slotsComeBackWhenStreamsCloseSoTheLimitCanBeReachedAgain() {
        gateway = GatewayFixture.start("--max-connections=2");
        for (int round = 0; round < 3; round++) {
            List<AutoCloseable> streams = new ArrayList<>();
            openStream(gateway, "topic=t", Map.of(), streams);
            openStream(gateway, "topic=t", Map.of(), streams);
            assertEquals(503, streamRequest(Map.of()).status(), "round " + round);
            closeAll(streams);
            Await.until(() -> limiter().open() == 0 && limiter().keys() == 0, WAIT,
                    () -> "every slot back after the clients closed, open=" + limiter().open());
        }
        assertEquals(3, metrics().connectionsRejected(GatewayMetrics.REJECTED_MAX_CONNECTIONS));
    }

    @Test
    void slotsComeBackWhenTheServerStops() {
        gateway = GatewayFixture.start("--max-connections=5");
        SseTestClient a = openStream(gateway, "topic=t", Map.of(), resources);
        openStream(gateway, "topic=u", Map.of(), resources);
        assertEquals(2, limiter().open());
        ConnectionLimiter limiter = limiter();
        gateway.close();
        assertTrue(a.awaitClosed(WAIT));
        assertEquals(0, limiter.open());
        assertEquals(0, limiter.keys());
        gateway = null;
    }

    @Test
    void anonymousStreamsAreLimitedPerClientAddressWith429() {
        gateway = GatewayFixture.start("--max-connections-per-user=2", "--reconnect-millis=1000");
        openStream(gateway, "topic=t", Map.of(), resources);
        openStream(gateway, "topic=t", Map.of(), resources);
        assertEquals(2, limiter().open("addr:127.0.0.1"));

        RawResponse refused = streamRequest(Map.of());
        assertEquals(429, refused.status(), refused::body);
        assertEquals(errorBody("too_many_connections", "too many streams: at most 2 may be open at once per client"
                + " address (maxConnectionsPerUser); close one before opening another"), refused.body());
        int seconds = retryAfter(refused);
        assertTrue(seconds >= 2 && seconds <= 4, "Retry-After " + seconds);
        try (SseTestClient browser = gateway.stream(STREAM_PATH + "?topic=t", Map.of())) {
            assertEquals(429, browser.status(), "per-user refusals are not the EventSource retry form");
        }
        assertEquals(2, metrics().connectionsRejected(GatewayMetrics.REJECTED_MAX_CONNECTIONS_PER_USER));
        assertEquals(0, metrics().connectionsRejected(GatewayMetrics.REJECTED_MAX_CONNECTIONS));
    }

    @Test
    void authenticatedStreamsAreLimitedPerUserWhateverTheirAddress() {
        gateway = GatewayFixture.start("--jwt-secret=" + TestTokens.SECRET, "--public-topics=t",
                "--max-connections-per-user=2", "--reconnect-millis=1000");
        Map<String, String> alice = Map.of("Authorization", "Bearer " + TestTokens.hs256(
                TestTokens.claims("alice", List.of("t"), null, false)));
        Map<String, String> bob = Map.of("Authorization", "Bearer " + TestTokens.hs256(
                TestTokens.claims("bob", List.of("t"), null, false)));
        openStream(gateway, "topic=t", alice, resources);
        openStream(gateway, "topic=t", alice, resources);
        assertEquals(2, limiter().open("user:alice"));

        RawResponse refused = streamRequest(alice);
        assertEquals(429, refused.status(), refused::body);
        assertTrue(refused.body().contains("per user (maxConnectionsPerUser)"), refused::body);
        // same address, other user: its own count; anonymous callers from this address: theirs
        openStream(gateway, "topic=t", bob, resources);
        openStream(gateway, "topic=t", Map.of(), resources);
        assertEquals(1, limiter().open("user:bob"));
        assertEquals(1, limiter().open("addr:127.0.0.1"));
        assertEquals(1, metrics().connectionsRejected(GatewayMetrics.REJECTED_MAX_CONNECTIONS_PER_USER));
    }

    @Test
    void behindATrustedProxyTheRightMostUntrustedForwardedAddressIsTheClient() {
        gateway = GatewayFixture.start("--trusted-proxies=127.0.0.1,10.0.0.0/8", "--max-connections-per-user=1");
        openWithForwardedFor("203.0.113.5");
        openWithForwardedFor("203.0.113.6");
        openWithForwardedFor("203.0.113.7, 10.1.2.3"); // 10.1.2.3 is a trusted hop: skipped
        openStream(gateway, "topic=t", Map.of(), resources); // no header: the proxy itself

        // the client claims 198.51.100.1; the trusted proxy saw 203.0.113.5, which is over its limit
        RawResponse refused = streamRequest(Map.of("X-Forwarded-For", "198.51.100.1, 203.0.113.5"));
        assertEquals(429, refused.status(), refused::body);
        assertEquals(429, streamRequest(Map.of("X-Forwarded-For", "203.0.113.7")).status());

        assertEquals(1, limiter().open("addr:203.0.113.5"));
        assertEquals(1, limiter().open("addr:203.0.113.6"));
        assertEquals(1, limiter().open("addr:203.0.113.7"));
        assertEquals(1, limiter().open("addr:127.0.0.1"));
        assertEquals(4, limiter().open());
    }

    @Test
    void fromAnUntrustedPeerForwardedForIsIgnored() {
        gateway = GatewayFixture.start("--max-connections-per-user=1");
        openWithForwardedFor("203.0.113.5");
        RawResponse refused = streamRequest(Map.of("X-Forwarded-For", "203.0.113.6"));
        assertEquals(429, refused.status(), "both streams come from 127.0.0.1, whatever they claim");
        assertEquals(1, limiter().open("addr:127.0.0.1"));
        assertEquals(0, limiter().open("addr:203.0.113.5"));
    }

    @Test
    void tooManyTopicsIsCountedAndTakesNoSlot() {
        gateway = GatewayFixture.start("--max-topics-per-connection=1");
        RawResponse r = HttpTestClient.get(GatewayFixture.HOST, gateway.port(), STREAM_PATH + "?topic=a&topic=b");
        assertEquals(400, r.status());
        assertEquals(errorBody("invalid_request", "topic: 2 given, at most 1 (maxTopicsPerConnection) per request"),
                r.body());
        assertEquals(1, metrics().connectionsRejected(GatewayMetrics.REJECTED_TOO_MANY_TOPICS));
        assertEquals(0, limiter().open());
    }

    @Test
    void streamsBelowTheLimitsStillReceiveEvents() {
        gateway = GatewayFixture.start("--max-connections=1", "--max-connections-per-user=1");
        SseTestClient client = openStream(gateway, "topic=t", Map.of(), resources);
        String id = publish(gateway, "t", null, "\"hello\"");
        assertEquals(id, client.awaitEvent(WAIT).id());
        assertFalse(client.awaitClosed(Duration.ZERO));
    }
}
