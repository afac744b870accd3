package io.sluice.testing;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AwaitTest {

    @Test
    void returnsAsSoonAsTheConditionHolds() {
        AtomicInteger calls = new AtomicInteger();
        Await.until(() -> calls.incrementAndGet() == 3, Duration.ofSeconds(10), "the third call");
        assertEquals(3, calls.get());
    }

    @Test
    void failsWithTheExpectationAfterTheDeadline() {
        AtomicInteger calls = new AtomicInteger();
        AssertionError error = assertThrows(AssertionError.class,
                () -> Await.until(() -> false, Duration.ofMillis(50), () -> "a miracle after " + calls.incrementAndGet()));
        assertEquals("expected a miracle after 1 within PT0.05S", error.getMessage());
    }

    @Test
    void holdsChecksUntilThePeriodEndsAndFailsAtTheFirstBreak() {
        AtomicInteger calls = new AtomicInteger();
        Await.holds(() -> calls.incrementAndGet() > 0, Duration.ofMillis(50), () -> "calls");
        assertTrue(calls.get() >= 2, "checked more than once: " + calls.get());
        AtomicInteger left = new AtomicInteger(3);
        AssertionError error = assertThrows(AssertionError.class,
                () -> Await.holds(() -> left.decrementAndGet() > 0, Duration.ofSeconds(10), () -> "left > 0"));
        assertEquals("expected left > 0 for PT10S", error.getMessage());
        assertEquals(0, left.get(), "failed at the first false, long before the period ended");
    }

    @Test
    void freePortCanBeBound() throws IOException {
        int port = FreePort.find();
        assertTrue(port > 0 && port < 65536);
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            assertEquals(port, socket.getLocalPort());
        }
    }
}
