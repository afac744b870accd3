package io.sluice.bench.load;

import org.HdrHistogram.Histogram;

import java.util.BitSet;

/**
 * Where subscriber figures come from: the streams of this process ({@link SubscriberPool}) or of a child JVM
 * ({@link ChildSource}). Every method is called by the coordinator thread only, one call at a time.
 */
interface StreamSource extends AutoCloseable {

    /**
     * Histograms the coordinator accumulates across sources: latency by bucket, connect latency (connect start
     * to {@code connected} event) and storm reconnect latency (close to {@code connected}).
     */
    record Histos(Histogram[] latency, Histogram connect, Histogram reconnect) {
        static Histos create(int buckets) {
            Histogram[] l = new Histogram[buckets];
            for (int i = 0; i < buckets; i++) {
                l[i] = Histograms.newHistogram();
            }
            return new Histos(l, Histograms.newHistogram(), Histograms.newHistogram());
        }

        void reset() {
            for (Histogram h : latency) {
                h.reset();
            }
            connect.reset();
            reconnect.reset();
        }
    }

    /** Opening the streams has finished (each open or failed), or {@code timeoutNanos} passed: false. */
    boolean awaitConnected(long timeoutNanos) throws InterruptedException;

    /** Streams that opened during the connect phase, by global stream index; valid after {@link #awaitConnected}. */
    BitSet openedStreams();

    /** Publishing starts at {@code timeline.t0()}; returns once the source classifies events by it. */
    void start(Timeline timeline);

    /** Closes this source's share of {@code --reconnect-storm} streams at once and reconnects them. */
    void storm();

    /**
     * Current cumulative totals; histogram counts recorded since the previous poll are added into {@code into}.
     * {@code last} also runs the end-of-run per-stream checks (storm exactness).
     */
    StreamTotals poll(boolean last, Histos into);

    /** Closes every stream; no reconnects afterwards. */
    @Override
    void close();
}
