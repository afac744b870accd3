package io.sluice.fanout;

import io.netty.buffer.ByteBuf;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The retained events of one topic, oldest first, at most {@code capacity} of them: a ring that grows
 * lazily up to its capacity, so a quiet topic costs a few slots, not {@code historySize}.
 *
 * <p>Threading: the writer is the commit (any publishing thread, serialised by the commit lock); readers are
 * event loops replaying or catching up and snapshot requests. Every method takes this object's monitor; it
 * is held only for array walks and reference-count increments, never for I/O. Lock order: commit lock, then
 * a history monitor; nothing takes two history monitors at once.
 *
 * <p>Latest value per key (CONTRACT §12): an event with a key supersedes the earlier retained event of this topic with
 * the same key, which leaves the ring at once ({@link #removeLatest}): replay, {@code limit} replay, catch-up and
 * snapshots read only events not superseded. Superseding is not eviction: a resume from before the superseded event
 * loses nothing (it gets the newer value), so it does not move the eviction mark.
 *
 * <p>Ownership: the history owns one reference to the frame of every event it retains and releases it on
 * eviction, supersession or {@link #clear()}. Readers that want to write a frame get a {@code retainedDuplicate()} made
 * under the monitor, so eviction can never free a frame a reader is about to write.
 */
public final class TopicHistory {
    private static final int INITIAL_SLOTS = 8;

    private final int capacity;
    /** The retained event of each key, for superseding; created on the first keyed event. */
    private Map<String, Event> latestByKey;
    private Event[] ring = new Event[0];
    private int head;
    private int size;
    /** Id of the newest event evicted from this topic, 0 if none: events after it are all retained. */
    private volatile long evictedUpTo;

    public TopicHistory(int capacity) {
        this(capacity, 0);
    }

    /**
     * @param evictedUpTo events of this topic with ids up to here may have been retained and evicted before this
     *                    history existed (the topic was forgotten and is used again): a resume from before it is told
     *                    {@code reset}
     */
    TopicHistory(int capacity, long evictedUpTo) {
        this.capacity = capacity;
        this.evictedUpTo = evictedUpTo;
    }

    /**
     * Appends {@code event}, taking over one reference to its frame that the caller already holds. When the topic
     * already holds {@code capacity} events its oldest is evicted (its frame released) to make room.
     *
     * @return the event evicted to make room, {@code event} itself when this history keeps nothing ({@code capacity}
     *         0: its frame is released at once), or null
     */
    public synchronized Event append(Event event) {
        if (capacity == 0) {
            evictedUpTo = event.id();
            event.frame().release();
            return event;
        }
        if (size == ring.length && size < capacity) {
            grow();
        }
        Event evicted = null;
        if (size == capacity) {
            evicted = removeOldest();
        }
        ring[(head + size) % ring.length] = event;
        size++;
        if (event.key() != null) {
            if (latestByKey == null) {
                latestByKey = new HashMap<>();
            }
            latestByKey.put(event.key(), event);
        }
        return evicted;
    }

    /**
     * Removes this topic's retained event with {@code key}, which the event about to be appended supersedes, and
     * releases its frame. Call under the commit lock, just before {@link #append} of the superseding event.
     *
     * @return the superseded event, or null when none with that key is retained
     */
    public synchronized Event removeLatest(String key) {
        if (latestByKey == null) {
            return null;
        }
        Event superseded = latestByKey.remove(key);
        if (superseded == null) {
            return null;
        }
        int i = firstIndexAfter(superseded.id() - 1);
        if (i >= size || at(i) != superseded) {
            throw new IllegalStateException("the latest event of key " + key + " is not in its topic's history");
        }
        // close the gap from the nearer end, keeping the ring in id order
        if (i < size / 2) {
            for (int j = i; j > 0; j--) {
                ring[(head + j) % ring.length] = at(j - 1);
            }
            ring[head] = null;
            head = (head + 1) % ring.length;
        } else {
            for (int j = i; j < size - 1; j++) {
                ring[(head + j) % ring.length] = at(j + 1);
            }
            ring[(head + size - 1) % ring.length] = null;
        }
        size--;
        superseded.frame().release();
        return superseded;
    }

    /**
     * Evicts {@code expected}, which must be this topic's oldest retained event (the node-wide bounds evict in id
     * order, so it is), releasing its frame. Readers hold retained duplicates made under this monitor, so a frame
     * being written is never freed here.
     *
     * @return false, evicting nothing, if {@code expected} is not this topic's oldest retained event
     */
    public synchronized boolean evictOldest(Event expected) {
        if (size == 0 || ring[head] != expected) {
            return false;
        }
        removeOldest();
        if (size == 0) {
            ring = new Event[0]; // a topic that retains nothing costs no slots
            head = 0;
        } else if (size < ring.length / 4 && ring.length > INITIAL_SLOTS) {
            resize(Math.max(INITIAL_SLOTS, ring.length / 2)); // a burst's slots go once it has aged out
        }
        return true;
    }

    /** Whether this topic retains no event now. */
    public synchronized boolean isEmpty() {
        return size == 0;
    }

    private Event removeOldest() {
        Event oldest = ring[head];
        ring[head] = null;
        head = (head + 1) % ring.length;
        size--;
        evictedUpTo = oldest.id();
        oldest.frame().release();
        if (oldest.key() != null && latestByKey.get(oldest.key()) == oldest) {
            latestByKey.remove(oldest.key());
        }
        if (size == 0) {
            latestByKey = null;
        }
        return oldest;
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
            Event e = at(i);
            if (e.id() > upToId) {
                break;
            }
            if (filter.matches(e.type())) {
                frames.add(e.frame().retainedDuplicate());
                ids.add(e.id());
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
            Event e = at(i);
            if (e.id() <= upToId && filter.matches(e.type())) {
                out.add(view.apply(e));
            }
        }
        java.util.Collections.reverse(out.subList(start, out.size()));
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
            Event e = at(i);
            if (filter.matches(e.type())) {
                out.add(view.apply(e));
                taken++;
            }
        }
    }

    public synchronized int size() {
        return size;
    }

    /** Releases every retained frame. Called once at shutdown, after the event loops stopped. */
    public synchronized void clear() {
        for (int i = 0; i < size; i++) {
            at(i).frame().release();
        }
        ring = new Event[0];
        head = 0;
        size = 0;
        latestByKey = null;
    }

    private Event at(int i) {
        return ring[(head + i) % ring.length];
    }

    /** Index (0 = oldest) of the first event with id greater than {@code afterId}; ids are increasing. */
    private int firstIndexAfter(long afterId) {
        int lo = 0;
        int hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (at(mid).id() <= afterId) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private void grow() {
        resize(Math.min(capacity, Math.max(INITIAL_SLOTS, ring.length * 2)));
    }

    private void resize(int newLength) {
        Event[] resized = new Event[newLength];
        for (int i = 0; i < size; i++) {
            resized[i] = at(i);
        }
        ring = resized;
        head = 0;
    }
}
