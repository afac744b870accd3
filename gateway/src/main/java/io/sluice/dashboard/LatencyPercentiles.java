package io.sluice.dashboard;

import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Recent percentiles of a cumulative bucket histogram (the delivery-latency histogram that {@code /metrics}
 * exports): each call compares the buckets with the previous call's and reports the percentile of what was
 * recorded in between, as the upper bound of the bucket it falls in (as Prometheus' {@code histogram_quantile}
 * would, without interpolation: the answer is never below the truth). Only the dashboard's sampler thread calls
 * {@link #sample()}.
 */
public final class LatencyPercentiles {
    private final Supplier<HistogramSnapshot> histogram;
    private double[] previous = new double[0];
    private long previousCount;

    /** p50 and p99 in milliseconds; NaN when nothing was recorded since the previous sample. */
    public record Sample(double p50Millis, double p99Millis) {
    }

    public LatencyPercentiles(Supplier<HistogramSnapshot> histogram) {
        this.histogram = histogram;
    }

    /** The percentiles of what was recorded since the previous call. */
    public Sample sample() {
        HistogramSnapshot snapshot = histogram.get();
        CountAtBucket[] buckets = snapshot.histogramCounts();
        long total = snapshot.count() - previousCount;
        previousCount = snapshot.count();
        double[] now = new double[buckets.length];
        double[] recent = new double[buckets.length];
        for (int i = 0; i < buckets.length; i++) {
            now[i] = buckets[i].count();
            recent[i] = now[i] - (i < previous.length ? previous[i] : 0);
        }
        previous = now;
        return new Sample(percentile(buckets, recent, total, 0.50), percentile(buckets, recent, total, 0.99));
    }

    /**
     * {@code recent} holds cumulative counts (bucket i counts everything at or below its bound), {@code total} all
     * recordings, including those above the last bound; a percentile above it is reported as the last bound.
     */
    static double percentile(CountAtBucket[] buckets, double[] recent, long total, double quantile) {
        if (buckets.length == 0 || total <= 0) {
            return Double.NaN;
        }
        double rank = quantile * total;
        for (int i = 0; i < buckets.length; i++) {
            if (recent[i] >= rank) {
                return buckets[i].bucket(TimeUnit.MILLISECONDS);
            }
        }
        return buckets[buckets.length - 1].bucket(TimeUnit.MILLISECONDS);
    }
}
