package io.sluice.backplane;

import io.sluice.api.Jitter;

/**
 * Reconnect delays: exponential from {@code base}, capped at {@code max}, with "equal jitter" (a delay is
 * uniformly random between half and all of the current step), so nodes that lost Redis together do not come
 * back in lockstep, and the shortest delay is still {@code base / 2}: never a busy loop.
 *
 * <p>Not thread-safe: used by the backplane's one executor thread.
 */
final class Backoff {
    private final long baseMillis;
    private final long maxMillis;
    private int attempt;

    Backoff(long baseMillis, long maxMillis) {
        if (baseMillis < 2 || maxMillis < baseMillis) {
            throw new IllegalArgumentException("need 2 <= base <= max");
        }
        this.baseMillis = baseMillis;
        this.maxMillis = maxMillis;
    }

    /** The delay before the next attempt; each call doubles the step until the cap. */
    long nextDelayMillis() {
        long step = Math.min(maxMillis, baseMillis << Math.min(attempt, 30));
        attempt++;
        return Jitter.uniform(step / 2, step + 1);
    }

    /** Attempts since the last {@link #reset()}. */
    int attempts() {
        return attempt;
    }

    /** Back to the first step, after a success. */
    void reset() {
        attempt = 0;
    }
}
