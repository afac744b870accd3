package io.sluice.limits;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * Counts the open streams of this node, in total ({@code maxConnections}) and per key ({@code maxConnectionsPerUser};
 * a key is a user or an anonymous client address, see {@link StreamAdmission#keyOf}), and refuses a stream past
 * either bound.
 *
 * <p>Thread-safe and lock-free: every event loop admits streams concurrently. This is the connect path, not the
 * per-event path. A key's entry exists only while it has at least one slot, so the map holds at most one entry
 * per open stream and never grows with the number of users ever seen.
 *
 * <p>Invariant: {@link #open()} equals the number of granted {@link Slot}s not yet released, and each key's count
 * equals its granted, unreleased slots. {@link Slot#release()} is idempotent, so a slot may be released both on
 * an error path and when its channel closes.
 */
public final class ConnectionLimiter {
    private final int maxConnections;
    private final int maxPerKey;
    private final AtomicInteger open = new AtomicInteger();
    private final ConcurrentHashMap<String, Integer> perKey = new ConcurrentHashMap<>();

    /**
     * @param maxConnections most slots in total, at least 1
     * @param maxPerKey most slots per key, at least 1
     */
    public ConnectionLimiter(int maxConnections, int maxPerKey) {
        if (maxConnections < 1 || maxPerKey < 1) {
            throw new IllegalArgumentException("limits must be at least 1: " + maxConnections + ", " + maxPerKey);
        }
        this.maxConnections = maxConnections;
        this.maxPerKey = maxPerKey;
    }

    /**
     * Takes one slot for {@code key}, or refuses. The per-key bound is checked first: a key at its own bound is
     * refused with {@link Refusal#PER_KEY} even when the node is also full.
     *
     * @return a granted {@link Slot}, which the caller must release exactly once it no longer needs it (or bind to
     *     its channel with {@link Slot#releaseOnClose}), or a {@link Refusal}
     */
    public Admission tryAcquire(String key) {
        if (!incrementKey(key)) {
            return Refusal.PER_KEY;
        }
        int n;
        do {
            n = open.get();
            if (n >= maxConnections) {
                decrementKey(key);
                return Refusal.GLOBAL;
            }
        } while (!open.compareAndSet(n, n + 1));
        return new Slot(this, key);
    }

    /** Slots held now, in total. A moment's view. */
    public int open() {
        return open.get();
    }

    /** Slots {@code key} holds now (0 when it has none). A moment's view. */
    public int open(String key) {
        Integer n = perKey.get(key);
        return n == null ? 0 : n;
    }

    /** Keys holding at least one slot now. A moment's view. */
    public int keys() {
        return perKey.size();
    }

    public int maxConnections() {
        return maxConnections;
    }

    public int maxPerKey() {
        return maxPerKey;
    }

    /** Compare-and-set loop on the key's boxed count (compared by value); false when it is at its bound. */
    private boolean incrementKey(String key) {
        for (;;) {
            Integer n = perKey.get(key);
            if (n == null) {
                if (perKey.putIfAbsent(key, 1) == null) {
                    return true;
                }
            } else if (n >= maxPerKey) {
                return false;
            } else if (perKey.replace(key, n, n + 1)) {
                return true;
            }
        }
    }

    /** Removes the entry when its count reaches zero. */
    private void decrementKey(String key) {
        for (;;) {
            Integer n = perKey.get(key);
            if (n == null) {
                throw new IllegalStateException("released more slots than acquired for a key");
            }
            if (n == 1 ? perKey.remove(key, n) : perKey.replace(key, n, n - 1)) {
                return;
            }
        }
    }

    private void release(String key) {
        open.decrementAndGet();
        decrementKey(key);
    }

    /** What {@link #tryAcquire} answers: a granted {@link Slot} or a {@link Refusal}. */
    public sealed interface Admission permits Slot, Refusal {
    }

    /** Why a slot was refused. */
    public enum Refusal implements Admission {
        /** The key holds {@code maxPerKey} slots already. */
        PER_KEY,
        /** The node holds {@code maxConnections} slots already. */
        GLOBAL
    }

    /**
     * One open stream's share of the limits. Released at most once whatever calls {@link #release()} how often
     * and from which thread.
     */
    public static final class Slot implements Admission, ChannelFutureListener {
        private static final AtomicIntegerFieldUpdater<Slot> RELEASED =
                AtomicIntegerFieldUpdater.newUpdater(Slot.class, "released");

        private final ConnectionLimiter limiter;
        private final String key;
        private volatile int released;

        private Slot(ConnectionLimiter limiter, String key) {
            this.limiter = limiter;
            this.key = key;
        }

        public String key() {
            return key;
        }

        /** Gives the slot back; later calls do nothing. */
        public void release() {
            if (RELEASED.compareAndSet(this, 0, 1)) {
                limiter.release(key);
            }
        }

        /**
         * Releases the slot when {@code closeFuture} completes (at once if it already has): a stream's slot lives
         * exactly as long as its connection, however that ends (client close, slow-consumer close, server stop).
         */
        public void releaseOnClose(ChannelFuture closeFuture) {
            closeFuture.addListener(this);
        }

        @Override
        public void operationComplete(ChannelFuture future) {
            release();
        }
    }
}
