package io.sluice.limits;

import io.netty.channel.embedded.EmbeddedChannel;
import io.sluice.limits.ConnectionLimiter.Admission;
import io.sluice.limits.ConnectionLimiter.Refusal;
import io.sluice.limits.ConnectionLimiter.Slot;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConnectionLimiterTest {

    private static Slot granted(Admission admission) {
        return assertInstanceOf(Slot.class, admission);
    }

    @Test
    void perKeyBoundRefusesThatKeyOnly() {
        ConnectionLimiter limiter = new ConnectionLimiter(10, 2);
        granted(limiter.tryAcquire("user:a"));
        granted(limiter.tryAcquire("user:a"));
        assertEquals(Refusal.PER_KEY, limiter.tryAcquire("user:a"));
        granted(limiter.tryAcquire("user:b"));
        assertEquals(3, limiter.open());
        assertEquals(2, limiter.open("user:a"));
        assertEquals(1, limiter.open("user:b"));
    }

    @Test
    void globalBoundRefusesEveryoneAndLeavesNoPerKeyCount() {
        ConnectionLimiter limiter = new ConnectionLimiter(2, 5);
        granted(limiter.tryAcquire("a"));
        granted(limiter.tryAcquire("b"));
        assertEquals(Refusal.GLOBAL, limiter.tryAcquire("c"));
        assertEquals(Refusal.GLOBAL, limiter.tryAcquire("a"));
        assertEquals(2, limiter.open());
        assertEquals(0, limiter.open("c"), "a refused key holds nothing");
        assertEquals(1, limiter.open("a"));
        assertEquals(2, limiter.keys());
    }

    @Test
    void perKeyRefusalWinsWhenBothBoundsAreReached() {
        ConnectionLimiter limiter = new ConnectionLimiter(1, 1);
        granted(limiter.tryAcquire("a"));
        assertEquals(Refusal.PER_KEY, limiter.tryAcquire("a"));
        assertEquals(Refusal.GLOBAL, limiter.tryAcquire("b"));
    }

    @Test
    void releaseIsIdempotentAndRemovesTheKeyAtZero() {
        ConnectionLimiter limiter = new ConnectionLimiter(2, 2);
        Slot first = granted(limiter.tryAcquire("a"));
        Slot second = granted(limiter.tryAcquire("a"));
        first.release();
        first.release();
        assertEquals(1, limiter.open());
        assertEquals(1, limiter.open("a"));
        second.release();
        assertEquals(0, limiter.open());
        assertEquals(0, limiter.keys(), "no entry is kept for a key without slots");
        granted(limiter.tryAcquire("a"));
        granted(limiter.tryAcquire("b"));
    }

    @Test
    void slotBoundToAChannelIsReleasedWhenItClosesEvenIfAlreadyClosed() {
        ConnectionLimiter limiter = new ConnectionLimiter(5, 5);
        EmbeddedChannel open = new EmbeddedChannel();
        granted(limiter.tryAcquire("a")).releaseOnClose(open.closeFuture());
        assertEquals(1, limiter.open());
        open.close();
        assertEquals(0, limiter.open());

        EmbeddedChannel closed = new EmbeddedChannel();
        closed.close();
        Slot late = granted(limiter.tryAcquire("a"));
        late.releaseOnClose(closed.closeFuture());
        assertEquals(0, limiter.open(), "a channel closed before its slot was bound releases it at once");
        late.release();
        assertEquals(0, limiter.open());
    }

    @Test
    void concurrentAcquireAndReleaseNeverPassTheBoundsAndEndEmpty() throws Exception {
        int threads = 8;
        int rounds = 20_000;
        ConnectionLimiter limiter = new ConnectionLimiter(6, 2);
        AtomicInteger overGlobal = new AtomicInteger();
        AtomicInteger overKey = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String key = "k" + (t % 3);
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < rounds; i++) {
                        if (limiter.tryAcquire(key) instanceof Slot slot) {
                            if (limiter.open() > 6) {
                                overGlobal.incrementAndGet();
                            }
                            if (limiter.open(key) > 2) {
                                overKey.incrementAndGet();
                            }
                            slot.release();
                            slot.release();
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
        assertEquals(0, overGlobal.get());
        assertEquals(0, overKey.get());
        assertEquals(0, limiter.open());
        assertEquals(0, limiter.keys());
    }

    @Test
    void boundsMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new ConnectionLimiter(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new ConnectionLimiter(1, 0));
    }
}
