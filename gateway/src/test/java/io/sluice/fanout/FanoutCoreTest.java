package io.sluice.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.sluice.metrics.CountingMetrics;
import io.sluice.sse.SseEncoder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fan-out, flow control and replay on an {@link EmbeddedChannel}: exact bytes, time driven by the channel's
 * ticker, writability driven by the outbound buffer's user-defined writability bit.
 */
class FanoutCoreTest {
    private static final long FIRST_ID = 1000;
    private static final long HEARTBEAT_NANOS = TimeUnit.SECONDS.toNanos(15);

    private final CountingMetrics metrics = new CountingMetrics();
    /** The stream's channel; like the stream handler, it resumes {@link #subscriber} when it turns writable. */
    private final FanoutChannel stream = new FanoutChannel();
    private final EmbeddedChannel channel = stream.channel;
    private ChannelHandlerContext ctx;
    private Subscriber subscriber;
    private FanoutCore core;

    @BeforeEach
    void setUp() {
        ctx = stream.ctx();
    }

    @AfterEach
    void tearDown() {
        channel.close();
        drainOutbound();
        assertFalse(channel.finish());
        core.release();
    }

    private void start(int historySize) {
        start(historySize, LoopFanout.MAX_WRITES_PER_DRAIN);
    }

    private void start(int historySize, int maxWritesPerDrain) {
        core = new FanoutCore(channel.eventLoop(), historySize, 1024, HEARTBEAT_NANOS, metrics, FIRST_ID,
                maxWritesPerDrain);
    }

    private Subscriber subscribe(TypeFilter filter, int maxLag, long replayAfter, String... topics) {
        return subscribe(filter, maxLag, replayAfter < 0 ? ReplayStart.LIVE : ReplayStart.after(replayAfter), topics);
    }

    private Subscriber subscribe(TypeFilter filter, int maxLag, ReplayStart replay, String... topics) {
        Topic[] resolved = new Topic[topics.length];
        for (int i = 0; i < topics.length; i++) {
            resolved[i] = core.topics().get(topics[i]);
        }
        subscriber = core.subscribe(ctx, resolved, filter, maxLag, replay);
        stream.resume(subscriber);
        subscriber.catchUp();
        return subscriber;
    }

    private long publish(String topic, String type, String data) {
        ByteBuf frame = SseEncoder.encodeStringData(PooledByteBufAllocator.DEFAULT, type, data);
        CommitResult r = core.commit(List.of(new EncodedEvent(topic, type, frame, new byte[0])));
        assertNotNull(r);
        return r.ids()[0];
    }

    /** A connection event for {@code connectionId}; returns the commit's result. */
    private CommitResult publishTo(String connectionId, String type, String data) {
        ByteBuf frame = SseEncoder.encodeStringData(PooledByteBufAllocator.DEFAULT, type, data);
        CommitResult r = core.commit(List.of(new EncodedEvent("connection/" + connectionId, type, frame, new byte[0],
                null, connectionId)));
        assertNotNull(r);
        return r;
    }

    private Subscriber subscribeAs(String connectionId, TypeFilter filter, String... topics) {
        Topic[] resolved = new Topic[topics.length];
        for (int i = 0; i < topics.length; i++) {
            resolved[i] = core.topics().get(topics[i]);
        }
        subscriber = core.subscribe(ctx, resolved, filter, 10, ReplayStart.LIVE, connectionId);
        stream.resume(subscriber);
        return subscriber;
    }

    /**
     * The frames written, in order. A run of events may arrive as one buffer: the stream is split back into
     * frames after each blank line, which only ever ends a frame.
     */
    private List<String> drainOutbound() {
        String wire = stream.drainWire();
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int end; (end = wire.indexOf("\n\n", start)) >= 0; start = end + 2) {
            out.add(wire.substring(start, end + 2));
        }
        assertEquals(wire.length(), start, "output ends with a complete frame");
        return out;
    }

    private void setWritable(boolean writable) {
        stream.setWritable(writable);
    }

    @Test
    void liveEventsAreWrittenInOrderWithExactBytes() {
        start(10);
        subscribe(TypeFilter.ALL, 10, -1, "orders");
        long a = publish("orders", "message", "one");
        long b = publish("orders", "order:paid", "two\nlines");
        publish("other", "message", "not mine");
        assertEquals(List.of("id: " + a + "\ndata: one\n\n",
                "id: " + b + "\nevent: order:paid\ndata: two\ndata: lines\n\n"), drainOutbound());
        assertEquals(FIRST_ID, a);
        assertEquals(2, metrics.delivered());
    }

    @Test
    void connectionEventReachesItsStreamInIdOrderAndIsNeverRetained() {
        start(10);
        subscribeAs("n1-1", TypeFilter.ALL, "t");
        long a = publish("t", "message", "before");
        CommitResult own = publishTo("n1-1", "note", "just you");
        long b = publish("t", "message", "after");
        assertEquals(1, own.sent(), "sent counts the one stream that holds the connection");
        long c = own.ids()[0];
        assertTrue(a < c && c < b, "the connection event is numbered with the others");
        assertEquals(List.of("id: " + a + "\ndata: before\n\n", "id: " + c + "\nevent: note\ndata: just you\n\n",
                "id: " + b + "\ndata: after\n\n"), drainOutbound());
        assertEquals(2, core.topics().get("t").history().size(), "only the topic's events are retained");
        assertEquals(1, core.topics().size(), "a connection event creates no topic");
        assertEquals(3, metrics.delivered());
    }

    @Test
    void connectionEventForAStreamNotHereIsCountedZeroAndDropped() {
        start(10);
        subscribeAs("n1-1", TypeFilter.ALL, "t");
        CommitResult other = publishTo("n1-2", "message", "not for n1-1");
        assertEquals(0, other.sent());
        assertTrue(core.holdsConnection("n1-1"));
        assertFalse(core.holdsConnection("n1-2"));
        long next = publish("t", "message", "x");
        assertTrue(next > other.ids()[0], "its id is used up all the same");
        assertEquals(List.of("id: " + next + "\ndata: x\n\n"), drainOutbound());
    }

    @Test
    void connectionEventHonoursTheStreamsTypeFilter() {
        start(10);
        subscribeAs("n1-1", TypeFilter.of(List.of("keep")), "t");
        publishTo("n1-1", "drop", "no");
        long kept = publishTo("n1-1", "keep", "yes").ids()[0];
        assertEquals(List.of("id: " + kept + "\nevent: keep\ndata: yes\n\n"), drainOutbound());
    }

    @Test
    void connectionEventToALaggingStreamClosesItAsASlowConsumer() {
        start(10);
        subscribeAs("n1-1", TypeFilter.ALL, "t");
        setWritable(false);
        publish("t", "message", "skipped");
        assertEquals(List.of(), drainOutbound());
        assertTrue(subscriber.isLagging());
        publishTo("n1-1", "message", "cannot be caught up");
        drainOutbound();
        assertFalse(channel.isOpen(), "history lacks the event, so the stream resumes instead");
        assertEquals(1, metrics.slowConsumerDisconnects());
    }

    @Test
    void connectionEventToAFullSocketIsWrittenAndTheStreamLagsAfterIt() {
        start(10);
        subscribeAs("n1-1", TypeFilter.ALL, "t");
        setWritable(false);
        long own = publishTo("n1-1", "message", "own").ids()[0];
        long later = publish("t", "message", "later");
        assertEquals(List.of("id: " + own + "\ndata: own\n\n"), drainOutbound());
        assertTrue(subscriber.isLagging());
        setWritable(true);
        assertEquals(List.of("id: " + later + "\ndata: later\n\n"), drainOutbound(), "caught up after it");
        assertTrue(channel.isOpen());
    }

    @Test
    void aStreamLeavesTheConnectionDirectoryWhenItCloses() {
        start(10);
        subscribeAs("n1-1", TypeFilter.ALL, "t");
        assertEquals(1, core.connectionCount());
        subscriber.unregister();
        assertEquals(0, core.connectionCount());
        assertEquals(0, publishTo("n1-1", "message", "gone").sent());
        assertEquals(List.of(), drainOutbound());
    }

    @Test
    void typeFilterSkipsOtherTypes() {
        start(10);
        subscribe(TypeFilter.of(List.of("deploy:*")), 10, -1, "ops");
        publish("ops", "message", "no");
        long b = publish("ops", "deploy:done", "yes");
        assertEquals(List.of("id: " + b + "\nevent: deploy:done\ndata: yes\n\n"), drainOutbound());
    }

    @Test
    void unwritableChannelLagsThenCatchesUpFromHistoryWithoutDuplicates() {
        start(10);
        subscribe(TypeFilter.ALL, 10, -1, "t");
        long first = publish("t", "message", "0");
        assertEquals(1, drainOutbound().size());
        setWritable(false);
        long[] ids = {publish("t", "message", "1"), publish("t", "message", "2"), publish("t", "message", "3")};
        assertEquals(List.of(), drainOutbound());
        assertTrue(subscriber.isLagging());
        setWritable(true);
        assertEquals(List.of("id: " + ids[0] + "\ndata: 1\n\n", "id: " + ids[1] + "\ndata: 2\n\n",
                "id: " + ids[2] + "\ndata: 3\n\n"), drainOutbound());
        assertFalse(subscriber.isLagging());
        long next = publish("t", "message", "4");
        assertEquals(List.of("id: " + next + "\ndata: 4\n\n"), drainOutbound());
        assertEquals(3, metrics.replayed());
        assertTrue(first < ids[0]);
        assertTrue(channel.isOpen());
    }

    @Test
    void streamPastItsLagBoundIsClosedAndCounted() {
        start(10);
        subscribe(TypeFilter.ALL, 2, -1, "t");
        setWritable(false);
        publish("t", "message", "1");
        publish("t", "message", "2");
        assertTrue(channel.isOpen());
        publish("t", "message", "3");
        drainOutbound();
        assertFalse(channel.isOpen());
        assertEquals(1, metrics.slowConsumerDisconnects());
    }

    @Test
    void streamWhoseMissedEventsLeftHistoryIsClosedOnCatchUp() {
        start(2);
        subscribe(TypeFilter.ALL, 100, -1, "t");
        setWritable(false);
        for (int i = 0; i < 4; i++) {
            publish("t", "message", "e" + i);
        }
        drainOutbound();
        assertTrue(channel.isOpen());
        setWritable(true);
        drainOutbound();
        assertFalse(channel.isOpen());
        assertEquals(1, metrics.slowConsumerDisconnects());
    }

    @Test
    void replayFromCursorMergesTopicsInIdOrderThenGoesLive() {
        start(10);
        long a1 = publish("a", "message", "a1");
        long b1 = publish("b", "message", "b1");
        long a2 = publish("a", "message", "a2");
        channel.runPendingTasks();
        subscribe(TypeFilter.ALL, 10, a1, "a", "b");
        long b2 = publish("b", "message", "b2");
        assertEquals(List.of("id: " + b1 + "\ndata: b1\n\n", "id: " + a2 + "\ndata: a2\n\n",
                "id: " + b2 + "\ndata: b2\n\n"), drainOutbound());
    }

    @Test
    void eventsCommittedButNotYetDrainedArriveLiveNotTwice() {
        start(10);
        long a1 = publish("a", "message", "a1");
        channel.runPendingTasks();
        long a2 = publish("a", "message", "a2");
        // a2 is in history and still queued: replay stops at the drained position, live delivers a2 once
        subscribe(TypeFilter.ALL, 10, 0, "a");
        assertEquals(List.of("id: " + a1 + "\ndata: a1\n\n", "id: " + a2 + "\ndata: a2\n\n"), drainOutbound());
    }

    @Test
    void resumeWithAnIdNewerThanThisLoopDrainedSkipsTheQueuedEventsTheClientHas() {
        start(10);
        long a1 = publish("a", "message", "a1");
        long a2 = publish("a", "message", "a2");
        // the client saw a1 on another loop; here a1 and a2 are still queued, undrained
        subscribe(TypeFilter.ALL, 10, a1, "a");
        assertEquals(List.of("id: " + a2 + "\ndata: a2\n\n"), drainOutbound());
    }

    @Test
    void limitReplaySkipsEventsEvictedBeforeTheStreamConnected() {
        start(2);
        long b1 = publish("b", "message", "b1");
        publish("a", "message", "a1");
        long a2 = publish("a", "message", "a2");
        long a3 = publish("a", "message", "a3");
        channel.runPendingTasks();
        // a1 was evicted; the window starts below b1, older than what topic a retains: not a slow consumer
        subscribe(TypeFilter.ALL, 10, ReplayStart.newest(b1 - 1), "a", "b");
        assertEquals(List.of("id: " + b1 + "\ndata: b1\n\n", "id: " + a2 + "\ndata: a2\n\n",
                "id: " + a3 + "\ndata: a3\n\n"), drainOutbound());
        assertTrue(channel.isOpen());
        assertEquals(0, metrics.slowConsumerDisconnects());
    }

    @Test
    void drainStopsTakingEventsOnceItsWriteBudgetIsSpentAndFlushesPerBatch() {
        int[] flushes = {0};
        channel.pipeline().addFirst(new io.netty.channel.ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext c) {
                flushes[0]++;
                c.flush();
            }
        });
        start(10, 2);
        Topic[] topics = {core.topics().get("t")};
        // two subscribers on one channel: each event costs two writes, the whole budget
        core.subscribe(ctx, topics, TypeFilter.ALL, 10, ReplayStart.LIVE);
        core.subscribe(ctx, topics, TypeFilter.ALL, 10, ReplayStart.LIVE);
        // an event of another topic between them keeps a and b from forming one run
        long a = publish("t", "message", "a");
        publish("u", "message", "x");
        long b = publish("t", "message", "b");
        assertEquals(List.of("id: " + a + "\ndata: a\n\n", "id: " + a + "\ndata: a\n\n",
                "id: " + b + "\ndata: b\n\n", "id: " + b + "\ndata: b\n\n"), drainOutbound());
        assertEquals(4, flushes[0], "one flush per subscriber per batch, and each event was its own batch");
    }

    @Test
    void consecutiveEventsOfATopicGoAsOneWriteUnlessTheStreamFiltersTypes() {
        start(10);
        Topic[] topics = {core.topics().get("t")};
        subscribe(TypeFilter.ALL, 10, -1, "t");
        long a = publish("t", "message", "a");
        long b = publish("t", "message", "b");
        channel.runPendingTasks();
        ByteBuf joined = channel.readOutbound();
        assertEquals("id: " + a + "\ndata: a\n\nid: " + b + "\ndata: b\n\n", joined.toString(StandardCharsets.UTF_8));
        joined.release();
        assertNull(channel.readOutbound());
        // a filtering stream gets the matching events one by one
        core.subscribe(ctx, topics, TypeFilter.of(List.of("keep")), 10, ReplayStart.LIVE);
        long c = publish("t", "keep", "c");
        publish("t", "drop", "d");
        assertEquals(List.of("id: " + c + "\nevent: keep\ndata: c\n\n", "id: " + c + "\nevent: keep\ndata: c\n\n",
                "id: " + (c + 1) + "\nevent: drop\ndata: d\n\n"), drainOutbound().stream().sorted().toList());
        assertEquals(5, metrics.delivered(), "a, b, c, d to the first stream; c to the filtering one");
    }

    @Test
    void heartbeatOnlyAfterAnIdleInterval() {
        start(10);
        subscribe(TypeFilter.ALL, 10, -1, "t");
        channel.advanceTimeBy(10, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        publish("t", "message", "x");
        assertEquals(1, drainOutbound().size());
        channel.advanceTimeBy(10, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertEquals(List.of(), drainOutbound());
        channel.advanceTimeBy(6, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertEquals(List.of(": heartbeat\n\n"), drainOutbound());
    }

    /**
     * Events every 5 s keep a 15 s heartbeat away from a stream that is written to; a second stream on the same topic
     * whose {@code types} filter lets nothing through is written nothing, so it gets a heartbeat every interval.
     * Time is the loop's ticker, so a slow machine cannot stretch a gap.
     */
    @Test
    void busyStreamGetsNoHeartbeatWhileAFilteredOneDoes() {
        start(10);
        subscribe(TypeFilter.ALL, 10, -1, "t");
        subscribe(TypeFilter.of(List.of("never")), 10, -1, "t");
        int events = 0;
        int heartbeats = 0;
        for (int second = 1; second <= 60; second++) {
            channel.advanceTimeBy(1, TimeUnit.SECONDS);
            channel.runScheduledPendingTasks();
            if (second % 5 == 0) {
                publish("t", "message", Integer.toString(second));
            }
            for (String frame : drainOutbound()) {
                if (frame.equals(": heartbeat\n\n")) {
                    heartbeats++;
                } else {
                    events++;
                }
            }
        }
        assertEquals(12, events);
        assertEquals(4, heartbeats, "one per 15 s to the filtered stream, none to the busy one");
    }

    @Test
    void unsubscribedChannelGetsNothingAndTopicCountDrops() {
        start(10);
        subscribe(TypeFilter.ALL, 10, -1, "t");
        assertEquals(1, core.topics().get("t").streamCount());
        subscriber.unregister();
        assertEquals(0, core.topics().get("t").streamCount());
        publish("t", "message", "x");
        assertEquals(List.of(), drainOutbound());
        assertNull(channel.readOutbound());
    }

    @Test
    void idsAreStrictlyIncreasingAndKnown() {
        start(0);
        long a = publish("t", "message", "x");
        long b = publish("u", "message", "y");
        assertEquals(a + 1, b);
        assertTrue(core.isKnownId(a));
        assertFalse(core.isKnownId(FIRST_ID - 1));
        assertFalse(core.isKnownId(b + 1));
        assertEquals(b, core.lastAssignedId());
        drainOutbound();
    }
}
