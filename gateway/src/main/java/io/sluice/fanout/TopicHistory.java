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
 * <p>No object per retained event but its frame. The ring is parallel arrays (id, time, frame, type, flags, and the
 * rare key, superseded id or data JSON), so the {@link Event} a commit hands over dies young once every loop has
 * drained it, and a young collection copies only the frame's buffer object of what history retains (bench/ANALYSIS.md,
 * "History's heap per event"). Readers that ask for events ({@link #newest}, {@link #after}) get events built from
 * the arrays. A topic's repeated type is stored as one string.
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
    private static final ByteBuf[] NO_FRAMES = new ByteBuf[0];
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
    private ByteBuf[] frames = NO_FRAMES;
    private String[] types = NO_STRINGS;
    private byte[] flags = NO_FLAGS;
    /** Null until a retained event has something {@link Rare}; then as long as the other arrays. */
    private Rare[] rares;
    private int head;
    private int size;
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
        frames[slot] = event.frame();
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
        tally.retained(event.frameBytes(), heapBytesOf(rare));
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
        tally.released(frames[slot].readableBytes(), heapBytesOf(rareAt(slot)));
        frames[slot].release();
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
            resize(0); // a topic that retains nothing costs no slots
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
        tally.released(frames[head].readableBytes(), heapBytesOf(rare));
        frames[head].release();
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
     * {@code max}, as retained duplicates of their frames appended to {@code frames} (and their ids to
     * {@code ids}). The caller owns each duplicate and must write or release it.
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
                frames.add(this.frames[slot].retainedDuplicate());
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

    /** Heap an event's slot holds besides {@link Retention#EVENT_HEAP_BYTES}: what {@code rare} keeps. */
    private static int heapBytesOf(Rare rare) {
        if (rare == null) {
            return 0;
        }
        return Rare.HEAP_BYTES + (rare.keptDataJson() == null ? 0 : rare.keptDataJson().length);
    }

    /** The event in {@code slot}, built from the arrays; its frame is the retained one (see the readers' rules). */
    private Event eventAt(int slot) {
        Rare rare = rareAt(slot);
        return Event.readBack(ids[slot], topic, types[slot], frames[slot], (flags[slot] & STRING_DATA) != 0,
                rare == null ? null : rare.keptDataJson(), times[slot], rare == null ? null : rare.key(),
                rare == null ? 0 : rare.supersededId());
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
        frames[to] = frames[from];
        types[to] = types[from];
        flags[to] = flags[from];
        if (rares != null) {
            rares[to] = rares[from];
        }
    }

    private void clearSlot(int slot) {
        frames[slot] = null;
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
        ByteBuf[] newFrames = none ? NO_FRAMES : new ByteBuf[length];
        String[] newTypes = none ? NO_STRINGS : new String[length];
        byte[] newFlags = none ? NO_FLAGS : new byte[length];
        Rare[] newRares = null;
        boolean anyRare = false;
        for (int i = 0; i < size; i++) {
            int slot = slot(i);
            newIds[i] = ids[slot];
            newTimes[i] = times[slot];
            newFrames[i] = frames[slot];
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
        frames = newFrames;
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
    }
}
