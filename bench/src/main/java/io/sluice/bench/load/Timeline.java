package io.sluice.bench.load;

/**
 * The run's time buckets, in {@link System#nanoTime()} (CLOCK_MONOTONIC, shared by every process on one Linux
 * machine). Publishing starts at {@code t0}; bucket 0 is the warm-up; buckets 1..n are the measured window: one
 * bucket of {@code --duration}, or in ramp mode one bucket per step. An event belongs to the bucket holding its
 * send timestamp, so publisher and subscribers (in any process) classify it the same way. Immutable.
 */
final class Timeline {
    static final int WARMUP = 0;
    static final int NONE = -1;

    private final long t0;
    private final long warmupNanos;
    private final long bucketNanos;
    private final int measuredBuckets;

    Timeline(long t0, long warmupNanos, long bucketNanos, int measuredBuckets) {
        this.t0 = t0;
        this.warmupNanos = warmupNanos;
        this.bucketNanos = bucketNanos;
        this.measuredBuckets = measuredBuckets;
    }

    static Timeline of(LoadOptions o, long t0) {
        if (o.ramp()) {
            return new Timeline(t0, o.warmupNanos(), o.rampIntervalNanos(), rampSteps(o));
        }
        return new Timeline(t0, o.warmupNanos(), o.durationNanos(), 1);
    }

    /** Buckets a run with these options has, warm-up included; known before {@code t0}. */
    static int bucketCount(LoadOptions o) {
        return 1 + (o.ramp() ? rampSteps(o) : 1);
    }

    private static int rampSteps(LoadOptions o) {
        return (int) Math.max(1, (o.durationNanos() + o.rampIntervalNanos() - 1) / o.rampIntervalNanos());
    }

    long t0() {
        return t0;
    }

    int bucketCount() {
        return 1 + measuredBuckets;
    }

    /** The bucket an event sent at {@code ts} belongs to, or {@link #NONE} before t0 or after the last bucket. */
    int bucketOf(long ts) {
        long d = ts - t0;
        if (d < 0) {
            return NONE;
        }
        if (d < warmupNanos) {
            return WARMUP;
        }
        long k = (d - warmupNanos) / bucketNanos;
        return k < measuredBuckets ? 1 + (int) k : NONE;
    }

    long bucketStart(int bucket) {
        return bucket == WARMUP ? t0 : t0 + warmupNanos + (bucket - 1) * bucketNanos;
    }

    long bucketEnd(int bucket) {
        return bucket == WARMUP ? t0 + warmupNanos : t0 + warmupNanos + bucket * bucketNanos;
    }

    long measureStart() {
        return t0 + warmupNanos;
    }

    long measureEnd() {
        return bucketEnd(measuredBuckets);
    }
}
