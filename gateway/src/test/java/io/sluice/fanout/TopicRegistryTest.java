package io.sluice.fanout;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The registry's walk over every topic, which offers the core between slices, and forgetting through it. */
class TopicRegistryTest {
    private static final int TOPICS = 3 * TopicRegistry.WALK_SLICE + 7;

    private final TopicRegistry registry = new TopicRegistry(10, 1, () -> 0);

    @Test
    void aWalkVisitsEveryTopicOnceAcrossSlices() {
        for (int i = 0; i < TOPICS; i++) {
            registry.get("t" + i);
        }
        Set<String> seen = new HashSet<>();
        int[] visits = new int[1];
        registry.walk(t -> {
            visits[0]++;
            seen.add(t.name());
        });
        assertEquals(TOPICS, visits[0]);
        assertEquals(TOPICS, seen.size());
    }

    @Test
    void forgettingWalksEverySliceAndKeepsHeldTopics() {
        for (int i = 0; i < TOPICS; i++) {
            if (i % 100 == 0) {
                registry.acquire("t" + i);
            } else {
                registry.get("t" + i);
            }
        }
        int held = (TOPICS + 99) / 100;
        assertEquals(TOPICS - held, registry.forgetUnused(0, new Object()));
        assertEquals(held, registry.size());
        assertNotNull(registry.find("t" + 100 * (held - 1)));
        assertNull(registry.find("t1"));
    }
}
