package io.sluice.bench.load;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SeqWindowTest {

    @Test
    void inOrderIsNewWithNothingMissing() {
        SeqWindow w = new SeqWindow();
        for (long s = 0; s < 1000; s++) {
            assertEquals(SeqWindow.NEW, w.accept(s));
        }
        assertEquals(0, w.missing());
        assertEquals(999, w.highest());
    }

    @Test
    void gapsCountAsMissingUntilTheLateEventsArrive() {
        SeqWindow w = new SeqWindow();
        assertEquals(SeqWindow.NEW, w.accept(0));
        assertEquals(SeqWindow.NEW, w.accept(4));
        assertEquals(3, w.missing());
        assertEquals(SeqWindow.LATE, w.accept(2));
        assertEquals(2, w.missing());
        assertEquals(SeqWindow.DUPLICATE, w.accept(2));
        assertEquals(SeqWindow.DUPLICATE, w.accept(4));
        assertEquals(SeqWindow.DUPLICATE, w.accept(0));
        assertEquals(2, w.missing());
    }

    @Test
    void aFirstEventAfterZeroCountsTheSkippedOnes() {
        SeqWindow w = new SeqWindow();
        assertEquals(SeqWindow.NEW, w.accept(5));
        assertEquals(5, w.missing());
    }

    @Test
    void farBehindTheWindowIsStale() {
        SeqWindow w = new SeqWindow();
        w.accept(0);
        w.accept(200);
        assertEquals(199, w.missing());
        assertEquals(SeqWindow.STALE, w.accept(100));
        assertEquals(SeqWindow.LATE, w.accept(150));
        assertEquals(198, w.missing());
    }
}
