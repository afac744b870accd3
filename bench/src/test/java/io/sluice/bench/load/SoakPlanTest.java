package io.sluice.bench.load;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SoakPlanTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private static SoakPlan plan(String... knobs) {
        String[] args = new String[knobs.length + 1];
        args[0] = "--soak";
        System.arraycopy(knobs, 0, args, 1, knobs.length);
        return new SoakPlan(LoadOptions.parse(args).soak(), 100, 1, "r1");
    }

    @Test
    void everyStreamNamesTopicsOfItsOwnAndASlowOneTheHotTopicToo() {
        SoakPlan p = plan("--soak-topics", "3");
        assertEquals(List.of("user/r1-7-2", "jobs/r1-7-2-1", "jobs/r1-7-2-2"), p.streamTopics(7, 2, false));
        assertEquals(List.of("user/r1-7-2", "jobs/r1-7-2-1", "jobs/r1-7-2-2", "soak/r1/hot"), p.streamTopics(7, 2, true));
        Set<String> seen = new HashSet<>();
        for (int slot = 0; slot < 100; slot++) {
            for (int generation = 0; generation < 50; generation++) {
                for (String t : p.streamTopics(slot, generation, false)) {
                    assertTrue(seen.add(t), t);
                }
            }
        }
    }

    @Test
    void aStreamsDrawsDependOnlyOnItsSlotAndGeneration() {
        SoakPlan p = plan("--soak-slow-share", "0.25", "--soak-lifetime", "2s-8s", "--soak-slow-pause", "1s-20s");
        int slow = 0;
        for (int slot = 0; slot < 100; slot++) {
            for (int generation = 0; generation < 40; generation++) {
                SoakPlan.StreamDraw d = p.stream(slot, generation);
                assertEquals(d, p.stream(slot, generation));
                assertTrue(d.lifetimeNanos() >= 2 * SECOND && d.lifetimeNanos() <= 8 * SECOND, d.toString());
                if (d.slow()) {
                    slow++;
                    assertTrue(d.pauseNanos() >= SECOND && d.pauseNanos() <= 20 * SECOND, d.toString());
                } else {
                    assertEquals(0, d.pauseNanos());
                }
            }
        }
        // 4,000 draws at 0.25: 1,000 expected, more than 5 standard deviations (27) off would be a bug.
        assertTrue(Math.abs(slow - 1000) < 140, "slow " + slow);
        assertNotEquals(p.stream(1, 0), p.stream(0, 1));
    }

    @Test
    void eventsGoToTheHotTopicToOpenStreamsOrToTopicsNeverUsedBefore() {
        SoakPlan p = plan("--soak-topics", "2", "--soak-read-share", "0.3", "--soak-hot-share", "0.1",
                "--soak-small-size", "100-200", "--soak-large-share", "0.05", "--soak-large-size", "20000-30000");
        p.opened(3, 5);
        p.opened(4, 0);
        p.opened(4, 1);
        p.closed(3);
        p.opened(9, 2);
        SplittableRandom r = new SplittableRandom(42);
        Set<String> nobody = new HashSet<>();
        int hot = 0;
        int read = 0;
        int large = 0;
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            SoakPlan.Draw d = p.draw(r);
            if (d.topic().equals(p.hotTopic())) {
                hot++;
                assertTrue(d.size() >= 20000 && d.size() <= 30000, d.toString());
                continue;
            }
            assertTrue(d.size() >= 100 && d.size() <= 200 || d.size() >= 20000 && d.size() <= 30000, d.toString());
            large += d.size() >= 20000 ? 1 : 0;
            if (d.topic().contains("-n")) {
                assertTrue(nobody.add(d.topic()), "reused " + d.topic());
                assertTrue(d.topic().startsWith("user/r1-n") || d.topic().startsWith("jobs/r1-n"), d.topic());
            } else {
                read++;
                assertTrue(List.of("user/r1-4-1", "jobs/r1-4-1-1", "user/r1-9-2", "jobs/r1-9-2-1").contains(d.topic()),
                        d.topic());
            }
        }
        assertTrue(Math.abs(hot - 0.1 * n) < 250, "hot " + hot);
        assertEquals(hot, p.drawnHot());
        assertEquals(read, p.drawnRead());
        assertEquals(nobody.size(), p.drawnNobody());
        // Two of 100 slots open: most read draws find none in their 8 tries and go to nobody (and count as misses).
        assertTrue(read > 0 && p.readMisses() > read, read + " " + p.readMisses());
        assertTrue(Math.abs(read + p.readMisses() - 0.3 * n) < 350, read + " " + p.readMisses());
        assertTrue(Math.abs(large - 0.05 * (n - hot)) < 200, "large " + large);
    }

    @Test
    void readDrawsFindOpenStreamsWhenMostSlotsHoldOne() {
        SoakPlan p = plan("--soak-read-share", "1", "--soak-hot-share", "0");
        for (int slot = 0; slot < 100; slot++) {
            p.opened(slot, 0);
        }
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 1000; i++) {
            assertFalse(p.draw(r).topic().contains("-n"));
        }
        assertEquals(0, p.readMisses());
        assertEquals(1000, p.drawnRead());
    }

    @Test
    void aBurstIsTheLastStretchOfEveryPeriod() {
        SoakSpec.Burst b = new SoakSpec.Burst(180 * SECOND, 30 * SECOND, 4);
        assertEquals(100, b.rateAt(0, 100));
        assertEquals(100, b.rateAt(150 * SECOND - 1, 100));
        assertEquals(400, b.rateAt(150 * SECOND, 100));
        assertEquals(400, b.rateAt(180 * SECOND - 1, 100));
        assertEquals(100, b.rateAt(180 * SECOND, 100));
        assertEquals(400, b.rateAt(340 * SECOND, 100));
        assertEquals(150 * SECOND, b.nextEdgeAfter(0));
        assertEquals(180 * SECOND, b.nextEdgeAfter(150 * SECOND));
        assertEquals(330 * SECOND, b.nextEdgeAfter(180 * SECOND));
        assertEquals(360 * SECOND, b.nextEdgeAfter(340 * SECOND));
    }

    @Test
    void runIdsAreTopicCharacters() {
        assertTrue(SoakPlan.newRunId().matches("[0-9a-z]+"));
    }
}
