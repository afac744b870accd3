package io.sluice.fanout;

/**
 * The node-wide bounds on history (CONTRACT §10), over every topic's retained events: {@code historyMaxAge} and
 * {@code historyMaxBytes}. Per-topic {@code historySize} is the topic's own ring ({@link TopicHistory}).
 *
 * <p>Every retained event of every topic is linked here in commit order, which is id order, through the event's own
 * {@code olderRetained}/{@code newerRetained} fields (no node per event). So the node's oldest retained event, whatever
 * its topic, is found in O(1); evicting it is O(1); and an event its topic evicted by count leaves this list in O(1).
 * Nothing here scans topics.
 *
 * <p>What is counted: the bytes of the retained events' encoded frames (direct memory; what
 * {@code sluice_history_bytes} reports and {@code historyMaxBytes} bounds) and, separately, an estimate of the heap
 * history holds for them (the event record and its slot, the frame's buffer object, the data's JSON where the frame
 * cannot give it back, and each topic that retains anything). The heap side is held to the same
 * {@code historyMaxBytes}, so a flood of tiny events on invented topics evicts old events rather than filling the
 * heap.
 *
 * <p>Threading: every method is called with the fan-out's commit lock held, except the {@code volatile} views read
 * by gauges from any thread.
 */
final class Retention {
    /**
     * Heap per retained event besides a kept copy of its data: the event record with its list links (88 bytes with
     * compressed oops), its frame's buffer object and reference count (88 + 16), its ring slot. From a class
     * histogram of a node retaining 317,000 events (bench/ANALYSIS.md).
     */
    static final int EVENT_HEAP_BYTES = 200;
    /** Heap of a topic that retains at least one event: its history ring's minimum, the topic and registry entry. */
    static final int TOPIC_HEAP_BYTES = 320;

    private final long maxAgeMillis;
    private final long maxBytes;
    private Event oldest;
    private Event newest;
    private long frameBytes;
    private long heapBytes;
    private volatile long frameBytesView;
    private volatile long heapBytesView;
    private volatile int eventsView;
    private int events;

    /**
     * @param maxAgeMillis events older than this are evicted; 0 for no age limit
     * @param maxBytes bound on the frames' bytes and, separately, on the heap estimate
     */
    Retention(long maxAgeMillis, long maxBytes) {
        this.maxAgeMillis = maxAgeMillis;
        this.maxBytes = maxBytes;
    }

    /** Links {@code e}, just appended to its topic's history, as the newest retained event. */
    void add(Event e, boolean topicWasEmpty) {
        e.olderRetained = newest;
        e.newerRetained = null;
        if (newest != null) {
            newest.newerRetained = e;
        } else {
            oldest = e;
        }
        newest = e;
        e.retained = true;
        events++;
        frameBytes += e.frameBytes();
        heapBytes += heapBytesOf(e) + (topicWasEmpty ? TOPIC_HEAP_BYTES : 0);
        publishViews();
    }

    /** Unlinks {@code e}, which its topic's history no longer holds. Idempotent. */
    void remove(Event e, boolean topicIsEmpty) {
        if (!e.retained) {
            return;
        }
        Event older = e.olderRetained;
        Event newer = e.newerRetained;
        if (older != null) {
            older.newerRetained = newer;
        } else {
            oldest = newer;
        }
        if (newer != null) {
            newer.olderRetained = older;
        } else {
            newest = older;
        }
        e.olderRetained = null;
        e.newerRetained = null;
        e.retained = false;
        events--;
        frameBytes -= e.frameBytes();
        heapBytes -= heapBytesOf(e) + (topicIsEmpty ? TOPIC_HEAP_BYTES : 0);
        publishViews();
    }

    /** The node's oldest retained event, or null when nothing is retained. */
    Event oldest() {
        return oldest;
    }

    /** Whether the retained events take more than {@code historyMaxBytes}, as frames or as heap. */
    boolean overBudget() {
        return frameBytes > maxBytes || heapBytes > maxBytes;
    }

    /** Whether {@code e} was accepted more than {@code historyMaxAge} before {@code nowMillis}. */
    boolean expired(Event e, long nowMillis) {
        return maxAgeMillis > 0 && nowMillis - e.timeMillis() > maxAgeMillis;
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

    private static long heapBytesOf(Event e) {
        return EVENT_HEAP_BYTES + e.keptDataBytes();
    }

    private void publishViews() {
        frameBytesView = frameBytes;
        heapBytesView = heapBytes;
        eventsView = events;
    }
}
