package io.sluice.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.sluice.sse.SseFrames;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
 * history retention. A skipped event that supersedes one the stream still owes (same topic and key, CONTRACT §12)
 * replaces it rather than adding to the lag, so a stream behind on a keyed ticker is cut loose only when it owes
 * more than {@code maxLag} events that are not superseded; catch-up then sends only the newest value of each key. Past either bound the
 * stream is closed and counted as a slow consumer; the client resumes from history with Last-Event-ID.
 * Initial replay (Last-Event-ID, {@code limit}) is the same catch-up, started from a cursor.
 *
 * <p>Two kinds of frame are not in history, so catch-up cannot resend them: connection events
 * ({@link #offerOwn}) and system events such as presence's ({@link #writeSystemEvent}). Each has its own bounded rule,
 * and a stream that cannot take one is closed as a slow consumer rather than silently skipped (CONTRACT §4, §7).
 */
public final class Subscriber {
    private static final int CATCH_UP_BATCH = 64;
    /**
     * Bytes a system event may take a stream above its high write watermark before the stream counts as a slow
     * consumer: room for a burst of presence events while a socket is briefly full, and a hard bound on what one
     * stalled stream holds (its high watermark plus this plus one frame).
     */
    static final int SYSTEM_EVENT_OVERDRAFT_BYTES = 64 * 1024;

    private final ChannelHandlerContext ctx;
    private final Channel channel;
    /** See {@link #bytesWritten()}. Loop thread. */
    private long bytesWritten;
    private final ChannelPromise voidPromise;
    private final LoopFanout loop;
    private final Topic[] topics;
    private final TypeFilter filter;
    private final int maxLag;
    /** The id its {@code connected} event carried, or null when connection events cannot address it. */
    private final String connectionId;
    /** The node's streams by connection id; this subscriber is in it while registered. */
    private final Map<String, Subscriber> directory;
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

    Subscriber(ChannelHandlerContext ctx, LoopFanout loop, Topic[] topics, TypeFilter filter, int maxLag,
               String connectionId, Map<String, Subscriber> directory) {
        this.connectionId = connectionId;
        this.directory = directory;
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
        if (connectionId != null && directory.putIfAbsent(connectionId, this) != null) {
            throw new IllegalStateException("connection id " + connectionId + " is already in use on this node");
        }
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
        if (connectionId != null) {
            directory.remove(connectionId, this);
        }
        memberships = null;
        closed = true;
    }

    /** The fan-out of this subscriber's event loop. */
    LoopFanout loop() {
        return loop;
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

    /** The stream's {@code types} filter. */
    TypeFilter filter() {
        return filter;
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
            // an event that supersedes one this stream still owes replaces it in what catch-up will send (§12)
            if (e.supersededId() <= cursor) {
                countLag(1);
            }
            return false;
        }
        if (!channel.isWritable()) {
            startLagging(e.id() - 1, 1);
            return false;
        }
        write(e.frame(), nowNanos);
        return true;
    }

    /**
     * Offers a connection event for this stream (drained by its loop, in id order with its other live events). It is
     * in no history, so catch-up could never send it: a stream already lagging cannot take it in order and is closed as
     * a slow consumer, to resume with Last-Event-ID (CONTRACT §4: never silently dropped). A stream whose socket is
     * full but not yet lagging takes it (one frame past its watermark) and starts lagging after it.
     *
     * @return true if the frame was written (the caller flushes dirty subscribers after the batch)
     */
    boolean offerOwn(Event e, long nowNanos) {
        if (closed || !filter.matches(e.type())) {
            return false;
        }
        if (lagging) {
            closeAsSlowConsumer();
            return false;
        }
        boolean full = !channel.isWritable();
        write(e.frame(), nowNanos);
        if (full) {
            startLagging(e.id(), 0);
        }
        return true;
    }

    /**
     * Writes and flushes a system event (no id, in no history; presence's {@code presence:join} and
     * {@code presence:leave}) whatever the stream's lag, since such events are not ordered with live ones. A stream
     * more than {@link #SYSTEM_EVENT_OVERDRAFT_BYTES} above its high write watermark cannot take more: it is closed as a
     * slow consumer instead. Loop thread only; takes over {@code frame}.
     */
    public void writeSystemEvent(ByteBuf frame) {
        if (closed) {
            frame.release();
            return;
        }
        if (!channel.isWritable() && bytesAboveHighWatermark() > SYSTEM_EVENT_OVERDRAFT_BYTES) {
            frame.release();
            closeAsSlowConsumer();
            return;
        }
        bytesWritten += frame.readableBytes();
        lastWriteNanos = loop.nowNanos();
        ctx.writeAndFlush(frame, voidPromise);
    }

    private long bytesAboveHighWatermark() {
        ChannelOutboundBuffer outbound = channel.unsafe().outboundBuffer();
        long pending = outbound == null ? 0 : outbound.totalPendingWriteBytes();
        return pending - channel.config().getWriteBufferHighWaterMark();
    }

    /**
     * Whether a run of consecutive live events of one topic starting at {@code first} can go to this subscriber as
     * one joined write ({@link #writeRun}): it takes every type, has nothing to skip, and is live and writable now.
     * Otherwise the caller offers the run's events one by one, which also starts or counts a lag.
     */
    boolean takesRunFrom(Event first) {
        return !closed && !lagging && filter.acceptsAll() && first.id() > skipUpTo && channel.isWritable();
    }

    /**
     * Writes a run of {@code count} events already joined into one buffer, as one write. Only after
     * {@link #takesRunFrom} said yes.
     *
     * @param joined the run's frames back to back; shared, written as a retained duplicate
     */
    void writeRun(ByteBuf joined, long nowNanos) {
        write(joined, nowNanos);
    }

    /** Writes a retained duplicate of the shared {@code frame}; flushed with the batch. */
    private void write(ByteBuf frame, long nowNanos) {
        ctx.write(frame.retainedDuplicate(), voidPromise);
        bytesWritten += frame.readableBytes();
        lastWriteNanos = nowNanos;
        if (!dirty) {
            dirty = true;
            loop.markDirty(this);
        }
    }

    /**
     * The channel is above its high watermark: from now on live events are skipped and counted, and catch-up will
     * send everything after {@code fromCursor} from history once the channel drains.
     */
    private void startLagging(long fromCursor, int skipped) {
        if (!channel.isActive()) {
            // closed by the client: channelInactive will unregister it; not a slow consumer
            return;
        }
        lagging = true;
        cursor = fromCursor;
        lagEvents = 0;
        countLag(skipped);
    }

    /** Counts live events skipped while lagging; past {@code maxLag} the stream is cut loose. */
    private void countLag(int skipped) {
        lagEvents += skipped;
        if (lagEvents > maxLag) {
            closeAsSlowConsumer();
        }
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
     *
     * <p>Each round collects up to {@link #CATCH_UP_BATCH} events per topic (each topic's in id order) and writes
     * the oldest {@link #CATCH_UP_BATCH} of them across topics, merged by id. Allocation here is per catch-up,
     * off the live fan-out path.
     */
    public void catchUp() {
        if (!lagging || closed) {
            return;
        }
        List<ByteBuf> frames = new ArrayList<>(CATCH_UP_BATCH);
        LongList ids = new LongList();
        int[] heads = new int[topics.length];
        int[] ends = new int[topics.length];
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
                for (int t = 0; t < topics.length; t++) {
                    heads[t] = frames.size();
                    if (!topics[t].history().collectFrames(cursor, upTo, filter, CATCH_UP_BATCH, frames, ids, owedAfter)) {
                        releaseAll(frames);
                        closeAsSlowConsumer();
                        return;
                    }
                    ends[t] = frames.size();
                }
                if (frames.isEmpty()) {
                    cursor = upTo;
                    continue;
                }
                for (int n = 0; n < CATCH_UP_BATCH && channel.isWritable(); n++) {
                    int next = oldestRunHead(ids, heads, ends);
                    if (next < 0) {
                        break;
                    }
                    ByteBuf frame = frames.set(next, null);
                    bytesWritten += frame.readableBytes();
                    ctx.write(frame, voidPromise);
                    cursor = ids.get(next);
                    written++;
                }
                // progress: the lag bound counts events skipped since the stream last moved forward
                lagEvents = 0;
                releaseAll(frames);
            }
        } finally {
            if (written > 0) {
                lastWriteNanos = loop.nowNanos();
                loop.metrics().eventsReplayed(written);
                ctx.flush();
            }
        }
    }

    /**
     * The index of the oldest event not yet taken among the heads of the per-topic runs {@code [heads[t], ends[t])},
     * each sorted by id, and advances that run's head; -1 when every run is taken. Ids are unique across topics.
     */
    private static int oldestRunHead(LongList ids, int[] heads, int[] ends) {
        int best = -1;
        int bestRun = -1;
        for (int t = 0; t < heads.length; t++) {
            int head = heads[t];
            if (head < ends[t] && (best < 0 || ids.get(head) < ids.get(best))) {
                best = head;
                bestRun = t;
            }
        }
        if (bestRun >= 0) {
            heads[bestRun]++;
        }
        return best;
    }

    /**
     * Writes a heartbeat comment if nothing was written for {@code intervalNanos}, the way an event's frame is
     * written (a retained duplicate, flushed by the caller's {@link LoopFanout#flushDirty}), so heartbeats take the
     * compiled write path of events instead of a second one. Loop thread.
     */
    void heartbeatIfIdle(long nowNanos, long intervalNanos) {
        if (closed || lagging || nowNanos - lastWriteNanos < intervalNanos) {
            return;
        }
        write(SseFrames.heartbeat(), nowNanos);
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

    private static void releaseAll(List<ByteBuf> frames) {
        for (int i = 0; i < frames.size(); i++) {
            ByteBuf f = frames.get(i);
            if (f != null) {
                f.release();
                frames.set(i, null);
            }
        }
    }
}
