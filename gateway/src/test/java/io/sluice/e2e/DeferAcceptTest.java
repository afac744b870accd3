package io.sluice.e2e;

import io.netty.channel.epoll.Epoll;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpConnection;
import io.sluice.testing.RawResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.sluice.e2e.StreamTestSupport.closeAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code deferAccept} over real sockets on epoll: with it (the default) a connection reaches the gateway with its
 * first bytes, not at the handshake, and one that stays silent is still served once it speaks; without it the
 * gateway takes every connection at once. One event loop, so accepts happen in the kernel's queue order.
 */
class DeferAcceptTest {
    /**
     * The kernel holds a silent connection until its first SYN-ACK retransmission (1 s) is answered; an observation
     * later than this cannot tell deferred from accepted, and the probe is made again.
     */
    private static final Duration DEFER_MARGIN = Duration.ofMillis(700);

    private GatewayFixture gateway;
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void stop() {
        closeAll(resources);
        if (gateway != null) {
            gateway.close();
            gateway = null;
        }
    }

    private HttpConnection connect() {
        HttpConnection c = HttpConnection.open(GatewayFixture.HOST, gateway.port());
        resources.add(c);
        return c;
    }

    private static RawResponse snapshot(HttpConnection c) {
        return c.request("GET", "/v1/events?topic=t", Map.of(), null);
    }

    @Test
    void aSilentConnectionReachesTheGatewayOnlyWithItsFirstBytes() {
        assumeTrue(Epoll.isAvailable(), "TCP_DEFER_ACCEPT is a Linux socket option (epoll, io_uring)");
        for (int attempt = 1; ; attempt++) {
            gateway = GatewayFixture.start("--event-loop-threads=1");
            long start = System.nanoTime();
            HttpConnection silent = connect();
            HttpConnection speaking = connect();
            assertEquals(200, snapshot(speaking).status());
            int open = gateway.server().openConnections();
            boolean inTime = System.nanoTime() - start < DEFER_MARGIN.toNanos();
            if (inTime || attempt == 5) {
                assertTrue(inTime, "five probes each took longer than " + DEFER_MARGIN);
                assertEquals(1, open, "the silent connection was handed to the gateway before it sent anything");
                assertEquals(200, snapshot(silent).status(), "served once it speaks");
                return;
            }
            stop();
        }
    }

    @Test
    void withoutItEveryConnectionIsTakenAtTheHandshake() {
        assumeTrue(Epoll.isAvailable(), "TCP_DEFER_ACCEPT is a Linux socket option (epoll, io_uring)");
        gateway = GatewayFixture.start("--event-loop-threads=1", "--defer-accept=false");
        HttpConnection silent = connect();
        HttpConnection speaking = connect();
        assertEquals(200, snapshot(speaking).status());
        // accepted in the kernel's queue order on the one loop: the silent one first
        assertEquals(2, gateway.server().openConnections());
        assertEquals(200, snapshot(silent).status());
    }
}
