package io.sluice.dashboard;

import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatencyPercentilesTest {
    /** Bucket bounds 1, 5, 25 ms. */
    private static HistogramSnapshot snapshot(long count, double le1, double le5, double le25) {
        CountAtBucket[] buckets = {
            new CountAtBucket(TimeUnit.MILLISECONDS.toNanos(1), le1),
            new CountAtBucket(TimeUnit.MILLISECONDS.toNanos(5), le5),
            new CountAtBucket(TimeUnit.MILLISECONDS.toNanos(25), le25)};
        return new HistogramSnapshot(count, 0, 0, new ValueAtPercentile[0], buckets, null);
    }

    @Test
    void reportsTheBucketBoundOfWhatWasRecordedSinceThePreviousSample() {
        AtomicReference<HistogramSnapshot> now = new AtomicReference<>(snapshot(0, 0, 0, 0));
        LatencyPercentiles percentiles = new LatencyPercentiles(now::get);
        LatencyPercentiles.Sample idle = percentiles.sample();
        assertTrue(Double.isNaN(idle.p50Millis()) && Double.isNaN(idle.p99Millis()), "nothing recorded: unknown");

        now.set(snapshot(100, 90, 99, 100)); // 90 at or under 1 ms, 9 more under 5, 1 more under 25
        LatencyPercentiles.Sample first = percentiles.sample();
        assertEquals(1.0, first.p50Millis());
        assertEquals(5.0, first.p99Millis());

        now.set(snapshot(200, 90, 99, 200)); // the next 100 were all between 5 and 25 ms: the old ones do not count
        LatencyPercentiles.Sample second = percentiles.sample();
        assertEquals(25.0, second.p50Millis());
        assertEquals(25.0, second.p99Millis());

        now.set(snapshot(210, 90, 99, 200)); // 10 above the last bound: reported as the last bound
        assertEquals(25.0, percentiles.sample().p99Millis());
    }
}
