package io.sluice.fanout;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.sluice.metrics.GatewayMetrics;
import io.sluice.sse.SseEncoder;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's fan-out: topics with their history, and one {@link LoopFanout} per event loop.
 *
 * <p>Commit is the single point where events become visible: under the commit lock it gives each event its
 * id, stamps it into the frame, appends to history, and offers the event to every loop's queue. The lock is
 * what keeps ids, history order and queue order the same; it covers only that constant-time work per event
 * (the parse and encode happened before, on the publisher's or the backplane reader's thread) and never I/O.
 * Fan-out itself (the drain on each loop) takes no lock.
 *
 * <p>Two ways in, one path: {@link #commit} numbers events from this node's counter (a single node, the
 * local backplane); {@link #commitAssigned} takes ids already assigned by a shared log (cluster mode: the
 * Redis stream id, packed as below). A core is built for one of them and never mixes the two.
 *
 * <p>Connection events (CONTRACT §11) take the same path: commit numbers them with the others, in the same order,
 * but resolves the one {@link Subscriber} each is for ({@link #connections}) instead of a topic, appends nothing to
 * history and offers the event to its target's loop only; a node that does not hold the target drops it (in cluster
 * mode every node commits every event, and only the holder delivers). So a connection event reaches its stream in id
 * order with the stream's other live events, through the same queue and drain.
 *
 * <p>Ids: positive longs. Local: the first is the start time in milliseconds shifted left by
 * {@link #ID_SEQUENCE_BITS}, then +1 per event, so restarts continue above every id of an earlier run.
 * Shared log: {@code ms << 20 | seq} of the Redis stream id {@code ms-seq}, so ids read as a timestamp keep
 * the same order in both modes.
 */
public final class FanoutCore {
    /** Low bits of an id that hold the sequence within one millisecond. */
    public static final int ID_SEQUENCE_BITS = 20;
    /**
     * How far ahead of this node's clock a client's Last-Event-ID may be, in cluster mode, and still count as
     * issued: the client saw it on a node whose reader is ahead of this one's by a moment.
     */
    static final long FUTURE_ID_TOLERANCE_MILLIS = 60_000;
    /**
     * How often {@link #maintain} forgets unused topics: a topic with no stream and no retained event is gone within
     * this plus a second (CONTRACT §10: within a minute), and a walk of every topic runs at most this often.
     */
    static final long FORGET_PERIOD_MILLIS = 15_000;

    private final LoopFanout[] loops;
    private final TopicRegistry topics;
    /** The node-wide history bounds; commit lock. */
    private final Retention retention;
    private final GatewayMetrics metrics;
    private final Object commitLock = new Object();
    /**
     * The newest id evicted by age or bytes: those evict the node's oldest retained event first, so nothing at or
     * below it is retained anywhere. Written under the commit lock; read when a topic is created.
     */
    private volatile long evictedEverywhereUpTo;
    /** When {@link #maintain} last forgot unused topics; the maintaining thread only. */
    private long lastForgetMillis;
    /** Where commit composes each id line; guarded by the commit lock. */
    private final byte[] idScratch = new byte[SseEncoder.ID_HEADROOM];
    /** Whether ids come from a shared log ({@link #commitAssigned}) rather than this node's counter. */
    private final boolean sharedLog;
    /**
     * The oldest id this node vouches for: it has (or had, in history) every event from here on. Local: the
     * first id of this process. Shared log: the first event read from the log, moved up past a gap.
     */
    private volatile long knownFrom;
    /** Newest committed id; below {@link #knownFrom} before the first commit. Written under the commit lock. */
    private volatile long lastId;
    /**
     * The open streams by connection id, for connection events: one entry per open stream that has an id (so bounded
     * by the node's streams), added when it subscribes, removed when it leaves. Any thread.
     */
    private final ConcurrentHashMap<String, Subscriber> connections = new ConcurrentHashMap<>();

    public FanoutCore(EventExecutorGroup group, int historySize, int queueCapacity, long heartbeatNanos,
                      GatewayMetrics metrics) {
        this(group, HistoryLimits.perTopic(historySize), queueCapacity, heartbeatNanos, metrics);
    }

    public FanoutCore(EventExecutorGroup group, HistoryLimits history, int queueCapacity, long heartbeatNanos,
                      GatewayMetrics metrics) {
        this(group, history, queueCapacity, heartbeatNanos, metrics, System.currentTimeMillis() << ID_SEQUENCE_BITS,
                LoopFanout.MAX_WRITES_PER_DRAIN, false);
    }

    FanoutCore(EventExecutorGroup group, int historySize, int queueCapacity, long heartbeatNanos,
               GatewayMetrics metrics, long firstId, int maxWritesPerDrain) {
        this(group, HistoryLimits.perTopic(historySize), queueCapacity, heartbeatNanos, metrics, firstId,
                maxWritesPerDrain, false);
    }

    FanoutCore(EventExecutorGroup group, HistoryLimits history, int queueCapacity, long heartbeatNanos,
               GatewayMetrics metrics, long firstId, int maxWritesPerDrain, boolean sharedLog) {
        List<LoopFanout> list = new ArrayList<>();
        for (EventExecutor executor : group) {
            list.add(new LoopFanout(list.size(), (EventLoop) executor, queueCapacity, metrics, heartbeatNanos,
                    maxWritesPerDrain));
        }
        this.loops = list.toArray(new LoopFanout[0]);
        this.topics = new TopicRegistry(history.perTopic(), loops.length, () -> evictedEverywhereUpTo);
        this.retention = new Retention(history.maxAgeMillis(), history.maxBytes());
        this.metrics = metrics;
        this.sharedLog = sharedLog;
        // shared log: nothing is known until the reader commits its first event
        this.knownFrom = sharedLog ? Long.MAX_VALUE : firstId;
        this.lastId = sharedLog ? 0 : firstId - 1;
        for (LoopFanout loop : loops) {
            loop.startHeartbeats();
        }
    }

    /** A core whose ids are assigned by a shared log and committed with {@link #commitAssigned} only. */
    public static FanoutCore forSharedLog(EventExecutorGroup group, int historySize, int queueCapacity,
                                          long heartbeatNanos, GatewayMetrics metrics) {
        return forSharedLog(group, HistoryLimits.perTopic(historySize), queueCapacity, heartbeatNanos, metrics);
    }

    /** A core whose ids are assigned by a shared log and committed with {@link #commitAssigned} only. */
    public static FanoutCore forSharedLog(EventExecutorGroup group, HistoryLimits history, int queueCapacity,
                                          long heartbeatNanos, GatewayMetrics metrics) {
        return new FanoutCore(group, history, queueCapacity, heartbeatNanos, metrics, 1,
                LoopFanout.MAX_WRITES_PER_DRAIN, true);
    }

    /** Stops every loop's heartbeat timer: before the loops stop, or when this fan-out is done with and they are not. */
    public void stopHeartbeats() {
        for (LoopFanout loop : loops) {
            loop.stopHeartbeats();
        }
    }

    public TopicRegistry topics() {
        return topics;
    }

    /** The newest id committed on this node, or -1 if none yet. */
    public long lastAssignedId() {
        long id = lastId;
        return id < knownFrom ? -1 : id;
    }

    /**
     * Whether a client's Last-Event-ID {@code id} can be resumed here: issued no earlier than this node can
     * vouch for (not from before a restart, a gap, or the retained log), and not from the future. In cluster
     * mode an id a little ahead of this node's newest is accepted: another node delivered it first, and the
     * stream will skip live events up to it.
     */
    public boolean isKnownId(long id) {
        if (id < knownFrom) {
            return false;
        }
        if (id <= lastId) {
            return true;
        }
        return sharedLog && (id >>> ID_SEQUENCE_BITS) <= System.currentTimeMillis() + FUTURE_ID_TOLERANCE_MILLIS;
    }

    /**
     * Commits a validated batch, all or nothing, numbering it from this node's counter (local backplane).
     *
     * <p>Any thread. Takes over the frame reference of every event on success; on refusal ({@code null})
     * the caller still owns them.
     *
     * @return the ids and deliveries, or {@code null} if a fan-out queue has no room for the whole batch
     */
    public CommitResult commit(List<EncodedEvent> batch) {
        int n = batch.size();
        long[] ids = new long[n];
        int sent = 0;
        long nowMillis = System.currentTimeMillis();
        long nowNanos = System.nanoTime();
        Evictions evictions = new Evictions();
        synchronized (commitLock) {
            if (!hasRoom(n)) {
                metrics.publishRefusedQueueFull();
                return null;
            }
            long id = lastId;
            for (int i = 0; i < n; i++) {
                id++;
                EncodedEvent pending = batch.get(i);
                sent += publishLocked(pending, topicOf(pending), id, nowMillis, nowNanos, evictions);
                ids[i] = id;
            }
            lastId = id;
            evictLocked(nowMillis, evictions);
        }
        wakeAll();
        metrics.eventsPublished(n);
        evictions.report(metrics);
        return new CommitResult(ids, sent);
    }

    /**
     * Commits a batch whose ids a shared log assigned (cluster mode), all or nothing. Events whose id is not
     * above the newest committed one are dropped as already seen (their frames released): the log delivers
     * in order, so that is a repeat, never a new event.
     *
     * <p>Any thread; in practice the backplane's one reader. Takes over every frame reference when it returns
     * a count; on refusal (-1) the caller still owns them all.
     *
     * @param ids strictly increasing, positive
     * @param timeMillis when the log accepted each event (the snapshot's {@code time})
     * @param acceptedNanos each event's acceptance on this node's {@link System#nanoTime()} scale, for latency
     * @return events committed, or -1 if a fan-out queue has no room for the whole batch
     */
    public int commitAssigned(List<EncodedEvent> batch, long[] ids, long[] timeMillis, long[] acceptedNanos) {
        if (!sharedLog) {
            throw new IllegalStateException("this fan-out numbers its own events; use commit()");
        }
        int n = batch.size();
        int committed = 0;
        Evictions evictions = new Evictions();
        synchronized (commitLock) {
            if (!hasRoom(n)) {
                return -1;
            }
            long last = lastId;
            for (int i = 0; i < n; i++) {
                EncodedEvent pending = batch.get(i);
                if (ids[i] <= last) {
                    pending.release();
                    continue;
                }
                if (knownFrom == Long.MAX_VALUE) {
                    knownFrom = ids[i];
                }
                publishLocked(pending, topicOf(pending), ids[i], timeMillis[i], acceptedNanos[i], evictions);
                last = ids[i];
                committed++;
            }
            lastId = last;
            evictLocked(System.currentTimeMillis(), evictions);
        }
        wakeAll();
        evictions.report(metrics);
        return committed;
    }

    /**
     * Cluster mode: this node missed events before {@code firstIdAfterGap} (the shared log dropped them
     * before its reader got there). Last-Event-IDs from before the gap are no longer resumable here (the
     * stream is told {@code reset}), and every open stream is closed so its client resumes and learns the
     * same. Any thread.
     */
    public void forgetBefore(long firstIdAfterGap) {
        synchronized (commitLock) {
            if (firstIdAfterGap > knownFrom || knownFrom == Long.MAX_VALUE) {
                knownFrom = firstIdAfterGap;
            }
        }
        for (LoopFanout loop : loops) {
            loop.eventLoop().execute(loop::disconnectAll);
        }
    }

    /**
     * Commit lock held (so it never races with forgetting topics). The event's topic, created if new; null for a
     * connection event, which has none.
     */
    private Topic topicOf(EncodedEvent e) {
        return e.isForConnection() ? null : topics.get(e.topic());
    }

    /** Whether the stream with connection id {@code connectionId} is open on this node now. Any thread. */
    public boolean holdsConnection(String connectionId) {
        return connections.containsKey(connectionId);
    }

    /** Open streams that can be addressed by connection id (for tests and gauges). Any thread. */
    public int connectionCount() {
        return connections.size();
    }

    /** Commit lock held. Whether every loop's queue has room for {@code n} more events. */
    private boolean hasRoom(int n) {
        for (LoopFanout loop : loops) {
            if (loop.freeSlots() < n) {
                return false;
            }
        }
        return true;
    }

    /**
     * Commit lock held. Stamps {@code id}, appends to history and offers to every loop; takes over the pending
     * frame reference (it becomes history's, plus one per loop queue). An event the topic evicts to make room is
     * noted in {@code evictions}; the node-wide bounds are applied once per batch ({@link #evictLocked}).
     *
     * @param topic the event's topic, or null for a connection event ({@link #targetLocked})
     * @return streams on this node whose topics and type filter match the event right now (0 or 1 for a connection
     *         event)
     */
    private int publishLocked(EncodedEvent pending, Topic topic, long id, long timeMillis, long acceptedNanos,
                              Evictions evictions) {
        if (topic == null) {
            return targetLocked(pending, id, timeMillis, acceptedNanos);
        }
        SseEncoder.stampId(pending.frame(), id, idScratch);
        TopicHistory history = topic.history();
        long supersededId = pending.key() == null ? 0 : history.removeLatest(pending.key(), retention);
        Event event = new Event(id, topic, pending.type(), pending.frame(), pending.dataJson(), timeMillis,
                acceptedNanos, pending.key(), supersededId, null);
        pending.frame().retain(loops.length);
        topic.committed(id);
        if (history.append(event, retention)) {
            evictions.count++;
        }
        retention.update(topic);
        for (LoopFanout loop : loops) {
            boolean offered = loop.offer(event);
            assert offered : "the commit checked every queue for room under the commit lock";
        }
        return topic.matchingStreams(event.type());
    }

    /**
     * Commit lock held. Applies the node-wide bounds: evicts the node's oldest retained events, whatever their topic,
     * while they are older than {@code historyMaxAge} or history is over {@code historyMaxBytes}. O(log topics) per
     * eviction.
     */
    private void evictLocked(long nowMillis, Evictions evictions) {
        Topic oldest;
        while ((oldest = retention.oldest()) != null) {
            TopicHistory history = oldest.history();
            boolean expired = retention.expired(history.oldestTimeCommitLocked(), nowMillis);
            if (!expired && !retention.overBudget()) {
                return;
            }
            evictedEverywhereUpTo = history.evictOldest(retention);
            retention.update(oldest);
            if (expired) {
                evictions.age++;
            } else {
                evictions.bytes++;
            }
        }
    }

    /**
     * Housekeeping, once a second from one thread (the management loop): evicts events past {@code historyMaxAge}
     * when no publish did, and every {@link #FORGET_PERIOD_MILLIS} forgets the topics nobody uses ({@link
     * TopicRegistry#forgetUnused}). Never on a stream's loop: forgetting walks every topic.
     */
    public void maintain(long nowMillis) {
        Evictions evictions = new Evictions();
        synchronized (commitLock) {
            evictLocked(nowMillis, evictions);
        }
        evictions.report(metrics);
        if (nowMillis - lastForgetMillis >= FORGET_PERIOD_MILLIS) {
            lastForgetMillis = nowMillis;
            topics.forgetUnused(drainedEverywhere(), commitLock);
        }
    }

    /** The newest id every loop has drained: no loop's queue holds an event at or below it. Any thread. */
    private long drainedEverywhere() {
        long min = Long.MAX_VALUE;
        for (LoopFanout loop : loops) {
            min = Math.min(min, loop.drainedPosition());
        }
        return min;
    }

    /** Bytes of the retained events' frames, all topics ({@code sluice_history_bytes}). Any thread. */
    public long historyBytes() {
        return retention.frameBytes();
    }

    /** Events retained in history, all topics. Any thread. */
    public int historyEvents() {
        return retention.events();
    }

    /**
     * Whether history could retain {@code batch} at all: a batch whose frames take more than {@code historyMaxBytes}
     * could not, even with everything else evicted (CONTRACT §10: such a publish is refused with 503). Counts the
     * refusal when it could not. Any thread; call before committing the batch.
     */
    public boolean historyCanHold(List<EncodedEvent> batch) {
        long frameBytes = 0;
        for (EncodedEvent e : batch) {
            frameBytes += e.frame().readableBytes() + SseEncoder.ID_HEADROOM;
        }
        if (retention.fits(frameBytes)) {
            return true;
        }
        metrics.publishRefused(GatewayMetrics.REFUSED_MEMORY);
        return false;
    }

    /** Evictions counted under the commit lock, reported after it is released. */
    private static final class Evictions {
        int count;
        int age;
        int bytes;

        void report(GatewayMetrics metrics) {
            if (count > 0) {
                metrics.historyEvicted(GatewayMetrics.EVICTED_COUNT, count);
            }
            if (age > 0) {
                metrics.historyEvicted(GatewayMetrics.EVICTED_AGE, age);
            }
            if (bytes > 0) {
                metrics.historyEvicted(GatewayMetrics.EVICTED_BYTES, bytes);
            }
        }
    }

    /**
     * Commit lock held. A connection event: offered to the loop of the stream it is for, if that stream is open here,
     * and to no history; dropped (its frame released) otherwise. Takes over the pending frame reference.
     *
     * @return 1 if the stream is open on this node, else 0
     */
    private int targetLocked(EncodedEvent pending, long id, long timeMillis, long acceptedNanos) {
        Subscriber target = connections.get(pending.connection());
        if (target == null) {
            pending.release();
            return 0;
        }
        SseEncoder.stampId(pending.frame(), id, idScratch);
        Event event = new Event(id, null, pending.type(), pending.frame(), pending.dataJson(), timeMillis,
                acceptedNanos, null, 0, target);
        boolean offered = target.loop().offer(event);
        assert offered : "the commit checked every queue for room under the commit lock";
        return 1;
    }

    private void wakeAll() {
        for (LoopFanout loop : loops) {
            loop.wake();
        }
    }

    /** The fan-out of the loop that runs {@code ctx}'s channel. */
    public LoopFanout loopOf(ChannelHandlerContext ctx) {
        EventLoop eventLoop = ctx.channel().eventLoop();
        for (LoopFanout loop : loops) {
            if (loop.eventLoop() == eventLoop) {
                return loop;
            }
        }
        throw new IllegalStateException("channel is not served by the fan-out's event loops");
    }

    /**
     * Subscribes {@code ctx}'s channel to {@code topics}. Call on the channel's event loop.
     *
     * <p>Replay consistency: the subscriber joins its loop between drains, so every event at or below the
     * loop's drained position is in history (commit appends before it offers) and every event above it is
     * still in the loop's queue and will arrive live. Replay is history in (start, drained position], live
     * delivery is the rest: nothing is missed, nothing comes twice.
     *
     * @param replay where the stream starts: live only, after a Last-Event-ID, or the newest {@code limit}
     */
    public Subscriber subscribe(ChannelHandlerContext ctx, Topic[] streamTopics, TypeFilter filter, int maxLag,
                                ReplayStart replay) {
        return subscribe(ctx, streamTopics, filter, maxLag, replay, null);
    }

    /**
     * {@link #subscribe(ChannelHandlerContext, Topic[], TypeFilter, int, ReplayStart)} for a stream that connection
     * events can address.
     *
     * @param connectionId the id its {@code connected} event carries, unique on this node; null when not addressable
     */
    public Subscriber subscribe(ChannelHandlerContext ctx, Topic[] streamTopics, TypeFilter filter, int maxLag,
                                ReplayStart replay, String connectionId) {
        LoopFanout loop = loopOf(ctx);
        Subscriber subscriber = new Subscriber(ctx, loop, streamTopics, filter, maxLag, connectionId, connections);
        subscriber.register();
        long drained = loop.lastDrainedId();
        if (replay.afterId() >= 0) {
            if (replay.afterId() < drained) {
                subscriber.replayFrom(replay.afterId(), replay.window() ? drained : 0);
            } else {
                subscriber.skipLiveUpTo(replay.afterId());
            }
        }
        return subscriber;
    }

    /** The newest id the loop of {@code ctx} has drained. Call on that loop. */
    public long drainedPosition(ChannelHandlerContext ctx) {
        return loopOf(ctx).lastDrainedId();
    }

    /**
     * Releases every queued and retained frame. Call once, after the event loops have terminated, so
     * nothing drains concurrently.
     */
    public void release() {
        for (LoopFanout loop : loops) {
            loop.releaseQueued();
        }
        synchronized (commitLock) {
            for (Topic topic = retention.oldest(); topic != null; topic = retention.oldest()) {
                while (!topic.history().isEmptyCommitLocked()) {
                    topic.history().evictOldest(retention);
                }
                retention.update(topic);
            }
        }
    }

}
