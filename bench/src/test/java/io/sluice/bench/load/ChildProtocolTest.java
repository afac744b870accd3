package io.sluice.bench.load;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.util.BitSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChildProtocolTest {

    @Test
    void totalsSurviveTheLineAndMerge() throws Exception {
        StreamTotals t = new StreamTotals(3);
        t.set(StreamTotals.Counter.DELIVERIES, 123);
        t.set(StreamTotals.Counter.CONNECT_FIRST_NANOS, 500);
        t.addUnique(new long[] {1, 2, 3});
        t.addError("EMFILE (too many open files)", 4);
        t.limitHit("EMFILE after 19000");
        String line = ChildProtocol.totals(t);
        assertTrue(line.startsWith("S {") && !line.contains("\n"), line);
        StreamTotals back = ChildProtocol.parseTotals(line.substring(2), 3);
        assertEquals(123, back.get(StreamTotals.Counter.DELIVERIES));
        assertArrayEquals(new long[] {1, 2, 3}, back.uniqueByBucket());
        assertEquals(4L, back.errors().get("EMFILE (too many open files)"));
        assertEquals("EMFILE after 19000", back.limitHit());

        StreamTotals other = new StreamTotals(3);
        other.set(StreamTotals.Counter.DELIVERIES, 7);
        other.set(StreamTotals.Counter.CONNECT_FIRST_NANOS, 400);
        other.addUnique(new long[] {10, 0, 0});
        back.add(other);
        assertEquals(130, back.get(StreamTotals.Counter.DELIVERIES));
        assertEquals(400, back.get(StreamTotals.Counter.CONNECT_FIRST_NANOS));
        assertArrayEquals(new long[] {11, 2, 3}, back.uniqueByBucket());
    }

    @Test
    void histogramsAndBitsSurviveBase64() {
        Histogram h = Histograms.newHistogram();
        h.recordValue(1_500_000);
        h.recordValue(42_000);
        Histogram back = Histograms.decode(Histograms.encode(h));
        assertEquals(2, back.getTotalCount());
        assertEquals(h.getMaxValue(), back.getMaxValue());
        Histogram sum = Histograms.newHistogram();
        sum.add(back);
        assertEquals(2, sum.getTotalCount());

        BitSet b = new BitSet();
        b.set(3);
        b.set(19_999);
        assertEquals(b, ChildProtocol.parseBits(ChildProtocol.bits(b)));
    }

    @Test
    void timelineBuckets() {
        long s = 1_000_000_000L;
        Timeline t = new Timeline(10 * s, 2 * s, 5 * s, 3);
        assertEquals(4, t.bucketCount());
        assertEquals(Timeline.NONE, t.bucketOf(9 * s));
        assertEquals(Timeline.WARMUP, t.bucketOf(10 * s));
        assertEquals(1, t.bucketOf(12 * s));
        assertEquals(2, t.bucketOf(17 * s));
        assertEquals(3, t.bucketOf(26 * s));
        assertEquals(Timeline.NONE, t.bucketOf(27 * s));
        assertEquals(17 * s, t.bucketStart(2));
        assertEquals(22 * s, t.bucketEnd(2));
        assertEquals(27 * s, t.measureEnd());
    }
}
