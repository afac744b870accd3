package io.sluice.fanout;

/**
 * The node-wide bounds on history (CONTRACT §10), over every topic's retained events: {@code historyMaxAge} and
 * {@code historyMaxBytes}. Per-topic {@code historySize} is the topic's own ring ({@link TopicHistory}).
 *
 * <p>The bounds evict the node's oldest retained event first, whatever its topic. Every topic that retains anything
 * is in a binary min-heap keyed by its oldest retained id, so that event is its topic's oldest at the heap's root: found
 * in O(1), evicted in O(log topics). A topic's key changes only when its oldest event leaves (an eviction, by count or
 * by these bounds, or a supersession) or its first arrives; appending behind its oldest costs nothing here. Nothing is
 * kept per event: history's events die young (see {@link TopicHistory}), and nothing here scans topics.
 *
 * <p>What is counted: the bytes of the retained events' encoded frames (direct memory; what
 * {@code sluice_history_bytes} reports and {@code historyMaxBytes} bounds) and, separately, an estimate of the heap
 * history holds for them (each event's slots and its frame's buffer object, what few events keep besides, and each
 * topic that retains anything). The heap side is held to the same {@code historyMaxBytes}, so a flood of tiny events
 * on invented topics evicts old events rather than filling the heap.
 *
 * <p>Threading: every method is called with the fan-out's commit lock held, except the {@code volatile} views read
 * by gauges from any thread.
 */
final class Retention implements TopicHistory.Tally {
    /**
     * Heap per retained event: its frame's buffer object and reference count (88 + 16 bytes with compressed oops) and
     * its slots in its topic's ring (id, time, frame, type, flags: 25 bytes, and up to as many again free, since a ring
     * doubles as it grows). From a class histogram of a node retaining 300,000 events (bench/ANALYSIS.md).
     */
    static final int EVENT_HEAP_BYTES = 150;
    /**
     * Heap of a topic that retains at least one event: its ring's arrays at their smallest, the topic, its registry
     * entry and its place here.
     */
    static final int TOPIC_HEAP_BYTES = 320;
    private static final int INITIAL_HEAP = 16;

    private final long maxAgeMillis;
    private final long maxBytes;
    /** The topics that retain something, a binary min-heap on {@link #keys}; {@link Topic#retentionSlot} is each one's index. */
    private Topic[] heap = new Topic[INITIAL_HEAP];
    /** Each heap entry's key: the id of its topic's oldest retained event. */
    private long[] keys = new long[INITIAL_HEAP];
    private int topics;
    private long frameBytes;
    private long heapBytes;
    private int events;
    private volatile long frameBytesView;
    private volatile long heapBytesView;
    private volatile int eventsView;

    /**
     * @param maxAgeMillis events older than this are evicted; 0 for no age limit
     * @param maxBytes bound on the frames' bytes and, separately, on the heap estimate
     */
    Retention(long maxAgeMillis, long maxBytes) {
        this.maxAgeMillis = maxAgeMillis;
        this.maxBytes = maxBytes;
    }

    @Override
    public void retained(int eventFrameBytes, int extraHeapBytes) {
        events++;
        frameBytes += eventFrameBytes;
        heapBytes += EVENT_HEAP_BYTES + extraHeapBytes;
    }

    @Override
    public void released(int eventFrameBytes, int extraHeapBytes) {
        events--;
        frameBytes -= eventFrameBytes;
        heapBytes -= EVENT_HEAP_BYTES + extraHeapBytes;
    }

    /**
     * Takes note of {@code topic}'s history after a change (an append, a supersession, an eviction): enters, leaves or
     * moves in the heap as its oldest retained event now says. Publishes the totals' views.
     */
    void update(Topic topic) {
        TopicHistory history = topic.history();
        int slot = topic.retentionSlot;
        if (history.isEmptyCommitLocked()) {
            if (slot >= 0) {
                removeAt(slot);
                heapBytes -= TOPIC_HEAP_BYTES;
            }
        } else if (slot < 0) {
            insert(topic, history.oldestIdCommitLocked());
            heapBytes += TOPIC_HEAP_BYTES;
        } else {
            long key = history.oldestIdCommitLocked();
            if (key != keys[slot]) {
                keys[slot] = key;
                siftDown(siftUp(slot));
            }
        }
        frameBytesView = frameBytes;
        heapBytesView = heapBytes;
        eventsView = events;
    }

    /** The topic whose oldest retained event is the node's oldest, or null when nothing is retained. */
    Topic oldest() {
        return topics == 0 ? null : heap[0];
    }

    /** Whether the retained events take more than {@code historyMaxBytes}, as frames or as heap. */
    boolean overBudget() {
        return frameBytes > maxBytes || heapBytes > maxBytes;
    }

    /** Whether an event accepted at {@code timeMillis} is more than {@code historyMaxAge} before {@code nowMillis}. */
    boolean expired(long timeMillis, long nowMillis) {
        return maxAgeMillis > 0 && nowMillis - timeMillis > maxAgeMillis;
    }

    /** Whether a batch of frames this large could be retained at all, with everything else evicted. */
    boolean fits(long batchFrameBytes) {
        return batchFrameBytes <= maxBytes;
    }

    /** Frame bytes of every retained event. Any thread. */
    long frameBytes() {
        return frameBytesView;
    }

    /** The heap estimate of history. Any thread. */
    long heapBytes() {
        return heapBytesView;
    }

    /** Retained events, all topics. Any thread. */
    int events() {
        return eventsView;
    }

    private void insert(Topic topic, long key) {
        if (topics == heap.length) {
            heap = java.util.Arrays.copyOf(heap, topics * 2);
            keys = java.util.Arrays.copyOf(keys, topics * 2);
        }
        place(topic, key, topics);
        topics++;
        siftUp(topics - 1);
    }

    private void removeAt(int slot) {
        Topic removed = heap[slot];
        removed.retentionSlot = -1;
        topics--;
        if (slot != topics) {
            place(heap[topics], keys[topics], slot);
            siftDown(siftUp(slot));
        }
        heap[topics] = null;
        if (topics < heap.length / 4 && heap.length > INITIAL_HEAP) {
            int length = Math.max(INITIAL_HEAP, heap.length / 2); // a burst of topics' slots go once they age out
            heap = java.util.Arrays.copyOf(heap, length);
            keys = java.util.Arrays.copyOf(keys, length);
        }
    }

    /** Moves the entry at {@code slot} towards the root while its key is smaller than its parent's; returns its slot. */
    private int siftUp(int slot) {
        Topic topic = heap[slot];
        long key = keys[slot];
        while (slot > 0) {
            int parent = (slot - 1) >>> 1;
            if (keys[parent] <= key) {
                break;
            }
            place(heap[parent], keys[parent], slot);
            slot = parent;
        }
        place(topic, key, slot);
        return slot;
    }

    private void siftDown(int slot) {
        Topic topic = heap[slot];
        long key = keys[slot];
        while (true) {
            int child = 2 * slot + 1;
            if (child >= topics) {
                break;
            }
            if (child + 1 < topics && keys[child + 1] < keys[child]) {
                child++;
            }
            if (key <= keys[child]) {
                break;
            }
            place(heap[child], keys[child], slot);
            slot = child;
        }
        place(topic, key, slot);
    }

    private void place(Topic topic, long key, int slot) {
        heap[slot] = topic;
        keys[slot] = key;
        topic.retentionSlot = slot;
    }
}
