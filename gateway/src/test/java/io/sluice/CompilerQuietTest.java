package io.sluice;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The warm-up's test of a quiet compiler, on a synthetic clock and compile-time counter. */
class CompilerQuietTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void notQuietBeforeTheSamplesSpanAWindow() {
        CompilerQuiet quiet = new CompilerQuiet(1000 * MS, 0.05);
        assertFalse(quiet.sample(0, 0));
        assertFalse(quiet.sample(500 * MS, 0), "half a window of silence is not yet a quiet window");
        assertFalse(quiet.sample(999 * MS, 0));
        assertTrue(quiet.sample(1000 * MS, 0));
    }

    @Test
    void busyWhileCompilingAtLeastTheShareOfTheWindow() {
        CompilerQuiet quiet = new CompilerQuiet(1000 * MS, 0.05);
        long compiled = 0;
        for (int t = 0; t <= 3000; t += 100) {
            compiled += 10; // 10 ms of every 100: 10 %
            assertFalse(quiet.sample(t * MS, compiled), "at " + t + " ms");
        }
        // from now on 4 ms of every 100: the second back from 3,800 ms still holds two busy samples (10 + 10 + 8 x 4 =
        // 52 ms, not under 50); the one from 3,900 ms holds one (10 + 9 x 4 = 46 ms)
        for (int t = 3100; t <= 3800; t += 100) {
            compiled += 4;
            assertFalse(quiet.sample(t * MS, compiled), "the window still reaches back into the busy second at " + t);
        }
        compiled += 4;
        assertTrue(quiet.sample(3900 * MS, compiled));
    }

    @Test
    void exactlyTheShareIsNotQuiet() {
        CompilerQuiet quiet = new CompilerQuiet(1000 * MS, 0.05);
        quiet.sample(0, 100);
        assertFalse(quiet.sample(1000 * MS, 150), "50 ms of 1,000 is the limit, not under it");
        assertTrue(quiet.sample(2000 * MS, 199));
    }

    @Test
    void judgesFromTheNewestSampleAWindowBackNotTheOldest() {
        CompilerQuiet quiet = new CompilerQuiet(1000 * MS, 0.05);
        quiet.sample(0, 0);
        quiet.sample(100 * MS, 900); // a burst of compiling early on
        assertFalse(quiet.sample(1050 * MS, 905), "from the sample at 0 ms: 905 ms of 1,050 compiling");
        assertTrue(quiet.sample(1100 * MS, 910), "from the sample at 100 ms, a window back: 10 ms of 1,000");
    }

    @Test
    void sampledEveryMillisecondItStillJudgesAWholeWindow() {
        CompilerQuiet quiet = new CompilerQuiet(1000 * MS, 0.05);
        long compiled = 0;
        for (int t = 0; t < 3000; t++) {
            if (t % 10 == 0) {
                compiled++; // 10 %
            }
            assertFalse(quiet.sample(t * MS, compiled), "at " + t + " ms");
        }
        int firstQuiet = -1;
        for (int t = 3000; t < 5000 && firstQuiet < 0; t++) {
            if (quiet.sample(t * MS, compiled)) {
                firstQuiet = t;
            }
        }
        // quiet once the last window (from the newest kept sample a window back) holds under 5 % compiling: about half
        // a second after compiling stopped (the 10 % second before it only half inside), and within a window and one
        // sample spacing at the latest
        assertTrue(firstQuiet >= 3450 && firstQuiet <= 3000 + 1000 + 1000 / CompilerQuiet.SPACING + 1,
                "first quiet at " + firstQuiet + " ms");
    }

    @Test
    void refusesAnEmptyWindowOrAShareOfOneOrMore() {
        assertThrows(IllegalArgumentException.class, () -> new CompilerQuiet(0, 0.05));
        assertThrows(IllegalArgumentException.class, () -> new CompilerQuiet(1000 * MS, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new CompilerQuiet(1000 * MS, -0.1));
    }
}
