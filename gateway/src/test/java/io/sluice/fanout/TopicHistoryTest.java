package io.sluice.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.sluice.api.Json;
import io.sluice.sse.SseEncoder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One topic's ring of parallel arrays: events read back with every field they were committed with, across growth,
 * wrap-around, supersession from either end and eviction; the totals it reports; frames released exactly once.
 */
class TopicHistoryTest {
    /** Records every direct buffer it creates, so a test can tell history's blocks and check their references. */
    private static final class RecordingAllocator extends AbstractByteBufAllocator {
        final List<ByteBuf> created = new ArrayList<>();

        RecordingAllocator() {
            super(true);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf buffer = new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity);
            created.add(buffer);
            return buffer;
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    private final RecordingAllocator alloc = new RecordingAllocator();
    /** The buffers history allocated as blocks to pack frames into, in order. */
    private final List<ByteBuf> blocks = new ArrayList<>();

    private final Topic topic = new Topic("t", 6, 1, 0);
    private final TopicHistory history = topic.history();
    private final Retention retention = new Retention(0, Long.MAX_VALUE);
    private final List<ByteBuf> frames = new ArrayList<>();
    /** Each committed frame's text, by id: what reading the event back must give. */
    private final Map<Long, String> frameTexts = new HashMap<>();
    /** A topic retaining enough events for its small frames to be packed into blocks. */
    private final Topic busy = new Topic("busy", 40, 1, 0);

    @AfterEach
    void evictEverythingAndCheckEveryFrameIsReleasedOnce() {
        for (Topic t : List.of(topic, busy)) {
            while (!t.history().isEmptyCommitLocked()) {
                t.history().evictOldest(retention);
            }
            retention.update(t);
        }
        assertEquals(0, retention.events());
        assertEquals(0, retention.frameBytes());
        assertEquals(0, retention.heapBytes());
        assertEquals(0, retention.slackBytesCommitLocked());
        for (ByteBuf frame : frames) {
            assertEquals(0, frame.refCnt(), "each retained frame is released once");
        }
        for (ByteBuf block : blocks) {
            assertEquals(0, block.refCnt(), "each block is released once");
        }
    }

    /** Commits event {@code id}: a string datum "v{id}", with {@code key} when not null. */
    private long append(long id, String type, String key, String data) {
        return append(topic, id, type, key, data);
    }

    private long append(Topic to, long id, String type, String key, String data) {
        byte[] literal = Json.write(g -> g.writeString(data));
        ByteBuf frame = SseEncoder.encodeStringData(alloc, type, data);
        SseEncoder.stampId(frame, id);
        frames.add(frame);
        frameTexts.put(id, frame.toString(StandardCharsets.UTF_8));
        TopicHistory h = to.history();
        long superseded = key == null ? 0 : h.removeLatest(key, retention);
        int before = alloc.created.size();
        h.append(new Event(id, to, type, frame, literal, 1000 + id, 0, key, superseded, null), retention);
        blocks.addAll(alloc.created.subList(before, alloc.created.size()));
        retention.update(to);
        return superseded;
    }

    /**
     * Checks every retained frame of {@code h}, as {@link TopicHistory#collectFrames} gives it to a replaying loop,
     * against the frame committed with its id, and releases it.
     */
    private void checkRetainedFrames(TopicHistory h) {
        List<ByteBuf> collected = new ArrayList<>();
        LongList ids = new LongList();
        assertTrue(h.collectFrames(0, Long.MAX_VALUE, TypeFilter.ALL, Integer.MAX_VALUE, collected, ids,
                Long.MAX_VALUE));
        for (int i = 0; i < collected.size(); i++) {
            ByteBuf slice = collected.get(i);
            assertEquals(frameTexts.get(ids.get(i)), slice.toString(StandardCharsets.UTF_8), "frame of " + ids.get(i));
            slice.release();
        }
        assertEquals(h.size(), collected.size());
    }

    /** History's blocks it still holds (one reference each; none is ever held twice). */
    private List<ByteBuf> liveBlocks() {
        List<ByteBuf> live = new ArrayList<>();
        for (ByteBuf block : blocks) {
            assertTrue(block.refCnt() <= 1);
            if (block.refCnt() == 1) {
                live.add(block);
            }
        }
        return live;
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

    @Test
    void smallFramesArePackedIntoBlocksAndReadBackAsCommitted() {
        TopicHistory h = busy.history();
        append(busy, 1, "m", null, "first");
        for (long id = 2; id <= 30; id++) {
            append(busy, id, id % 3 == 0 ? "three" : "m", null, "v" + id);
            int expected = id <= TopicHistory.PACK_AFTER ? 1 : 0;
            assertEquals(expected, frames.get(frames.size() - 1).refCnt(), () -> expected == 1
                    ? "a topic's first few frames are kept as they are" : "a small frame is copied, its buffer let go");
        }
        append(busy, 31, "m", "k", "keyed");
        append(busy, 32, "m", null, "x".repeat(TopicHistory.OWN_BLOCK_BYTES));
        append(busy, 33, "m", null, "after");
        assertEquals(1, frames.get(30).refCnt(), "a keyed event's frame is its own block");
        assertEquals(1, frames.get(31).refCnt(), "so is a large frame");

        checkRetainedFrames(h);
        // 23 frames of ~25 bytes packed in blocks of 256 bytes (the first 8, the keyed and the large one on their own)
        assertTrue(blocks.size() >= 2 && blocks.size() <= 4, () -> blocks.size() + " blocks");
        for (ByteBuf block : blocks) {
            assertEquals(256, block.capacity());
        }
        List<String> seen = new ArrayList<>();
        List<Event> events = new ArrayList<>();
        h.after(0, TypeFilter.ALL, 100, events);
        for (Event e : events) {
            assertEquals(frameTexts.get(e.id()).length(), e.frameBytes());
            seen.add(e.id() + "=" + e.type() + ":" + (e.id() == 32 ? "large" : data(e)));
        }
        assertEquals("1=m:\"first\"", seen.get(0));
        assertEquals("3=three:\"v3\"", seen.get(2));
        assertEquals(List.of("31=m:\"keyed\"", "32=m:large", "33=m:\"after\""), seen.subList(30, 33));

        long frameBytes = 0;
        for (String text : frameTexts.values()) {
            frameBytes += text.length();
        }
        assertEquals(frameBytes, retention.frameBytes(), "sluice_history_bytes counts the frames");
        long slack = retention.slackBytesCommitLocked();
        assertTrue(slack > 0 && slack < 2 * TopicHistory.MAX_BLOCK_BYTES, () -> "slack " + slack);
    }

    @Test
    void aBlockIsReleasedOnceNoneOfItsEventsIsRetainedAndTheSlackFollows() {
        TopicHistory h = busy.history();
        for (long id = 1; id <= 200; id++) { // capacity 40: 160 evicted by count, oldest first
            append(busy, id, "m", null, "event number " + id);
        }
        assertEquals(40, h.size());
        assertEquals(161, h.oldestIdCommitLocked());
        checkRetainedFrames(h);
        List<ByteBuf> live = liveBlocks();
        long liveCapacity = 0;
        for (ByteBuf block : live) {
            liveCapacity += block.capacity();
        }
        assertTrue(live.size() < blocks.size(), "blocks whose events were all evicted are released");
        assertEquals(0, frames.get(0).refCnt(), "the first event, its own block, was evicted and its buffer released");
        assertEquals(retention.frameBytes(), framesOf(161, 200));
        // packed blocks' capacity = their retained frames + the slack (the first frame's own block is long gone)
        assertEquals(liveCapacity, retention.frameBytes() + retention.slackBytesCommitLocked());
        while (h.size() > 1) {
            h.evictOldest(retention);
        }
        retention.update(busy);
        checkRetainedFrames(h);
        assertEquals(1, liveBlocks().size(), "only the newest event's block is left");
        h.evictOldest(retention);
        retention.update(busy);
        assertEquals(0, liveBlocks().size());
        assertEquals(0, retention.slackBytesCommitLocked(), "no block, no slack");

        append(busy, 201, "m", null, "again");
        assertEquals(1, frames.get(frames.size() - 1).refCnt(), "an emptied topic's next frame is its first again");
    }

    @Test
    void aTopicRetainingFewEventsKeepsEachFrameAsItIs() {
        for (long id = 1; id <= 10; id++) {
            append(id, "m", null, "v" + id);
        }
        assertEquals(6, history.size());
        for (int i = 4; i < 10; i++) {
            assertEquals(1, frames.get(i).refCnt(), "capacity 6: the topic never retains enough to pack");
        }
        assertEquals(0, retention.slackBytesCommitLocked());
        assertEquals(0, blocks.size());
        checkRetainedFrames(history);
    }

    private long framesOf(long fromId, long toId) {
        long bytes = 0;
        for (long id = fromId; id <= toId; id++) {
            bytes += frameTexts.get(id).length();
        }
        return bytes;
    }
}
