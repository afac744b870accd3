package io.sluice.bench.load;

import org.HdrHistogram.SingleWriterRecorder;

/**
 * What one subscriber event loop measured. Threading: {@link #delivered}, {@link #timeline} and the plain
 * counters belong to the loop's thread (other threads read them only through tasks run on that loop); the
 * recorders are written by the loop and drained by the coordinator thread, which is SingleWriterRecorder's
 * contract (one writer, any reader).
 */
final class LoopStats {
    /** Upper bound on measured buckets (ramp steps), which bounds recorder memory per loop. */
    static final int MAX_MEASURED_BUCKETS = 200;

    final SingleWriterRecorder[] latency;
    final SingleWriterRecorder connectLatency = Histograms.newRecorder();
    final SingleWriterRecorder reconnectLatency = Histograms.newRecorder();
    /** Load events received once (not duplicates), by the bucket of their send timestamp. */
    final long[] uniqueByBucket;
    /** Set on the loop before publishing starts; null until then (events are then not classified). */
    Timeline timeline;
    long clamped;

    LoopStats(int buckets) {
        latency = new SingleWriterRecorder[buckets];
        for (int i = 0; i < buckets; i++) {
            latency[i] = Histograms.newRecorder();
        }
        uniqueByBucket = new long[buckets];
    }

    /** A load event sent at {@code sentNanos} arrived (first time) at {@code nowNanos}. Loop thread only. */
    void delivered(long sentNanos, long nowNanos) {
        Timeline t = timeline;
        if (t == null) {
            return;
        }
        int b = t.bucketOf(sentNanos);
        if (b < 0) {
            return;
        }
        uniqueByBucket[b]++;
        long latencyNanos = nowNanos - sentNanos;
        if (latencyNanos < 0 || latencyNanos > Histograms.HIGHEST_TRACKABLE_NANOS) {
            clamped++;
        }
        latency[b].recordValue(Histograms.clamp(latencyNanos));
    }
}
