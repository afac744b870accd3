package io.sluice.bench.load;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopicPlanTest {

    @Test
    void sharedAndPerStream() {
        TopicPlan shared = TopicPlan.of(LoadOptions.parseTopics("shared"), 100, 1);
        assertEquals(1, shared.topicCount());
        assertEquals(0, shared.topicOf(57));
        TopicPlan per = TopicPlan.of(new LoadOptions.TopicSpec(LoadOptions.TopicSpec.Kind.PER_STREAM, 100, 0), 100, 1);
        assertEquals(100, per.topicCount());
        assertEquals(57, per.topicOf(57));
        assertEquals("load/57", TopicPlan.topicName(57));
    }

    @Test
    void zipfIsDeterministicAndSkewed() {
        LoadOptions.TopicSpec spec = LoadOptions.parseTopics("zipf:100");
        TopicPlan a = TopicPlan.of(spec, 10_000, 42);
        TopicPlan b = TopicPlan.of(spec, 10_000, 42);
        int[] counts = new int[100];
        int[] again = new int[100];
        for (int i = 0; i < 10_000; i++) {
            counts[a.topicOf(i)]++;
            again[b.topicOf(i)]++;
        }
        assertArrayEquals(counts, again);
        // With s = 1 and K = 100, topic 0 draws 1/H(100) ~ 19% of the streams, topic 99 about 0.2%.
        assertTrue(counts[0] > 1500 && counts[0] < 2300, "topic 0: " + counts[0]);
        assertTrue(counts[0] > 5 * counts[9], counts[0] + " vs " + counts[9]);
        assertTrue(counts[99] < 60, "topic 99: " + counts[99]);
    }
}
