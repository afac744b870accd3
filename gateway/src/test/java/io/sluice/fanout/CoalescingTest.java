package io.sluice.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
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
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When the loop drains: at once after a narrow drain, and {@link LoopFanout#COALESCE_NANOS} after a wide one (many
 * streams per event), so a busy topic's events reach each stream in one write. Time is the embedded loop's frozen
 * ticker.
 */
class CoalescingTest {
    private final CountingMetrics metrics = new CountingMetrics();
    private final FanoutChannel stream = new FanoutChannel();
    private final List<Subscriber> subscribers = new ArrayList<>();
    private FanoutCore core;
    private Topic topic;

    @BeforeEach
    void setUp() {
        stream.channel.freezeTime(); // the loop's clock moves only when the test says: no delay expires on a slow machine
        core = new FanoutCore(stream.channel.eventLoop(), new HistoryLimits(100, Long.MAX_VALUE, Long.MAX_VALUE), 1024,
                TimeUnit.HOURS.toNanos(1), metrics, 1000, LoopFanout.MAX_WRITES_PER_DRAIN, false);
        topic = core.topics().acquire("t");
    }

    @AfterEach
    void tearDown() {
        subscribers.forEach(Subscriber::unregister);
        topic.release();
        stream.close();
        core.release();
    }

    private void subscribe(int streams) {
        for (int i = 0; i < streams; i++) {
            subscribers.add(core.subscribe(stream.ctx(), new Topic[] {topic}, TypeFilter.ALL, 10, ReplayStart.LIVE));
        }
    }

    private void publish(String data) {
        ByteBuf frame = SseEncoder.encodeStringData(PooledByteBufAllocator.DEFAULT, "message", data);
        assertNotNull(core.commit(List.of(new EncodedEvent("t", "message", frame, new byte[0]))));
    }

    /** What the streams were written without running the loop's tasks, as text, released. */
    private String writtenSoFar() {
        StringBuilder wire = new StringBuilder();
        ByteBuf b;
        while ((b = stream.channel.readOutbound()) != null) {
            wire.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return wire.toString();
    }

    private static int frames(String wire) {
        return wire.split("\n\n", -1).length - 1;
    }

    /**
     * Every stream of a loop fits the list of streams to flush before any drain: a drain that had to grow it took a
     * branch its compiled code did not have, and fell back to the interpreter under the first wide fan-out.
     */
    @Test
    void theStreamsToFlushFitWithoutGrowingInADrain() {
        subscribe(1000);
        LoopFanout loop = subscribers.get(0).loop();
        assertTrue(loop.dirtyCapacity() >= 1000, "room for " + loop.dirtyCapacity() + " of 1000 streams");
        int room = loop.dirtyCapacity();
        publish("to all");
        assertTrue(frames(stream.drainWire()) >= LoopFanout.WIDE_FANOUT, "a wide drain");
        assertEquals(room, loop.dirtyCapacity(), "the drain grew the list");
    }

    @Test
    void afterAWideDrainTheNextWaitsTheCoalescingDelayAndJoinsWhatCameMeanwhile() {
        subscribe(LoopFanout.WIDE_FANOUT);
        publish("one");
        assertEquals(LoopFanout.WIDE_FANOUT, frames(stream.drainWire()), "a wide drain");

        publish("two");
        publish("three");
        assertEquals("", stream.drainWire(), "not before the coalescing delay");
        stream.channel.advanceTimeBy(LoopFanout.COALESCE_NANOS, TimeUnit.NANOSECONDS);
        stream.channel.runScheduledPendingTasks();
        String wire = writtenSoFar();
        assertEquals(2 * LoopFanout.WIDE_FANOUT, frames(wire), "both events in the delayed drain");
        assertEquals(LoopFanout.WIDE_FANOUT, wire.split("id: 1001\ndata: two\n\nid: 1002\ndata: three\n\n", -1).length
                - 1, "each stream got the two events joined, in order");

        stream.channel.advanceTimeBy(LoopFanout.COALESCE_NANOS, TimeUnit.NANOSECONDS);
        publish("four"); // the delay after the last wide drain is over: the next drain runs at once
        assertEquals(LoopFanout.WIDE_FANOUT, frames(stream.drainWire()));
    }

    @Test
    void afterANarrowDrainTheNextRunsAtOnce() {
        subscribe(LoopFanout.WIDE_FANOUT - 1);
        publish("one");
        assertEquals(LoopFanout.WIDE_FANOUT - 1, frames(stream.drainWire()));
        publish("two");
        assertEquals(LoopFanout.WIDE_FANOUT - 1, frames(stream.drainWire()), "no delay below the wide threshold");
    }
}
