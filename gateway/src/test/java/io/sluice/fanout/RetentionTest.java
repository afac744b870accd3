package io.sluice.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.sluice.sse.SseEncoder;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The node-wide order of eviction over many topics: whatever each topic's ring did before (evicting by count,
 * superseding by key, emptying), the node's oldest retained event is always the one the bounds evict next. Checked
 * against a model (every retained id, in order) over random commits.
 */
class RetentionTest {
    private static final UnpooledByteBufAllocator ALLOC = new UnpooledByteBufAllocator(true);
    private static final int TOPICS = 40;
    private static final int HISTORY_SIZE = 5;

    @Test
    void theNodesOldestEventIsEvictedFirstWhateverEachTopicDid() {
        Random random = new Random(12);
        Topic[] topics = new Topic[TOPICS];
        for (int i = 0; i < TOPICS; i++) {
            topics[i] = new Topic("t" + i, HISTORY_SIZE, 1, 0);
        }
        Retention retention = new Retention(0, Long.MAX_VALUE);
        TreeMap<Long, Topic> model = new TreeMap<>();
        List<ByteBuf> frames = new ArrayList<>();
        long id = 0;
        for (int step = 0; step < 20_000; step++) {
            if (random.nextInt(3) == 0 && !model.isEmpty()) {
                // the bounds evict the node's oldest
                Topic oldest = retention.oldest();
                Long expected = model.firstKey();
                assertSame(model.get(expected), oldest, "step " + step);
                assertEquals(expected, oldest.history().evictOldest(retention));
                retention.update(oldest);
                model.remove(expected);
            } else {
                Topic topic = topics[random.nextInt(random.nextBoolean() ? 4 : TOPICS)];
                String key = random.nextInt(4) == 0 ? "k" + random.nextInt(3) : null;
                id++;
                ByteBuf frame = SseEncoder.encodeStringData(ALLOC, "m", "e" + id);
                SseEncoder.stampId(frame, id);
                frames.add(frame);
                TopicHistory history = topic.history();
                long superseded = key == null ? 0 : history.removeLatest(key, retention);
                model.remove(superseded);
                List<Event> before = new ArrayList<>();
                history.after(0, TypeFilter.ALL, HISTORY_SIZE, before);
                boolean evicted = history.append(new Event(id, topic, "m", frame, new byte[] {'"', 'e', '"'}, id, 0,
                        key, superseded, null), retention);
                retention.update(topic);
                if (evicted) {
                    model.remove(before.get(0).id());
                }
                model.put(id, topic);
            }
            assertEquals(model.size(), retention.events(), "step " + step);
        }
        while (!model.isEmpty()) {
            Topic oldest = retention.oldest();
            assertEquals(model.pollFirstEntry().getKey(), oldest.history().evictOldest(retention));
            retention.update(oldest);
        }
        assertNull(retention.oldest());
        assertEquals(0, retention.frameBytes());
        assertEquals(0, retention.heapBytes());
        for (ByteBuf frame : frames) {
            assertEquals(0, frame.refCnt());
        }
    }
}
