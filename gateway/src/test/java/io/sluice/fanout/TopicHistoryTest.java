package io.sluice.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.sluice.api.Json;
import io.sluice.sse.SseEncoder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One topic's ring of parallel arrays: events read back with every field they were committed with, across growth,
 * wrap-around, supersession from either end and eviction; the totals it reports; frames released exactly once.
 */
class TopicHistoryTest {
    private static final UnpooledByteBufAllocator ALLOC = new UnpooledByteBufAllocator(true);

    private final Topic topic = new Topic("t", 6, 1, 0);
    private final TopicHistory history = topic.history();
    private final Retention retention = new Retention(0, Long.MAX_VALUE);
    private final List<ByteBuf> frames = new ArrayList<>();

    @AfterEach
    void evictEverythingAndCheckEveryFrameIsReleasedOnce() {
        while (!history.isEmptyCommitLocked()) {
            history.evictOldest(retention);
        }
        retention.update(topic);
        assertEquals(0, retention.events());
        assertEquals(0, retention.frameBytes());
        assertEquals(0, retention.heapBytes());
        for (ByteBuf frame : frames) {
            assertEquals(0, frame.refCnt(), "each retained frame is released once");
        }
    }

    /** Commits event {@code id}: a string datum "v{id}", with {@code key} when not null. */
    private long append(long id, String type, String key, String data) {
        byte[] literal = Json.write(g -> g.writeString(data));
        ByteBuf frame = SseEncoder.encodeStringData(ALLOC, type, data);
        SseEncoder.stampId(frame, id);
        frames.add(frame);
        long superseded = key == null ? 0 : history.removeLatest(key, retention);
        history.append(new Event(id, topic, type, frame, literal, 1000 + id, 0, key, superseded, null), retention);
        retention.update(topic);
        return superseded;
    }

    private List<Event> all() {
        List<Event> out = new ArrayList<>();
        history.after(0, TypeFilter.ALL, 100, out);
        return out;
    }

    private static String data(Event e) {
        return new String(e.dataJson(), StandardCharsets.UTF_8);
    }

    @Test
    void eventsReadBackWithTheirFieldsAcrossGrowthAndWrapAround() {
        for (long id = 1; id <= 9; id++) {
            append(id, id % 2 == 0 ? "even" : "odd", null, "v" + id);
        }
        List<String> seen = new ArrayList<>();
        for (Event e : all()) {
            assertSame(topic, e.topic());
            assertEquals(1000 + e.id(), e.timeMillis());
            assertEquals(e.id() % 2 == 0 ? "even" : "odd", e.type());
            assertNull(e.key());
            seen.add(e.id() + "=" + data(e));
        }
        // capacity 6: 1..3 evicted by count, the ring wrapped
        assertEquals(List.of("4=\"v4\"", "5=\"v5\"", "6=\"v6\"", "7=\"v7\"", "8=\"v8\"", "9=\"v9\""), seen);
        assertEquals(6, retention.events());
        assertTrue(history.retainsAllAfter(3));
        assertEquals(4, history.oldestIdCommitLocked());
        assertEquals(1004, history.oldestTimeCommitLocked());
    }

    @Test
    void aRepeatedTypeIsStoredOnce() {
        append(1, new String("tick"), null, "a");
        append(2, new String("tick"), null, "b");
        List<Event> events = all();
        assertSame(events.get(0).type(), events.get(1).type());
    }

    @Test
    void supersessionClosesTheGapFromEitherEndAndKeyedEventsKeepTheirKey() {
        append(1, "m", "a", "a1");
        append(2, "m", "b", "b1");
        append(3, "m", null, "x");
        append(4, "m", "c", "c1");
        append(5, "m", null, "y");
        assertEquals(2, append(6, "m", "b", "b2"), "near the oldest end");
        assertEquals(4, append(7, "m", "c", "c2"), "near the newest end");
        List<String> seen = new ArrayList<>();
        for (Event e : all()) {
            seen.add(e.id() + ":" + e.key() + "=" + data(e) + "/" + e.supersededId());
        }
        assertEquals(List.of("1:a=\"a1\"/0", "3:null=\"x\"/0", "5:null=\"y\"/0", "6:b=\"b2\"/2", "7:c=\"c2\"/4"), seen);
        assertEquals(5, retention.events());
        assertTrue(history.retainsAllAfter(0), "superseding is not eviction");
    }

    @Test
    void dataTheFrameCannotGiveBackIsKeptAndCountedOnTheHeap() {
        append(1, "m", null, "plain");
        long plainHeap = retention.heapBytes();
        append(2, "m", null, "carriage\rreturn");
        List<Event> events = all();
        assertEquals("\"carriage\\rreturn\"", data(events.get(1)));
        assertTrue(retention.heapBytes() - plainHeap > Retention.EVENT_HEAP_BYTES,
                "the kept JSON is counted besides the event's estimate");
        history.evictOldest(retention);
        history.evictOldest(retention);
        retention.update(topic);
        assertEquals(0, retention.heapBytes());
        assertTrue(history.isEmpty());
    }
}
