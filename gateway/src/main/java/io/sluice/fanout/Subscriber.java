package io.sluice.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.sluice.sse.SseFrames;

import java.util.ArrayList;
import java.util.List;

/**
 * The fan-out's view of one open stream: where to write, what it wants, and how far behind it is.
 *
 * <p>Threading: confined to the event loop of its channel. Every method must be called on that loop.
 *
 * <p>Flow control (CONTRACT §7), one mechanism: while the channel is writable, live events are written as
 * they are drained. When an event finds the channel unwritable (above its high write watermark), the
 * subscriber starts <em>lagging</em>: it remembers a cursor (every event with an id at or below it was
 * written or did not concern it) and live events are skipped and counted. When the channel turns writable,
 * {@link #catchUp()} writes the skipped events from history, in small batches, until it is level with its
 * loop's drained position and live delivery resumes. A lag never holds memory per stream (history is
 * shared); it is bounded by {@code maxLag} live events skipped since the stream last made progress, and by
 * history retention. Past either bound the
 * stream is closed and counted as a slow consumer; the client resumes from history with Last-Event-ID.
 * Initial replay (Last-Event-ID, {@code limit}) is the same catch-up, started from a cursor.
 */
public final class Subscriber {
    private static final int CATCH_UP_BATCH = 64;

    private final ChannelHandlerContext ctx;
    private final Channel channel;
    /** See {@link #bytesWritten()}. Loop thread. */
    private long bytesWritten;
    private final ChannelPromise voidPromise;
    private final LoopFanout loop;
    private final Topic[] topics;
    private final TypeFilter filter;
    private final int maxLag;
    private Membership[] memberships;
    private Membership streamsMembership;

    private boolean lagging;
    private long cursor;
    /** Live events at or below this id are skipped: the client already has them (Last-Event-ID). */
    private long skipUpTo;
    /** Evicted events at or below this id are not owed (they predate a {@code limit} replay's window). */
    private long owedAfter;
    private int lagEvents;
    private boolean dirty;
    private boolean closed;
    private boolean closedAsSlowConsumer;
    private long lastWriteNanos;

    Subscriber(ChannelHandlerContext ctx, LoopFanout loop, Topic[] topics, TypeFilter filter, int maxLag) {
        this.ctx = ctx;
        this.channel = ctx.channel();
        this.voidPromise = channel.voidPromise();
        this.loop = loop;
        this.topics = topics;
        this.filter = filter;
        this.maxLag = maxLag;
        this.lastWriteNanos = loop.nowNanos();
    }

    void register() {
        memberships = new Membership[topics.length];
        for (int i = 0; i < topics.length; i++) {
            memberships[i] = topics[i].add(loop.index(), this);
        }
        streamsMembership = loop.addStream(this);
    }

    /**
     * Unregisters from fan-out. Idempotent; called when the channel becomes inactive.
     */
    public void unregister() {
        if (memberships == null) {
            return;
        }
        for (int i = 0; i < topics.length; i++) {
            topics[i].remove(loop.index(), memberships[i]);
        }
        loop.removeStream(streamsMembership);
        memberships = null;
        closed = true;
    }

    /**
     * Starts replay: every matching retained event with an id above {@code fromCursor} will be sent from
     * history.
     *
     * @param notOwedUpTo evicted events at or below this id are skipped rather than treated as lost (a
     *                    {@code limit} replay); 0 when the client is owed every event after the cursor
     */
    void replayFrom(long fromCursor, long notOwedUpTo) {
        lagging = true;
        cursor = fromCursor;
        owedAfter = notOwedUpTo;
        lagEvents = 0;
    }

    /**
     * Marks events up to {@code id} as already held by the client, for a resume whose id is newer than
     * what this loop has drained (the client saw it on another loop): those events are still queued here
     * and would otherwise arrive twice.
     */
    void skipLiveUpTo(long id) {
        skipUpTo = id;
    }

    /** Whether this subscriber closed its channel for falling too far behind. */
    public boolean closedAsSlowConsumer() {
        return closedAsSlowConsumer;
    }

    public boolean isLagging() {
        return lagging;
    }

    /**
     * Offers a live event drained by this subscriber's loop.
     *
     * @return true if the frame was written (the caller flushes dirty subscribers after the batch)
     */
    boolean offer(Event e, long nowNanos) {
        if (closed || e.id() <= skipUpTo || !filter.matches(e.type())) {
            return false;
        }
        if (lagging) {
            if (++lagEvents > maxLag) {
                closeAsSlowConsumer();
            }
            return false;
        }
        if (!channel.isWritable()) {
            if (!channel.isActive()) {
                // closed by the client: channelInactive will unregister it; not a slow consumer
                return false;
            }
            lagging = true;
            cursor = e.id() - 1;
            lagEvents = 1;
            if (lagEvents > maxLag) {
                closeAsSlowConsumer();
            }
            return false;
        }
        ctx.write(e.frame().retainedDuplicate(), voidPromise);
        bytesWritten += e.frame().readableBytes();
        lastWriteNanos = nowNanos;
        if (!dirty) {
            dirty = true;
            loop.markDirty(this);
        }
        return true;
    }

    /**
     * Offers a run of consecutive live events of one topic, already joined into one buffer, as one write.
     * Only for the simple case (no type filter, nothing to skip); anything else is left to {@link #offer}.
     *
     * @param joined the run's frames back to back; shared, written as a retained duplicate
     * @return events written (all or none), or -1 when the caller must offer the events one by one
     */
    int offerRun(Event[] run, int count, ByteBuf joined, long nowNanos) {
        if (closed) {
            return 0;
        }
        if (!filter.acceptsAll() || run[0].id() <= skipUpTo) {
            return -1;
        }
        if (lagging) {
            lagEvents += count;
            if (lagEvents > maxLag) {
                closeAsSlowConsumer();
            }
            return 0;
        }
        if (!channel.isWritable()) {
            if (!channel.isActive()) {
                return 0;
            }
            lagging = true;
            cursor = run[0].id() - 1;
            lagEvents = count;
            if (lagEvents > maxLag) {
                closeAsSlowConsumer();
            }
            return 0;
        }
        ctx.write(joined.retainedDuplicate(), voidPromise);
        bytesWritten += joined.readableBytes();
        lastWriteNanos = nowNanos;
        if (!dirty) {
            dirty = true;
            loop.markDirty(this);
        }
        return count;
    }

    /**
     * Event-stream bytes this subscriber has handed to its channel: events, runs, replay and heartbeats (the
     * access log's stream bytes). A plain field add beside each write, on the object the write already touched.
     * Loop thread.
     */
    public long bytesWritten() {
        return bytesWritten;
    }

    /** Called by the loop once per drained batch for each subscriber written to. */
    void flushIfDirty() {
        if (dirty) {
            dirty = false;
            ctx.flush();
        }
    }

    /**
     * Sends skipped or replayed events from history while the channel stays writable. Call on becoming
     * writable and after starting a replay. Leaves the subscriber live when it is level with its loop.
     */
    public void catchUp() {
        if (!lagging || closed) {
            return;
        }
        List<ByteBuf> frames = new ArrayList<>(CATCH_UP_BATCH);
        LongList ids = new LongList();
        int written = 0;
        try {
            while (lagging && channel.isWritable()) {
                long upTo = loop.lastDrainedId();
                if (cursor >= upTo) {
                    lagging = false;
                    lagEvents = 0;
                    owedAfter = 0;
                    break;
                }
                frames.clear();
                ids.clear();
                for (Topic topic : topics) {
                    if (!topic.history().collectFrames(cursor, upTo, filter, CATCH_UP_BATCH, frames, ids, owedAfter)) {
                        releaseAll(frames, 0);
                        closeAsSlowConsumer();
                        return;
                    }
                }
                if (frames.isEmpty()) {
                    cursor = upTo;
                    continue;
                }
                int[] order = orderById(ids);
                int limit = Math.min(order.length, CATCH_UP_BATCH);
                int i = 0;
                for (; i < limit && channel.isWritable(); i++) {
                    ByteBuf frame = frames.set(order[i], null);
                    bytesWritten += frame.readableBytes();
                    ctx.write(frame, voidPromise);
                    cursor = ids.get(order[i]);
                    written++;
                }
                // progress: the lag bound counts events skipped since the stream last moved forward
                lagEvents = 0;
                releaseAll(frames, 0);
            }
        } finally {
            if (written > 0) {
                lastWriteNanos = loop.nowNanos();
                loop.metrics().eventsReplayed(written);
                ctx.flush();
            }
        }
    }

    /** Writes a heartbeat comment if nothing was written for {@code intervalNanos}. Loop thread. */
    void heartbeatIfIdle(long nowNanos, long intervalNanos) {
        if (closed || lagging || nowNanos - lastWriteNanos < intervalNanos) {
            return;
        }
        lastWriteNanos = nowNanos;
        ByteBuf heartbeat = SseFrames.heartbeat();
        bytesWritten += heartbeat.readableBytes();
        ctx.writeAndFlush(heartbeat, voidPromise);
    }

    /** Closes the stream as a slow consumer (counted once). */
    void closeAsSlowConsumer() {
        if (closed) {
            return;
        }
        closed = true;
        closedAsSlowConsumer = true;
        if (channel.isActive()) {
            loop.metrics().slowConsumerDisconnect();
        }
        channel.close();
    }

    /** Closes the stream so its client resumes with Last-Event-ID (not a slow consumer). */
    void disconnect() {
        if (closed) {
            return;
        }
        closed = true;
        channel.close();
    }

    /**
     * Ids from several topics come as sorted runs; returns the indices in id order. Allocation here is per
     * catch-up batch, off the live fan-out path.
     */
    private static int[] orderById(LongList ids) {
        int n = ids.size();
        Integer[] boxed = new Integer[n];
        for (int i = 0; i < n; i++) {
            boxed[i] = i;
        }
        java.util.Arrays.sort(boxed, (a, b) -> Long.compare(ids.get(a), ids.get(b)));
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = boxed[i];
        }
        return order;
    }

    private static void releaseAll(List<ByteBuf> frames, int from) {
        for (int i = from; i < frames.size(); i++) {
            ByteBuf f = frames.get(i);
            if (f != null) {
                f.release();
                frames.set(i, null);
            }
        }
    }
}
