package io.sluice.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.sluice.metrics.CountingMetrics;
import io.sluice.sse.SseEncoder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cluster-mode commits ({@link FanoutCore#commitAssigned}) on an {@link EmbeddedChannel}: the ids a log assigned. */
class SharedLogCommitTest {
    /** A Redis id packed as ms << 20 | seq. */
    private static final long MS = 1_700_000_000_000L;

    private final CountingMetrics metrics = new CountingMetrics();
    private final FanoutChannel stream = new FanoutChannel();
    private FanoutCore core;

    @BeforeEach
    void setUp() {
        core = FanoutCore.forSharedLog(stream.channel.eventLoop(), 100, 1024, TimeUnit.SECONDS.toNanos(15), metrics);
    }

    @AfterEach
    void tearDown() {
        stream.channel.close();
        stream.drainWire();
        assertFalse(stream.channel.finish());
        core.release();
    }

    private static long id(long ms, long seq) {
        return ms << FanoutCore.ID_SEQUENCE_BITS | seq;
    }

    private int commit(long... ids) {
        List<EncodedEvent> batch = new ArrayList<>();
        long[] times = new long[ids.length];
        long[] accepted = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            ByteBuf frame = SseEncoder.encodeStringData(PooledByteBufAllocator.DEFAULT, "message", "e" + ids[i]);
            batch.add(new EncodedEvent("t", "message", frame, new byte[0]));
            times[i] = ids[i] >>> FanoutCore.ID_SEQUENCE_BITS;
            accepted[i] = System.nanoTime();
        }
        return core.commitAssigned(batch, ids, times, accepted);
    }

    @Test
    void eventsCarryTheLogsIdsAndRepeatsAreDropped() {
        core.subscribe(stream.ctx(), new Topic[] {core.topics().get("t")}, TypeFilter.ALL, 100, ReplayStart.LIVE);
        assertEquals(-1, core.lastAssignedId());
        assertEquals(2, commit(id(MS, 0), id(MS, 1)));
        // a batch read again after a reconnect: what was committed is dropped, the rest goes on
        assertEquals(1, commit(id(MS, 1), id(MS + 5, 0)));
        assertEquals("id: " + id(MS, 0) + "\ndata: e" + id(MS, 0) + "\n\n"
                + "id: " + id(MS, 1) + "\ndata: e" + id(MS, 1) + "\n\n"
                + "id: " + id(MS + 5, 0) + "\ndata: e" + id(MS + 5, 0) + "\n\n", stream.drainWire());
        assertEquals(id(MS + 5, 0), core.lastAssignedId());
        List<Event> snapshot = new ArrayList<>();
        core.topics().get("t").history().newest(Long.MAX_VALUE, TypeFilter.ALL, 10, snapshot);
        assertEquals(MS + 5, snapshot.get(2).timeMillis(), "time is when the log accepted it");
        assertEquals(0, metrics.published(), "the publishing node counts a publish, not every reader");
    }

    @Test
    void onlyTheNodeHoldingTheConnectionDeliversItsEventAndEveryNodeUsesUpTheId() {
        core.subscribe(stream.ctx(), new Topic[] {core.topics().get("t")}, TypeFilter.ALL, 100, ReplayStart.LIVE, "n7-1");
        List<EncodedEvent> batch = new ArrayList<>();
        for (String connection : List.of("n7-1", "n8-1")) {
            ByteBuf frame = SseEncoder.encodeStringData(PooledByteBufAllocator.DEFAULT, "message", "to " + connection);
            batch.add(new EncodedEvent("connection/" + connection, "message", frame, new byte[0], null, connection));
        }
        long mine = id(MS, 0);
        long theirs = id(MS, 1);
        assertEquals(2, core.commitAssigned(batch, new long[] {mine, theirs}, new long[] {MS, MS},
                new long[] {System.nanoTime(), System.nanoTime()}));
        assertEquals("id: " + mine + "\ndata: to n7-1\n\n", stream.drainWire());
        assertEquals(theirs, core.lastAssignedId());
        assertEquals(0, core.topics().get("t").history().size());
    }

    @Test
    void knownIdsStartAtTheFirstEventReadAndMayRunAheadOfThisNodeByAMoment() {
        assertFalse(core.isKnownId(id(MS, 0)), "nothing is known before the first read");
        commit(id(MS, 3), id(MS, 4));
        assertFalse(core.isKnownId(id(MS, 2)), "before the first event read: maybe trimmed, so reset");
        assertTrue(core.isKnownId(id(MS, 3)));
        assertTrue(core.isKnownId(id(MS, 4)));
        long now = System.currentTimeMillis();
        assertTrue(core.isKnownId(id(now, 7)), "another node may have delivered it first");
        assertFalse(core.isKnownId(id(now + TimeUnit.HOURS.toMillis(1), 0)), "not from the future");
    }

    @Test
    void aGapForgetsOlderIdsAndClosesStreams() {
        core.subscribe(stream.ctx(), new Topic[] {core.topics().get("t")}, TypeFilter.ALL, 100, ReplayStart.LIVE);
        commit(id(MS, 0));
        stream.drainWire();
        core.forgetBefore(id(MS + 100, 0));
        stream.channel.runPendingTasks();
        assertFalse(stream.channel.isOpen(), "streams are closed so their clients resume and learn of the gap");
        assertFalse(core.isKnownId(id(MS, 0)));
        commit(id(MS + 100, 0));
        assertTrue(core.isKnownId(id(MS + 100, 0)));
    }

    @Test
    void aLocalCoreRefusesAssignedIds() {
        FanoutCore local = new FanoutCore(stream.channel.eventLoop(), 10, 1024, 1, metrics);
        try {
            assertThrows(IllegalStateException.class,
                    () -> local.commitAssigned(List.of(), new long[0], new long[0], new long[0]));
        } finally {
            local.release();
        }
    }
}
