package io.sluice.backplane;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackoffTest {

    @Test
    void delaysDoubleUpToTheCapWithJitterAndNeverReachZero() {
        Backoff backoff = new Backoff(100, 5_000);
        long[] steps = {100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000};
        for (long step : steps) {
            long delay = backoff.nextDelayMillis();
            assertTrue(delay >= step / 2 && delay <= step, delay + " should lie in [" + step / 2 + ", " + step + "]");
        }
        assertEquals(steps.length, backoff.attempts());
        backoff.reset();
        assertTrue(backoff.nextDelayMillis() <= 100);
    }

    @Test
    void jitterSpreadsNodesThatFailedTogether() {
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 200; i++) {
            Backoff b = new Backoff(100, 5_000);
            for (int k = 0; k < 6; k++) {
                b.nextDelayMillis();
            }
            long d = b.nextDelayMillis();
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        assertTrue(max - min > 1000, "delays of the same attempt spread out: " + min + ".." + max);
    }
}
