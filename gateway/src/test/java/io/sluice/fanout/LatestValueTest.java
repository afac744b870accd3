package io.sluice.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
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
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CONTRACT §12 on the fan-out: a keyed event supersedes the topic's earlier event with the same key in history, so
 * replay and catch-up hand out only events not superseded, in id order, and a stream that lags only in superseded
 * events stays within its lag bound. Live delivery to a stream that keeps up is every event.
 */
class LatestValueTest {
    private final CountingMetrics metrics = new CountingMetrics();
    private final FanoutChannel stream = new FanoutChannel();
    private Subscriber subscriber;
    private FanoutCore core;

    @BeforeEach
    void setUp() {
        core = new FanoutCore(stream.channel.eventLoop(), new HistoryLimits(100, 0, Long.MAX_VALUE), 1024,
                TimeUnit.HOURS.toNanos(1), metrics, 1000, LoopFanout.MAX_WRITES_PER_DRAIN, false);
    }

    @AfterEach
    void tearDown() {
        stream.close();
        core.release();
    }

    private Subscriber subscribe(int maxLag, ReplayStart replay) {
        Topic topic = core.topics().acquire("t");
        subscriber = core.subscribe(stream.ctx(), new Topic[] {topic}, TypeFilter.ALL, maxLag, replay);
        stream.resume(subscriber);
        return subscriber;
    }

    private long publish(String key, String data) {
        ByteBuf frame = SseEncoder.encodeStringData(PooledByteBufAllocator.DEFAULT, "tick", data);
        CommitResult r = core.commit(List.of(EncodedEvent.keyed("t", "tick", frame, new byte[0], key)));
        assertNotNull(r);
        stream.channel.runPendingTasks();
        return r.ids()[0];
    }

    /** The data of every frame written since the last call, in order. */
    private List<String> drain() {
        List<String> data = new ArrayList<>();
        for (String line : stream.drainWire().split("\n")) {
            if (line.startsWith("data: ")) {
                data.add(line.substring("data: ".length()));
            }
        }
        return data;
    }

    private List<Event> retained() {
        List<Event> out = new ArrayList<>();
        core.topics().find("t").history().after(0, TypeFilter.ALL, 1000, out);
        return out;
    }

    @Test
    void aKeyedEventSupersedesTheEarlierOneOfItsKeyOnlyAndHistoryKeepsIdOrder() {
        long a1 = publish("a", "a1");
        long plain = publish(null, "plain");
        long b1 = publish("b", "b1");
        long a2 = publish("a", "a2");
        long plain2 = publish(null, "plain2");
        long b2 = publish("b", "b2");

        assertEquals(List.of(plain, a2, plain2, b2), retained().stream().map(Event::id).toList());
        assertEquals(a1, retained().get(1).supersededId());
        assertEquals(b1, retained().get(3).supersededId());
        assertEquals(4, core.historyEvents());
        assertTrue(core.topics().find("t").history().retainsAllAfter(a1 - 1),
                "superseding is not eviction: a resume from before a1 gets the newer values, not reset");
    }

    @Test
    void replayAfterAnIdGivesOnlyEventsNotSupersededInIdOrder() {
        long first = publish("cpu", "10");
        publish("mem", "20");
        publish("cpu", "11");
        publish("mem", "21");
        publish("cpu", "12");
        drain();
        subscribe(10, ReplayStart.after(first - 1)).catchUp();
        assertEquals(List.of("21", "12"), drain());
        publish("cpu", "13");
        assertEquals(List.of("13"), drain(), "live: every event");
        subscriber.unregister();
    }

    @Test
    void aStreamLaggingOnAKeyedTickerCatchesUpWithTheNewestValueOfEachKeyAndStaysWithinItsBound() {
        subscribe(5, ReplayStart.LIVE);
        publish("k0", "0");
        assertEquals(List.of("0"), drain());
        stream.setWritable(false);
        for (int seq = 1; seq <= 60; seq++) {
            publish("k" + seq % 3, Integer.toString(seq));
        }
        assertEquals(0, metrics.slowConsumerDisconnects(), "it owes three events, the newest of each key, not 60");
        assertTrue(subscriber.isLagging());
        stream.setWritable(true);
        assertEquals(List.of("58", "59", "60"), drain(), "the newest of each key, in id order, never an older one");
        assertFalse(subscriber.isLagging());
        publish("k1", "61");
        assertEquals(List.of("61"), drain());
        subscriber.unregister();
    }

    @Test
    void aStreamLaggingInEventsThatAreNotSupersededIsStillCutLoose() {
        subscribe(5, ReplayStart.LIVE);
        stream.setWritable(false);
        for (int seq = 1; seq <= 6; seq++) {
            publish("distinct" + seq, Integer.toString(seq));
        }
        assertEquals(1, metrics.slowConsumerDisconnects());
    }

    @Test
    void theNewestValueOfAKeyStaysWhenOlderEventsAreEvictedByCount() {
        FanoutCore small = new FanoutCore(stream.channel.eventLoop(), new HistoryLimits(2, 0, Long.MAX_VALUE), 1024,
                TimeUnit.HOURS.toNanos(1), metrics, 5000, LoopFanout.MAX_WRITES_PER_DRAIN, false);
        try {
            for (String key : List.of("a", "b", "a", "c", "a")) {
                ByteBuf frame = SseEncoder.encodeStringData(PooledByteBufAllocator.DEFAULT, "tick", key);
                assertNotNull(small.commit(List.of(EncodedEvent.keyed("t", "tick", frame, new byte[0], key))));
            }
            stream.channel.runPendingTasks();
            List<Event> kept = new ArrayList<>();
            small.topics().find("t").history().after(0, TypeFilter.ALL, 10, kept);
            assertEquals(List.of("c", "a"), kept.stream().map(Event::key).toList());
            assertEquals(2, small.historyEvents());
        } finally {
            small.release();
        }
    }
}
