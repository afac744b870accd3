package io.sluice.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.sluice.metrics.GatewayMetrics;
import org.jctools.queues.MpscArrayQueue;

import java.util.Arrays;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The fan-out of one event loop: a bounded lock-free MPSC queue of committed events, drained on the loop
 * into the loop's own subscribers.
 *
 * <p>Queue contract (JCTools {@link MpscArrayQueue}): producers are committing publishers, serialised by the
 * commit lock, so events enter in id order; {@link #offer} returns false iff the queue is full (the commit
 * checks room first, so it never is). The single consumer is this loop's thread, in {@link #run()}.
 *
 * <p>Wake-up protocol: a producer offers, then schedules a drain only if it flips {@code drainScheduled}
 * from false to true. The drain clears the flag after emptying the queue and re-checks, so no event waits
 * for the next publish. One {@code execute} per burst, not per event. After a wide drain (many streams per event) the
 * next one is scheduled {@link #COALESCE_NANOS} after it started instead, so a busy topic's events join into fewer
 * writes ({@link #scheduleDrain()}).
 *
 * <p>Drain: each event is written as a {@code retainedDuplicate()} with the void promise to every matching
 * subscriber of its topic on this loop; each written channel is flushed once at the end of the batch. A batch
 * ends at {@link #MAX_BATCH} events or {@link #MAX_WRITES_PER_DRAIN} writes. No locks, no allocation per
 * subscriber (outbound entries and pooled duplicates are recycled on event-loop threads), no cross-thread
 * channel calls. A connection event (no topic, one target on this loop) costs the drain one branch, where it is taken
 * from the queue: it is written to its target alone and ends any run.
 */
public final class LoopFanout implements Runnable {
    /** Events drained per task before yielding to I/O; bounds the latency one burst adds to reads. */
    static final int MAX_BATCH = 1024;
    /**
     * Writes per drain after which no further event is taken before the flush. Every write holds a recycled
     * outbound entry and a pooled duplicate until the flush; keeping them below Netty's per-thread recycler
     * capacity (raised above this by {@code Main}, see {@link #RECYCLER_CAPACITY}) is what makes fan-out
     * allocation-free, and it bounds a drain's transient heap to a few MiB however many streams a loop has.
     * An event is always delivered whole, so one event to more streams than this is still one batch.
     */
    public static final int MAX_WRITES_PER_DRAIN = 16_384;
    /** Most events joined into one write per subscriber; bounds the copy and a watermark's overshoot. */
    static final int MAX_RUN_EVENTS = 64;
    /** A run stops growing once its frames reach this many bytes. */
    static final int MAX_RUN_BYTES = 64 * 1024;
    /**
     * A drain that wrote to at least this many streams per event on average is <em>wide</em>: the next one waits until
     * {@link #COALESCE_NANOS} after it started (see {@link #wake()}).
     */
    static final int WIDE_FANOUT = 64;
    /**
     * After a wide drain, how long events gather before the next one: at 1,000 events/s to 1,000 streams, drains 4 ms
     * apart join about four events into each stream's write, a quarter of the system calls on both ends (the sender's
     * core also runs loopback's receive path) for at most 4 ms more latency. Narrow fan-out (one event to a few
     * streams, as one topic per user) never waits: joining would save nothing there.
     */
    static final long COALESCE_NANOS = TimeUnit.MILLISECONDS.toNanos(4);
    /** Recycler capacity per thread that {@link #MAX_WRITES_PER_DRAIN} needs, with room to spare. */
    public static final int RECYCLER_CAPACITY = 4 * MAX_WRITES_PER_DRAIN;

    private final int index;
    private final EventLoop eventLoop;
    private final MpscArrayQueue<Event> queue;
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final GatewayMetrics metrics;
    private final long heartbeatNanos;
    private final int maxWritesPerDrain;
    private final SubscriberList streams = new SubscriberList();
    private final long[] batchAcceptedNanos = new long[MAX_BATCH];
    /** The run being delivered; slots are cleared after each run. Loop thread only. */
    private final Event[] run = new Event[MAX_RUN_EVENTS];
    /** Writes made in the drain under way: its budget ({@link #MAX_WRITES_PER_DRAIN}). Loop thread only. */
    private long drainWrites;

    /** Id of the newest event drained here. Loop thread only. */
    private long lastDrainedId;
    /** {@link #lastDrainedId} as of the end of the last drain, for other threads (topic forgetting). */
    private volatile long drainedPosition;
    /**
     * Subscribers written to since the last flush, each once (its own flag). Kept at least as long as the loop's
     * streams ({@link #addStream}), so a drain never grows it: a growth inside the drain's compiled code was a branch the
     * warm-up's 128 streams never took, and the first wide fan-out after it sent the drain back to the interpreter
     * (bench/ANALYSIS.md, "Paths the warm-up left out"). Never shrinks: a reference per stream of the loop's most. Loop
     * thread only.
     */
    private Subscriber[] dirty = new Subscriber[64];
    /**
     * The loop clock's time before which a new drain is deferred ({@link #COALESCE_NANOS} after a wide drain started),
     * or {@link Long#MIN_VALUE} after a narrow one. Written by the loop, read by producers.
     */
    private volatile long coalesceUntil = Long.MIN_VALUE;
    /** The heartbeat timer, once started. */
    private volatile Future<?> heartbeats;
    private int dirtyCount;

    LoopFanout(int index, EventLoop eventLoop, int queueCapacity, GatewayMetrics metrics, long heartbeatNanos,
               int maxWritesPerDrain) {
        this.maxWritesPerDrain = maxWritesPerDrain;
        this.index = index;
        this.eventLoop = eventLoop;
        this.queue = new MpscArrayQueue<>(queueCapacity);
        this.metrics = metrics;
        this.heartbeatNanos = heartbeatNanos;
    }

    void startHeartbeats() {
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(50), Math.min(TimeUnit.SECONDS.toNanos(1), heartbeatNanos / 4));
        heartbeats = eventLoop.scheduleAtFixedRate(this::heartbeat, period, period, TimeUnit.NANOSECONDS);
    }

    /** Cancels the heartbeat timer (a fan-out that stops while its loop runs on: the start-up warm-up's). Any thread. */
    void stopHeartbeats() {
        if (heartbeats != null) {
            heartbeats.cancel(false);
        }
    }

    int index() {
        return index;
    }

    public EventLoop eventLoop() {
        return eventLoop;
    }

    GatewayMetrics metrics() {
        return metrics;
    }

    /** The loop's clock, for idle times (the same as System.nanoTime() outside tests). */
    long nowNanos() {
        return eventLoop.ticker().nanoTime();
    }

    /** Loop thread only. */
    long lastDrainedId() {
        return lastDrainedId;
    }

    /** The newest id this loop had drained at the end of its last drain. Any thread. */
    long drainedPosition() {
        return drainedPosition;
    }

    /** Free slots, exact for a single producer: the consumer only ever frees more. Commit lock held. */
    int freeSlots() {
        return queue.capacity() - queue.size();
    }

    /**
     * Commit lock held, after {@link #freeSlots()} showed room: the commit lock makes the commit this queue's only
     * producer, so the offer cannot fail then.
     *
     * @return false iff the queue is full
     */
    boolean offer(Event e) {
        return queue.offer(e);
    }

    /**
     * Any thread, after offering: makes sure a drain will run. A queue found empty needs none (nothing was offered to
     * it, as for a connection event for another loop, or the drain already took it).
     */
    void wake() {
        if (!queue.isEmpty() && !drainScheduled.get() && drainScheduled.compareAndSet(false, true)) {
            scheduleDrain();
        }
    }

    /**
     * Runs the drain as soon as the loop gets to it, or, right after a wide drain, once {@link #COALESCE_NANOS} have
     * passed since that one started, so events published meanwhile reach each stream in one write. Any thread, by the
     * one that flipped {@code drainScheduled}.
     */
    private void scheduleDrain() {
        long wait = coalesceUntil - eventLoop.ticker().nanoTime();
        if (coalesceUntil != Long.MIN_VALUE && wait > 0) {
            eventLoop.schedule(this, wait, TimeUnit.NANOSECONDS);
        } else {
            eventLoop.execute(this);
        }
    }

    /**
     * The drain task. Loop thread only.
     *
     * <p>Consecutive events of one topic form a run (at most {@link #MAX_RUN_EVENTS} events and
     * {@link #MAX_RUN_BYTES}); a run of several is copied once, on this loop, into one buffer and a subscriber
     * without a type filter gets it as one write, so under load the cost per delivery is divided by the run
     * length. Bytes on the wire are the same as one write per event.
     */
    @Override
    public void run() {
        long now = eventLoop.ticker().nanoTime();
        int drained = 0;
        int withDeliveries = 0;
        long deliveries = 0;
        drainWrites = 0;
        Event pending = null;
        while (true) {
            Event first = pending;
            pending = null;
            if (first == null && drained < MAX_BATCH && drainWrites < maxWritesPerDrain) {
                first = queue.relaxedPoll();
            }
            if (first == null) {
                break;
            }
            drained++;
            if (first.target() != null) {
                // a connection event: its one stream is on this loop
                if (first.target().offerOwn(first, now)) {
                    deliveries++;
                    drainWrites++;
                    batchAcceptedNanos[withDeliveries++] = first.acceptedNanos();
                }
                lastDrainedId = first.id();
                first.frame().release();
                continue;
            }
            run[0] = first;
            int count = 1;
            int bytes = first.frame().readableBytes();
            while (count < MAX_RUN_EVENTS && bytes < MAX_RUN_BYTES && drained < MAX_BATCH
                    && drainWrites < maxWritesPerDrain) {
                Event next = queue.relaxedPoll();
                if (next == null) {
                    break;
                }
                drained++;
                if (next.topic() != first.topic()) { // another topic, or a connection event (none)
                    pending = next;
                    break;
                }
                run[count++] = next;
                bytes += next.frame().readableBytes();
            }
            long delivered = deliverRun(count, bytes, now);
            deliveries += delivered;
            for (int i = 0; i < count; i++) {
                Event e = run[i];
                if (delivered > 0) {
                    batchAcceptedNanos[withDeliveries++] = e.acceptedNanos();
                }
                lastDrainedId = e.id();
                e.frame().release();
                run[i] = null;
            }
        }
        flushDirty();
        drainedPosition = lastDrainedId;
        if (deliveries > 0) {
            metrics.eventsDelivered(deliveries);
            long flushed = System.nanoTime();
            for (int i = 0; i < withDeliveries; i++) {
                metrics.deliveryLatencyNanos(flushed - batchAcceptedNanos[i]);
            }
        }
        coalesceUntil = withDeliveries > 0 && deliveries >= (long) WIDE_FANOUT * withDeliveries
                ? now + COALESCE_NANOS : Long.MIN_VALUE;
        drainScheduled.set(false);
        if (!queue.isEmpty() && drainScheduled.compareAndSet(false, true)) {
            eventLoop.execute(this); // a backlog (the drain stopped at its budget): its events join runs already
        }
    }

    /**
     * Delivers {@code run[0..count)} to the topic's subscribers on this loop, adding its writes to
     * {@link #drainWrites}. A subscriber that takes runs gets the run as one write of a buffer joined on first need
     * (never when no subscriber takes it); the others get the run's events one by one.
     *
     * @return the events delivered, summed over subscribers
     */
    private long deliverRun(int count, int bytes, long now) {
        SubscriberList subscribers = run[0].topic().subscribersOn(index);
        if (subscribers == null || subscribers.size() == 0) {
            return 0;
        }
        ByteBuf joined = null;
        long delivered = 0;
        try {
            for (int i = subscribers.size() - 1; i >= 0; i--) {
                Subscriber s = subscribers.get(i);
                if (count > 1 && s.takesRunFrom(run[0])) {
                    if (joined == null) {
                        joined = join(count, bytes);
                    }
                    s.writeRun(joined, now);
                    delivered += count;
                    drainWrites++;
                } else {
                    for (int k = 0; k < count; k++) {
                        if (s.offer(run[k], now)) {
                            delivered++;
                            drainWrites++;
                        }
                    }
                }
            }
        } finally {
            if (joined != null) {
                joined.release();
            }
        }
        return delivered;
    }

    /** The frames of {@code run[0..count)} copied back to back into one buffer the caller releases. */
    private ByteBuf join(int count, int bytes) {
        ByteBuf joined = run[0].frame().alloc().directBuffer(bytes, bytes);
        for (int i = 0; i < count; i++) {
            ByteBuf f = run[i].frame();
            joined.writeBytes(f, f.readerIndex(), f.readableBytes());
        }
        return joined;
    }

    void markDirty(Subscriber s) {
        if (dirtyCount == dirty.length) {
            dirty = Arrays.copyOf(dirty, dirtyCount * 2);
        }
        dirty[dirtyCount++] = s;
    }

    private void flushDirty() {
        for (int i = 0; i < dirtyCount; i++) {
            dirty[i].flushIfDirty();
            dirty[i] = null;
        }
        dirtyCount = 0;
    }

    /** Room in the list of subscribers to flush; for tests. Loop thread only. */
    int dirtyCapacity() {
        return dirty.length;
    }

    /** Loop thread only. */
    Membership addStream(Subscriber s) {
        Membership m = streams.add(s);
        if (dirty.length < streams.size()) {
            dirty = Arrays.copyOf(dirty, Integer.highestOneBit(streams.size()) << 1);
        }
        return m;
    }

    void removeStream(Membership m) {
        streams.remove(m);
    }

    /** Closes every stream this loop serves (cluster mode, after a gap). Loop thread only. */
    void disconnectAll() {
        for (int i = streams.size() - 1; i >= 0; i--) {
            streams.get(i).disconnect();
        }
    }

    private void heartbeat() {
        long now = eventLoop.ticker().nanoTime();
        for (int i = streams.size() - 1; i >= 0; i--) {
            streams.get(i).heartbeatIfIdle(now, heartbeatNanos);
        }
        flushDirty();
    }

    /** Releases queued events. Only after the loop has terminated. */
    void releaseQueued() {
        Event e;
        while ((e = queue.poll()) != null) {
            e.frame().release();
        }
    }
}
