package io.sluice.fanout;

import io.netty.buffer.ByteBuf;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The retained events of one topic, oldest first, at most {@code capacity} of them: a ring that grows
 * lazily up to its capacity, so a quiet topic costs a few slots, not {@code historySize}.
 *
 * <p>No object per retained event. The ring is parallel arrays (id, time, where the frame is, type, flags, and the
 * rare key, superseded id or data JSON), so the {@link Event} a commit hands over dies young once every loop has
 * drained it (bench/ANALYSIS.md, "History's heap per event"). Readers that ask for events ({@link #newest},
 * {@link #after}) get events built from the arrays. A topic's repeated type is stored as one string.
 *
 * <p>Frames live in blocks: direct buffers each holding one or more retained frames, each slot naming its block, offset
 * and length. A small frame (under {@link #OWN_BLOCK_BYTES}) of an event without a key, in a topic that already retains
 * {@link #PACK_AFTER} events, is copied into the topic's filling block (up to {@link #MAX_BLOCK_BYTES}, sized to what the topic
 * retains), and its own buffer goes back to the pool once the loops have written it. So history keeps one buffer
 * object per block rather than per event, and what G1 copies and scans of a full history is a few bytes per
 * event (bench/ANALYSIS.md, "History's frames in blocks"). A large frame, a keyed event's (a supersession removes it from
 * the middle of the ring, and packed it would pin its block) and a topic's first few (a topic that keeps a few events
 * has no block around them) stay the buffers they were encoded into, each its own block. Eviction is oldest first, so a block
 * empties from its start; it is released once none of its events is retained. What blocks hold beyond their retained
 * frames (the filling block's free end, an oldest block's evicted start) is the history's slack, counted by the
 * {@link Tally} against {@code historyMaxBytes} with the frames.
 *
 * <p>Threading: the writer is the commit (any publishing thread, serialised by the commit lock); readers are
 * event loops replaying or catching up and snapshot requests. Every method takes this object's monitor; it
 * is held only for array walks and reference-count increments, never for I/O. Lock order: commit lock, then
 * a history monitor; nothing takes two history monitors at once. The methods named {@code …CommitLocked} read without
 * the monitor: every write happens under the commit lock, which their callers hold.
 *
 * <p>Latest value per key (CONTRACT §12): an event with a key supersedes the earlier retained event of this topic with
 * the same key, which leaves the ring at once ({@link #removeLatest}): replay, {@code limit} replay, catch-up and
 * snapshots read only events not superseded. Superseding is not eviction: a resume from before the superseded event
 * loses nothing (it gets the newer value), so it does not move the eviction mark.
 *
 * <p>Ownership: the history owns one reference to the frame of every event it retains and releases it on
 * eviction or supersession (at shutdown the fan-out evicts everything). Readers that want to write a frame get a {@code retainedDuplicate()} made
 * under the monitor, so eviction can never free a frame a reader is about to write.
 */
public final class TopicHistory {
    private static final int INITIAL_SLOTS = 2;
    private static final long[] NO_LONGS = new long[0];
    private static final int[] NO_INTS = new int[0];
    private static final ByteBuf[] NO_BLOCKS = new ByteBuf[0];
    /** Frames this large or larger stay in their own buffer: copying them would save little heap per byte retained. */
    static final int OWN_BLOCK_BYTES = 512;
    /**
     * The largest block frames are packed into. A new block is sized for four frames like the one being appended or an
     * eighth of what the topic retains, whichever is more, in powers of two from {@link #MIN_BLOCK_BYTES}: so a
     * topic's slack (its filling block's free end and its oldest block's evicted start, two blocks at most) stays
     * within a quarter of what it retains, or eight frames.
     */
    static final int MAX_BLOCK_BYTES = 4096;
    private static final int MIN_BLOCK_BYTES = 256;
    /**
     * A topic packs frames once it retains this many events; until then each frame is its own block. So a topic that
     * keeps a few events (a user's notifications, a quiet topic) has no slack, and one that keeps many has at most about
     * a block's worth: under a fifth of what it retains.
     */
    static final int PACK_AFTER = 8;
    /** A frame's buffer object and its reference count (88 + 16 bytes with compressed oops), kept per own block. */
    static final int OWN_BLOCK_HEAP_BYTES = 104;
    private static final String[] NO_STRINGS = new String[0];
    private static final byte[] NO_FLAGS = new byte[0];
    /** {@link #flags} bit: the data is a JSON string (see {@link Event}). */
    private static final byte STRING_DATA = 1;

    /** What few retained events have: a key (and the id it superseded), or data JSON the frame cannot give back. */
    private record Rare(String key, long supersededId, byte[] keptDataJson) {
        /** Heap of the record and, for a key, its entry in {@link #latestByKey}; the JSON's bytes are counted apart. */
        static final int HEAP_BYTES = 32 + 48;

        static Rare of(Event e) {
            byte[] kept = e.keptDataJson();
            return e.key() == null && kept == null ? null : new Rare(e.key(), e.supersededId(), kept);
        }
    }

    private final Topic topic;
    private final int capacity;
    /** The retained event's id of each key, for superseding; created on the first keyed event. */
    private Map<String, Long> latestByKey;
    private long[] ids = NO_LONGS;
    private long[] times = NO_LONGS;
    /** Each slot's frame: the index of its block in {@link #blocks}, and where in it. */
    private int[] blockOf = NO_INTS;
    private int[] offsets = NO_INTS;
    private int[] lengths = NO_INTS;
    private String[] types = NO_STRINGS;
    private byte[] flags = NO_FLAGS;
    /** Null until a retained event has something {@link Rare}; then as long as the other arrays. */
    private Rare[] rares;
    private int head;
    private int size;
    /** The blocks, by index; null where an index is free. History owns one reference to each. */
    private ByteBuf[] blocks = NO_BLOCKS;
    /** Per block index: the retained events whose frames it holds. */
    private int[] blockEvents = NO_INTS;
    /** Per block index: its capacity if frames are packed into it (its slack is counted), 0 if it is one frame's own. */
    private int[] packedCapacity = NO_INTS;
    /** Free block indexes (a stack of {@link #freeCount}); indexes at or above {@link #blockCount} were never used. */
    private int[] freeBlocks = NO_INTS;
    private int freeCount;
    private int blockCount;
    /** The block small frames are copied into, -1 if none. */
    private int fillingBlock = -1;
    /** Bytes of the retained frames. */
    private long retainedBytes;
    /** Id of the newest event evicted from this topic, 0 if none: events after it are all retained. */
    private volatile long evictedUpTo;

    /**
     * @param topic       the topic whose history this is; events read back name it
     * @param evictedUpTo events of this topic with ids up to here may have been retained and evicted before this
     *                    history existed (the topic was forgotten and is used again): a resume from before it is told
     *                    {@code reset}
     */
    TopicHistory(Topic topic, int capacity, long evictedUpTo) {
        this.topic = topic;
        this.capacity = capacity;
        this.evictedUpTo = evictedUpTo;
    }

    /**
     * Appends {@code event}, taking over one reference to its frame that the caller already holds. When the topic
     * already holds {@code capacity} events its oldest is evicted (its frame released) to make room. With capacity 0
     * nothing is retained and the frame is released at once. Commit lock held.
     *
     * @param tally told what is retained and what leaves
     * @return whether an event was evicted to make room
     */
    public synchronized boolean append(Event event, Tally tally) {
        if (capacity == 0) {
            evictedUpTo = event.id();
            event.frame().release();
            return false;
        }
        if (size == ids.length && size < capacity) {
            resize(Math.min(capacity, Math.max(INITIAL_SLOTS, ids.length * 2)));
        }
        boolean evicted = false;
        if (size == capacity) {
            evictedUpTo = removeOldest(tally);
            evicted = true;
        }
        int slot = slot(size);
        ids[slot] = event.id();
        times[slot] = event.timeMillis();
        keepFrame(slot, event, tally);
        types[slot] = sharedType(event.type());
        flags[slot] = event.hasStringData() ? STRING_DATA : 0;
        Rare rare = Rare.of(event);
        if (rare != null || rares != null) {
            rares()[slot] = rare;
        }
        size++;
        if (event.key() != null) {
            if (latestByKey == null) {
                latestByKey = new HashMap<>();
            }
            latestByKey.put(event.key(), event.id());
        }
        tally.retained(event.frameBytes(), extraHeapBytes(slot));
        return evicted;
    }

    /**
     * Removes this topic's retained event with {@code key}, which the event about to be appended supersedes, and
     * releases its frame. Call under the commit lock, just before {@link #append} of the superseding event.
     *
     * @return the superseded event's id, or 0 when none with that key is retained
     */
    public synchronized long removeLatest(String key, Tally tally) {
        if (latestByKey == null) {
            return 0;
        }
        Long superseded = latestByKey.remove(key);
        if (superseded == null) {
            return 0;
        }
        long id = superseded;
        int i = firstIndexAfter(id - 1);
        if (i >= size || idAt(i) != id) {
            throw new IllegalStateException("the latest event of key " + key + " is not in its topic's history");
        }
        int slot = slot(i);
        tally.released(lengths[slot], extraHeapBytes(slot));
        releaseFrame(slot, tally);
        // close the gap from the nearer end, keeping the ring in id order
        if (i < size / 2) {
            for (int j = i; j > 0; j--) {
                move(slot(j - 1), slot(j));
            }
            clearSlot(head);
            head = (head + 1) % ids.length;
        } else {
            for (int j = i; j < size - 1; j++) {
                move(slot(j + 1), slot(j));
            }
            clearSlot(slot(size - 1));
        }
        size--;
        return id;
    }

    /**
     * Evicts this topic's oldest retained event, releasing its frame: the node-wide bounds evict in id order, so the
     * node's oldest event is its topic's oldest. Readers hold retained duplicates made under this monitor, so a frame
     * being written is never freed here. Commit lock held; the history must not be empty.
     *
     * @return the evicted event's id
     */
    public synchronized long evictOldest(Tally tally) {
        long id = removeOldest(tally);
        evictedUpTo = id;
        if (size == 0) {
            resize(0); // a topic that retains nothing costs no slots and no blocks
            blocks = NO_BLOCKS;
            blockEvents = NO_INTS;
            packedCapacity = NO_INTS;
            freeBlocks = NO_INTS;
            freeCount = 0;
            blockCount = 0;
        } else if (size < ids.length / 4 && ids.length > INITIAL_SLOTS) {
            resize(Math.max(INITIAL_SLOTS, ids.length / 2)); // a burst's slots go once it has aged out
        }
        return id;
    }

    /** Whether this topic retains no event now. */
    public synchronized boolean isEmpty() {
        return size == 0;
    }

    /** {@link #isEmpty()} for a holder of the commit lock. */
    boolean isEmptyCommitLocked() {
        return size == 0;
    }

    /** Id of the oldest retained event; commit lock held, history not empty. */
    long oldestIdCommitLocked() {
        return ids[head];
    }

    /** When the oldest retained event was accepted (epoch milliseconds); commit lock held, history not empty. */
    long oldestTimeCommitLocked() {
        return times[head];
    }

    /** Removes the oldest event, releasing its frame; returns its id. The caller moves {@link #evictedUpTo}. */
    private long removeOldest(Tally tally) {
        long id = ids[head];
        Rare rare = rareAt(head);
        tally.released(lengths[head], extraHeapBytes(head));
        releaseFrame(head, tally);
        if (rare != null && rare.key() != null) {
            latestByKey.remove(rare.key(), id); // a retained keyed event is its key's latest
        }
        clearSlot(head);
        head = (head + 1) % ids.length;
        size--;
        if (size == 0) {
            latestByKey = null;
        }
        return id;
    }

    /** Whether every event of this topic with an id greater than {@code afterId} is still retained. */
    public boolean retainsAllAfter(long afterId) {
        return evictedUpTo <= afterId;
    }

    /**
     * Collects events with {@code afterId < id <= upToId} accepted by {@code filter}, oldest first, at most
     * {@code max}, as retained slices of their frames appended to {@code frames} (and their ids to
     * {@code ids}). The caller owns each slice and must write or release it.
     *
     * @param owedAfter evicted events at or below this id are not owed to the reader (a {@code limit} replay
     *                  asked only for what is retained); pass 0 when every event after {@code afterId} is owed
     * @return false, collecting nothing, if an owed event after {@code afterId} was already evicted
     */
    public synchronized boolean collectFrames(long afterId, long upToId, TypeFilter filter, int max,
                                              List<ByteBuf> frames, LongList ids, long owedAfter) {
        if (evictedUpTo > afterId && evictedUpTo > owedAfter) {
            return false;
        }
        int taken = 0;
        for (int i = firstIndexAfter(afterId); i < size && taken < max; i++) {
            int slot = slot(i);
            if (this.ids[slot] > upToId) {
                break;
            }
            if (filter.matches(types[slot])) {
                frames.add(blocks[blockOf[slot]].retainedSlice(offsets[slot], lengths[slot]));
                ids.add(this.ids[slot]);
                taken++;
            }
        }
        return true;
    }

    /**
     * Adds to {@code out} the newest {@code max} events with {@code id <= upToId} accepted by {@code filter},
     * oldest first. No reference is taken: the caller may read every field of an event except its frame and its data
     * (which most events read from the frame; use {@link #newest(long, TypeFilter, int, Function, List)}).
     */
    public void newest(long upToId, TypeFilter filter, int max, List<Event> out) {
        newest(upToId, filter, max, Function.identity(), out);
    }

    /**
     * {@link #newest(long, TypeFilter, int, List)}, adding {@code view} of each event instead. {@code view} runs under
     * this monitor, where eviction cannot release the frame: it may read the event's {@link Event#dataJson()}.
     */
    public synchronized <T> void newest(long upToId, TypeFilter filter, int max, Function<Event, T> view,
                                        List<T> out) {
        int start = out.size();
        for (int i = size - 1; i >= 0 && out.size() - start < max; i--) {
            int slot = slot(i);
            if (ids[slot] <= upToId && filter.matches(types[slot])) {
                out.add(view.apply(eventAt(slot)));
            }
        }
        Collections.reverse(out.subList(start, out.size()));
    }

    /**
     * Adds to {@code out} the oldest {@code max} events with {@code id > afterId} accepted by {@code filter}; what the
     * caller may read of them is as for {@link #newest(long, TypeFilter, int, List)}.
     */
    public void after(long afterId, TypeFilter filter, int max, List<Event> out) {
        after(afterId, filter, max, Function.identity(), out);
    }

    /**
     * {@link #after(long, TypeFilter, int, List)} with a {@code view} run under this monitor, as for
     * {@link #newest(long, TypeFilter, int, Function, List)}.
     */
    public synchronized <T> void after(long afterId, TypeFilter filter, int max, Function<Event, T> view, List<T> out) {
        int taken = 0;
        for (int i = firstIndexAfter(afterId); i < size && taken < max; i++) {
            int slot = slot(i);
            if (filter.matches(types[slot])) {
                out.add(view.apply(eventAt(slot)));
                taken++;
            }
        }
    }

    public synchronized int size() {
        return size;
    }

    /**
     * Heap the event in {@code slot} holds besides {@link Retention#EVENT_HEAP_BYTES}: its frame's buffer object if
     * the frame is its own block, and what its {@link Rare} keeps.
     */
    private int extraHeapBytes(int slot) {
        int ownBlock = packedCapacity[blockOf[slot]] == 0 ? OWN_BLOCK_HEAP_BYTES : 0;
        return ownBlock + heapBytesOf(rareAt(slot));
    }

    /** Heap a {@link Rare} keeps. */
    private static int heapBytesOf(Rare rare) {
        if (rare == null) {
            return 0;
        }
        return Rare.HEAP_BYTES + (rare.keptDataJson() == null ? 0 : rare.keptDataJson().length);
    }

    /** The event in {@code slot}, built from the arrays; its frame is the retained one (see the readers' rules). */
    private Event eventAt(int slot) {
        Rare rare = rareAt(slot);
        return Event.readBack(ids[slot], topic, types[slot], blocks[blockOf[slot]].slice(offsets[slot], lengths[slot]),
                (flags[slot] & STRING_DATA) != 0,
                rare == null ? null : rare.keptDataJson(), times[slot], rare == null ? null : rare.key(),
                rare == null ? 0 : rare.supersededId());
    }

    /**
     * Puts the frame of the event being appended into {@code slot}, taking over history's reference to it: as its own
     * block, or copied into the filling block (then the reference is released: the loops hold their own).
     */
    private void keepFrame(int slot, Event event, Tally tally) {
        ByteBuf frame = event.frame();
        int length = frame.readableBytes();
        int block;
        if (size < PACK_AFTER || event.key() != null || length >= OWN_BLOCK_BYTES) {
            block = addBlock(frame, 0);
            offsets[slot] = frame.readerIndex();
        } else {
            block = fillingBlockFor(length, frame, tally);
            ByteBuf packed = blocks[block];
            offsets[slot] = packed.writerIndex();
            packed.writeBytes(frame, frame.readerIndex(), length);
            tally.slack(-length);
            frame.release();
        }
        blockOf[slot] = block;
        lengths[slot] = length;
        blockEvents[block]++;
        retainedBytes += length;
    }

    /** The filling block if {@code length} more bytes fit in it, else a new one (the old one keeps its events). */
    private int fillingBlockFor(int length, ByteBuf frame, Tally tally) {
        if (fillingBlock >= 0) {
            ByteBuf filling = blocks[fillingBlock];
            if (filling.capacity() - filling.writerIndex() >= length) {
                return fillingBlock;
            }
        }
        int wanted = (int) Math.min(MAX_BLOCK_BYTES, Math.max(4L * length, retainedBytes / 8));
        int capacity = Math.min(MAX_BLOCK_BYTES, Math.max(MIN_BLOCK_BYTES, Integer.highestOneBit(wanted - 1) << 1));
        ByteBuf block = frame.alloc().directBuffer(capacity, capacity);
        fillingBlock = addBlock(block, capacity);
        tally.slack(capacity);
        return fillingBlock;
    }

    /** Gives {@code buffer} (whose reference history now owns) a block index. */
    private int addBlock(ByteBuf buffer, int packed) {
        int index;
        if (freeCount > 0) {
            index = freeBlocks[--freeCount];
        } else {
            if (blockCount == blocks.length) {
                int length = Math.max(INITIAL_SLOTS, blocks.length * 2);
                blocks = java.util.Arrays.copyOf(blocks, length);
                blockEvents = java.util.Arrays.copyOf(blockEvents, length);
                packedCapacity = java.util.Arrays.copyOf(packedCapacity, length);
                freeBlocks = java.util.Arrays.copyOf(freeBlocks, length);
            }
            index = blockCount++;
        }
        blocks[index] = buffer;
        blockEvents[index] = 0;
        packedCapacity[index] = packed;
        return index;
    }

    /** The event in {@code slot} leaves: its block holds one event fewer, and is released once it holds none. */
    private void releaseFrame(int slot, Tally tally) {
        int block = blockOf[slot];
        int packed = packedCapacity[block];
        retainedBytes -= lengths[slot];
        if (packed > 0) {
            tally.slack(lengths[slot]);
        }
        if (--blockEvents[block] == 0) {
            if (packed > 0) {
                tally.slack(-packed);
            }
            blocks[block].release();
            blocks[block] = null;
            freeBlocks[freeCount++] = block;
            if (block == fillingBlock) {
                fillingBlock = -1;
            }
        }
    }

    /** {@code type}, or the equal string an earlier retained event of this topic has: one string per repeated type. */
    private String sharedType(String type) {
        if (type == null || size == 0) {
            return type;
        }
        String newest = types[slot(size - 1)];
        return type.equals(newest) ? newest : type;
    }

    private Rare[] rares() {
        if (rares == null) {
            rares = new Rare[ids.length];
        }
        return rares;
    }

    private Rare rareAt(int slot) {
        return rares == null ? null : rares[slot];
    }

    private long idAt(int i) {
        return ids[slot(i)];
    }

    private int slot(int i) {
        return (head + i) % ids.length;
    }

    private void move(int from, int to) {
        ids[to] = ids[from];
        times[to] = times[from];
        blockOf[to] = blockOf[from];
        offsets[to] = offsets[from];
        lengths[to] = lengths[from];
        types[to] = types[from];
        flags[to] = flags[from];
        if (rares != null) {
            rares[to] = rares[from];
        }
    }

    private void clearSlot(int slot) {
        types[slot] = null;
        if (rares != null) {
            rares[slot] = null;
        }
    }

    /** Index (0 = oldest) of the first event with id greater than {@code afterId}; ids are increasing. */
    private int firstIndexAfter(long afterId) {
        int lo = 0;
        int hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (idAt(mid) <= afterId) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Copies the retained events, oldest first, into arrays of {@code length} slots (0: no arrays at all). */
    private void resize(int length) {
        boolean none = length == 0;
        long[] newIds = none ? NO_LONGS : new long[length];
        long[] newTimes = none ? NO_LONGS : new long[length];
        int[] newBlockOf = none ? NO_INTS : new int[length];
        int[] newOffsets = none ? NO_INTS : new int[length];
        int[] newLengths = none ? NO_INTS : new int[length];
        String[] newTypes = none ? NO_STRINGS : new String[length];
        byte[] newFlags = none ? NO_FLAGS : new byte[length];
        Rare[] newRares = null;
        boolean anyRare = false;
        for (int i = 0; i < size; i++) {
            int slot = slot(i);
            newIds[i] = ids[slot];
            newTimes[i] = times[slot];
            newBlockOf[i] = blockOf[slot];
            newOffsets[i] = offsets[slot];
            newLengths[i] = lengths[slot];
            newTypes[i] = types[slot];
            newFlags[i] = flags[slot];
            anyRare |= rareAt(slot) != null;
        }
        if (anyRare) {
            newRares = new Rare[length];
            for (int i = 0; i < size; i++) {
                newRares[i] = rareAt(slot(i));
            }
        }
        ids = newIds;
        times = newTimes;
        blockOf = newBlockOf;
        offsets = newOffsets;
        lengths = newLengths;
        types = newTypes;
        flags = newFlags;
        rares = newRares;
        head = 0;
    }

    /**
     * What history's changes add to and take from the node-wide bounds ({@link Retention}): the frame's bytes and the
     * heap kept besides the per-event estimate. Called under the commit lock, inside a history's monitor.
     */
    interface Tally {
        void retained(int frameBytes, int extraHeapBytes);

        void released(int frameBytes, int extraHeapBytes);

        /**
         * The bytes blocks hold beyond their retained frames changed by {@code delta}: up by a block's capacity when it
         * is allocated and by a frame's length when it leaves a block that stays; down as frames are copied in and when
         * a block is released.
         */
        void slack(int delta);
    }
}
