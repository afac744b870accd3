package io.sluice.e2e;

import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpConnection;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.sluice.e2e.StreamTestSupport.WAIT;
import static io.sluice.e2e.StreamTestSupport.closeAll;
import static io.sluice.e2e.StreamTestSupport.errorBody;
import static io.sluice.e2e.StreamTestSupport.openStream;
import static io.sluice.e2e.StreamTestSupport.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Slow and idle HTTP connections over real sockets with short timeouts ({@code requestHeaderTimeout=300ms},
 * {@code idleTimeout=1s}): slowloris gets 408 and is closed, an idle keep-alive connection is closed silently, a
 * stalled body gets 408, and a stream outlives both timeouts. Each wait is bounded by {@code WAIT}; lower bounds
 * check that nothing fires early.
 */
class TimeoutsTest {
    private static final String HEAD_TIMEOUT_MESSAGE =
            "request headers: not complete within requestHeaderTimeout (300ms); the connection is closed";
    /** Slack below a timeout for the test's own clock starting after the server's. */
    private static final Duration EARLY = Duration.ofMillis(50);

    private GatewayFixture gateway;
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void stop() {
        closeAll(resources);
        if (gateway != null) {
            gateway.close();
        }
    }

    private void start() {
        gateway = GatewayFixture.start("--request-header-timeout=300ms", "--idle-timeout=1s");
    }

    private HttpConnection connect() {
        HttpConnection c = HttpConnection.open(GatewayFixture.HOST, gateway.port());
        resources.add(c);
        return c;
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    private static void assertTimeout408(RawResponse r, String message) {
        assertEquals(408, r.status(), r::body);
        assertEquals(errorBody("request_timeout", message), r.body());
        assertEquals("close", r.header("Connection"));
    }

    @Test
    void partialRequestHeadIsAnswered408AndClosed() {
        start();
        HttpConnection c = connect();
        long start = System.nanoTime();
        c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nUser-Agent: slow");
        RawResponse r = c.readResponse(WAIT);
        Duration took = since(start);
        assertTimeout408(r, HEAD_TIMEOUT_MESSAGE);
        assertTrue(c.awaitClosedByServer(WAIT), "closed after the 408");
        assertTrue(took.compareTo(Duration.ofMillis(300).minus(EARLY)) >= 0, "not before the timeout: " + took);
    }

    @Test
    void connectionThatSendsNothingIsAnswered408AndClosed() {
        start();
        long start = System.nanoTime();
        HttpConnection c = connect();
        assertTimeout408(c.readResponse(WAIT), HEAD_TIMEOUT_MESSAGE);
        assertTrue(c.awaitClosedByServer(WAIT));
        assertTrue(since(start).compareTo(Duration.ofMillis(300).minus(EARLY)) >= 0);
    }

    @Test
    void idleKeepAlivePublishConnectionIsClosedSilentlyAfterIdleTimeout() {
        start();
        HttpConnection c = connect();
        RawResponse published = c.request("POST", "/v1/publish", Map.of("Content-Type", "application/json"),
                "{\"topic\":\"t\",\"data\":1}");
        assertEquals(200, published.status(), published::body);
        assertFalse(published.closedByServer());
        RawResponse again = c.request("POST", "/v1/publish", Map.of("Content-Type", "application/json"),
                "{\"topic\":\"t\",\"data\":2}");
        assertEquals(200, again.status(), "the connection is kept alive between requests");
        long start = System.nanoTime();

        assertTrue(c.awaitClosedByServer(WAIT), "closed once idle");
        Duration idle = since(start);
        assertTrue(idle.compareTo(Duration.ofSeconds(1).minus(EARLY)) >= 0, "not before idleTimeout: " + idle);
        assertEquals(-1, c.readResponse(WAIT).status(), "closed without a response");
    }

    @Test
    void stalledRequestBodyIsAnswered408AfterIdleTimeout() {
        start();
        HttpConnection c = connect();
        long start = System.nanoTime();
        c.send("POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n"
                + "{\"topic\":");
        RawResponse r = c.readResponse(WAIT);
        assertTimeout408(r, "body: no bytes received for idleTimeout (1s); the connection is closed");
        assertTrue(since(start).compareTo(Duration.ofSeconds(1).minus(EARLY)) >= 0);
        assertTrue(c.awaitClosedByServer(WAIT));
    }

    @Test
    void streamOutlivesBothTimeoutsAndKeepsReceiving() {
        start();
        SseTestClient client = openStream(gateway, "topic=t", Map.of(), resources);
        // heartbeats are every 15s by default, so the stream is silent both ways all this time
        assertFalse(client.awaitClosed(Duration.ofMillis(2500)), "open well past both timeouts: " + client);
        String id = publish(gateway, "t", null, "\"still here\"");
        assertEquals(id, client.awaitEvent(WAIT).id());
        assertEquals(List.of(), client.comments(), "nothing but the event was sent");
    }
}
