package io.sluice.fanout;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.sluice.metrics.GatewayMetrics;
import io.sluice.sse.SseEncoder;

import java.util.ArrayList;
import java.util.List;

/**
 * The node's fan-out: topics with their history, and one {@link LoopFanout} per event loop.
 *
 * <p>Commit is the single point where events become visible: under the commit lock it assigns strictly
 * increasing ids, stamps them into the frames, appends to history, and offers each event to every loop's
 * queue. The lock is what keeps ids, history order and queue order the same; it covers only that
 * constant-time work per event (the parse and encode happened before, on the publisher's thread) and never
 * I/O. Fan-out itself (the drain on each loop) takes no lock.
 *
 * <p>Ids: positive longs, the first being the start time in milliseconds shifted left by 20 bits, then +1
 * per event. Restarts therefore continue above every id of an earlier run, and ids read as a timestamp
 * keep the same order as cluster ids (Redis stream ids {@code ms-seq}, packed the same way).
 */
public final class FanoutCore {
    private final LoopFanout[] loops;
    private final TopicRegistry topics;
    private final GatewayMetrics metrics;
    private final Object commitLock = new Object();
    /** Where commit composes each id line; guarded by the commit lock. */
    private final byte[] idScratch = new byte[SseEncoder.ID_HEADROOM];
    private final long firstId;
    /** Newest assigned id, firstId - 1 before the first commit. Written under the commit lock. */
    private volatile long lastId;

    public FanoutCore(EventExecutorGroup group, int historySize, int queueCapacity, long heartbeatNanos,
                      GatewayMetrics metrics) {
        this(group, historySize, queueCapacity, heartbeatNanos, metrics, System.currentTimeMillis() << 20,
                LoopFanout.MAX_WRITES_PER_DRAIN);
    }

    FanoutCore(EventExecutorGroup group, int historySize, int queueCapacity, long heartbeatNanos,
               GatewayMetrics metrics, long firstId, int maxWritesPerDrain) {
        List<LoopFanout> list = new ArrayList<>();
        for (EventExecutor executor : group) {
            list.add(new LoopFanout(list.size(), (EventLoop) executor, queueCapacity, metrics, heartbeatNanos,
                    maxWritesPerDrain));
        }
        this.loops = list.toArray(new LoopFanout[0]);
        this.topics = new TopicRegistry(historySize, loops.length);
        this.metrics = metrics;
        this.firstId = firstId;
        this.lastId = firstId - 1;
        for (LoopFanout loop : loops) {
            loop.startHeartbeats();
        }
    }

    public TopicRegistry topics() {
        return topics;
    }

    /** The newest id assigned in this deployment, or -1 if none yet. */
    public long lastAssignedId() {
        long id = lastId;
        return id < firstId ? -1 : id;
    }

    /** Whether {@code id} could have been issued by this process (not from before a restart nor the future). */
    public boolean isKnownId(long id) {
        return id >= firstId && id <= lastId;
    }

    /**
     * Commits a validated batch, all or nothing.
     *
     * <p>Any thread. Takes over the frame reference of every event on success; on refusal ({@code null})
     * the caller still owns them.
     *
     * @return the ids and deliveries, or {@code null} if a fan-out queue has no room for the whole batch
     */
    public CommitResult commit(List<EncodedEvent> batch) {
        int n = batch.size();
        Topic[] resolved = new Topic[n];
        for (int i = 0; i < n; i++) {
            resolved[i] = topics.get(batch.get(i).topic());
        }
        long[] ids = new long[n];
        int sent = 0;
        long nowMillis = System.currentTimeMillis();
        long nowNanos = System.nanoTime();
        synchronized (commitLock) {
            for (LoopFanout loop : loops) {
                if (loop.freeSlots() < n) {
                    metrics.publishRefusedQueueFull();
                    return null;
                }
            }
            long id = lastId;
            for (int i = 0; i < n; i++) {
                EncodedEvent pending = batch.get(i);
                id++;
                SseEncoder.stampId(pending.frame(), id, idScratch);
                Event event = new Event(id, resolved[i], pending.type(), pending.frame(), pending.dataJson(),
                        nowMillis, nowNanos);
                // the pending reference becomes history's; one more per loop queue
                pending.frame().retain(loops.length);
                resolved[i].history().append(event);
                for (LoopFanout loop : loops) {
                    loop.offer(event);
                }
                ids[i] = id;
                sent += resolved[i].streamCount();
            }
            lastId = id;
        }
        for (LoopFanout loop : loops) {
            loop.wake();
        }
        metrics.eventsPublished(n);
        return new CommitResult(ids, sent);
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
        LoopFanout loop = loopOf(ctx);
        Subscriber subscriber = new Subscriber(ctx, loop, streamTopics, filter, maxLag);
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
        for (Topic topic : topics.all()) {
            topic.history().clear();
        }
    }

}
