package io.sluice.backplane;

import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import io.sluice.fanout.EncodedEvent;
import io.sluice.fanout.FanoutCore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The node's one reader of the Redis stream: {@code XREAD} on a dedicated connection, from the last entry read,
 * into the same per-event-loop fan-out queues a single node uses ({@link FanoutCore#commitAssigned}). Each entry
 * is decoded and its frame encoded once here ({@link EntryDecoder}), so cluster mode adds no per-stream work.
 *
 * <p>On start the position is {@code 0-0}: the first reads load the stream's retained window into history
 * (without blocking), so Last-Event-IDs within Redis's retention resume here; once a read returns fewer than
 * {@link #BATCH} entries the node has caught up, the backplane turns {@linkplain RedisBackplane#markUp up}, and
 * later reads block in Redis ({@code BLOCK}) until entries arrive. After a reconnect reading goes on from the
 * same position, so nothing Redis still holds is missed.
 *
 * <p>Backpressure: when a fan-out queue is full the read batch waits here and no further read is made; Redis
 * keeps the rest. A node that falls further behind than the stream's retention sees a gap in the entry counter
 * ({@code n}): it {@linkplain FanoutCore#forgetBefore forgets} ids from before the gap, which closes its streams so
 * their clients resume and are told {@code reset}.
 *
 * <p>Threading: confined to the backplane's executor; at most one read is in flight.
 */
final class StreamReader {
    private static final Logger log = LoggerFactory.getLogger(StreamReader.class);

    /** Entries per read: large enough to catch up quickly, small enough to bound one batch's memory. */
    static final int BATCH = 1000;
    /** How long one read waits in Redis for new entries before it is repeated. */
    static final long BLOCK_MILLIS = 2_000;
    /** First pause before offering a batch again to a full fan-out queue; doubled per retry up to the maximum. */
    private static final long QUEUE_FULL_RETRY_MIN_MICROS = 500;
    private static final long QUEUE_FULL_RETRY_MAX_MICROS = 50_000;

    private final RedisBackplane owner;
    private final FanoutCore fanout;
    private final String streamKey;
    private final EventExecutor executor;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;

    /** The Redis id of the last entry read and committed; reads start after it. */
    private String position = "0-0";
    /** The counter ({@code n}) of the last entry read, -1 before the first. */
    private long lastCount = -1;
    /** A gap was seen and no event after it has been committed yet. */
    private boolean gapPending;
    /** The current connection has read up to the stream's end once: reads may block. */
    private boolean caughtUp;
    /** The connection of the read in flight, or null. */
    private RedisBackplane.Link inFlight;
    /** A batch read but not yet committed (a fan-out queue was full), or null. */
    private Batch pending;
    /** The next pause before retrying {@link #pending}. */
    private long retryMicros = QUEUE_FULL_RETRY_MIN_MICROS;

    StreamReader(RedisBackplane owner, FanoutCore fanout, String streamKey, EventExecutor executor) {
        this.owner = owner;
        this.fanout = fanout;
        this.streamKey = streamKey;
        this.executor = executor;
    }

    String position() {
        return position;
    }

    /** New connections are in place: catch up without blocking, then follow. */
    void connected() {
        caughtUp = false;
        readNext();
    }

    private void readNext() {
        RedisBackplane.Link l = owner.currentLink();
        if (l == null || inFlight != null || pending != null) {
            return;
        }
        inFlight = l;
        XReadArgs args = XReadArgs.Builder.count(BATCH);
        if (caughtUp) {
            args.block(BLOCK_MILLIS);
        }
        l.reader().async().xread(args, XReadArgs.StreamOffset.from(streamKey, position))
                .whenCompleteAsync((messages, failure) -> onRead(l, messages, failure), executor);
    }

    private void onRead(RedisBackplane.Link l, List<StreamMessage<String, byte[]>> messages, Throwable failure) {
        inFlight = null;
        if (failure != null) {
            owner.fail(l, "read failed: " + failure);
            readNext();
            return;
        }
        if (l != owner.currentLink()) {
            // read on connections since replaced: read again on the new ones, from the same position
            readNext();
            return;
        }
        int read = messages == null ? 0 : messages.size();
        pending = decode(messages);
        commitPending(l, read);
    }

    private void commitPending(RedisBackplane.Link l, int read) {
        Batch b = pending;
        if (!b.events.isEmpty()) {
            if (fanout.commitAssigned(b.events, b.ids, b.timeMillis, b.acceptedNanos) < 0) {
                executor.schedule(() -> commitPending(l, read), retryMicros, TimeUnit.MICROSECONDS);
                retryMicros = Math.min(QUEUE_FULL_RETRY_MAX_MICROS, retryMicros * 2);
                return;
            }
        }
        pending = null;
        retryMicros = QUEUE_FULL_RETRY_MIN_MICROS;
        if (b.position != null) {
            position = b.position;
            lastCount = b.lastCount;
        }
        if (b.gapAt > 0) {
            fanout.forgetBefore(b.gapAt);
        }
        if (read < BATCH && l == owner.currentLink()) {
            caughtUp = true;
            owner.markUp(l);
        }
        readNext();
    }

    private Batch decode(List<StreamMessage<String, byte[]>> messages) {
        int n = messages == null ? 0 : messages.size();
        Batch b = new Batch(n);
        long nowMillis = System.currentTimeMillis();
        long nowNanos = System.nanoTime();
        long expected = lastCount;
        int skipped = 0;
        for (int i = 0; i < n; i++) {
            StreamMessage<String, byte[]> message = messages.get(i);
            b.position = message.getId();
            long count = EntryDecoder.count(message.getBody());
            if (count > 0) {
                if (expected > 0 && count > expected + 1) {
                    log.warn("this node fell behind the retention of Redis stream {}: {} events were trimmed before"
                            + " it read them; its streams are closed to resume from history (they are told reset)",
                            streamKey, count - expected - 1);
                    gapPending = true;
                } else if (expected > 0 && count <= expected) {
                    log.warn("Redis stream {} restarted (its counter went from {} to {}): Redis lost its data; events"
                            + " it acknowledged that no node had read are gone. Ids go on increasing.",
                            streamKey, expected, count);
                }
                expected = count;
            }
            long id = StreamIds.pack(message.getId());
            EncodedEvent event = id < 0 ? null : EntryDecoder.decode(message.getBody(), alloc);
            if (event == null) {
                skipped++;
                continue;
            }
            if (gapPending) {
                b.gapAt = id;
                gapPending = false;
            }
            long millis = StreamIds.millis(id);
            // acceptance on this node's clock, from Redis's: latency across nodes, to the precision of their clocks
            b.add(event, id, millis, nowNanos - Math.max(0, nowMillis - millis) * 1_000_000L);
        }
        b.lastCount = expected;
        if (skipped > 0) {
            log.warn("skipped {} entries of Redis stream {} that are not Sluice events (another writer?)", skipped,
                    streamKey);
        }
        return b;
    }

    /** Releases a batch still waiting for queue room. Only once the executor has stopped. */
    void release() {
        if (pending != null) {
            pending.events.forEach(EncodedEvent::release);
            pending = null;
        }
    }

    /** Entries of one read, decoded, with the position after them. */
    private static final class Batch {
        final List<EncodedEvent> events;
        final long[] ids;
        final long[] timeMillis;
        final long[] acceptedNanos;
        /** Redis id of the last entry read (committed or skipped), or null for an empty read. */
        String position;
        long lastCount;
        /** The first id after a gap, or 0. */
        long gapAt;

        Batch(int capacity) {
            events = new ArrayList<>(capacity);
            ids = new long[capacity];
            timeMillis = new long[capacity];
            acceptedNanos = new long[capacity];
        }

        void add(EncodedEvent event, long id, long millis, long accepted) {
            int i = events.size();
            events.add(event);
            ids[i] = id;
            timeMillis[i] = millis;
            acceptedNanos[i] = accepted;
        }
    }
}
