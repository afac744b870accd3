package io.sluice.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.sluice.metrics.CountingMetrics;
import io.sluice.metrics.GatewayMetrics;
import io.sluice.sse.SseEncoder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CONTRACT §10 on the fan-out alone: the node-wide age and byte bounds on history (the oldest event goes first,
 * whatever its topic), their accounting and metrics, topics forgotten once nothing uses them, and {@code sent}
 * counting only streams whose type filter matches. Time is passed to {@link FanoutCore#maintain} explicitly.
 */
class HistoryBoundsTest {
    private static final long HOUR = TimeUnit.HOURS.toMillis(1);
    private final CountingMetrics metrics = new CountingMetrics();
    private final FanoutChannel stream = new FanoutChannel();
    private final EmbeddedChannel channel = stream.channel;
    private FanoutCore core;

    @AfterEach
    void tearDown() {
        stream.close();
        core.release();
        assertEquals(0, core.historyBytes(), "release forgets every retained event");
    }

    private void start(int perTopic, long maxAgeMillis, long maxBytes) {
        core = new FanoutCore(channel.eventLoop(), new HistoryLimits(perTopic, maxAgeMillis, maxBytes), 1024,
                TimeUnit.HOURS.toNanos(1), metrics, 1000, LoopFanout.MAX_WRITES_PER_DRAIN, false);
    }

    private static EncodedEvent event(String topic, String type, String data) {
        ByteBuf frame = SseEncoder.encodeStringData(PooledByteBufAllocator.DEFAULT, type, data);
        return new EncodedEvent(topic, type, frame, new byte[0]);
    }

    private CommitResult publish(String topic, String type, String data) {
        CommitResult r = core.commit(List.of(event(topic, type, data)));
        assertNotNull(r);
        channel.runPendingTasks();
        return r;
    }

    private long publish(String topic, String data) {
        return publish(topic, "message", data).ids()[0];
    }

    /** The frame size of {@code data} as an event with an id of this test's magnitude. */
    private static int frameBytes(String data) {
        return ("id: 1000\ndata: " + data + "\n\n").length();
    }

    @Test
    void oldestEventsGoFirstWhateverTheirTopicOnceHistoryIsOverItsBytes() {
        // events large enough that their frames, not their bookkeeping, reach the budget first
        String data = "x".repeat(600);
        int frame = frameBytes(data);
        start(100, 0, 3L * frame);
        long a = publish("a", data);
        long b = publish("b", data);
        publish("a", data);
        assertEquals(3L * frame, core.historyBytes());
        assertEquals(3, core.historyEvents());
        long d = publish("c", data);

        assertEquals(3L * frame, core.historyBytes(), "the oldest event, on topic a, made room");
        assertEquals(1, metrics.historyEvictions(GatewayMetrics.EVICTED_BYTES));
        assertFalse(core.topics().find("a").history().retainsAllAfter(a - 1), "a's first event is gone");
        assertTrue(core.topics().find("a").history().retainsAllAfter(a));
        assertTrue(core.topics().find("b").history().retainsAllAfter(b - 1), "b was not touched");
        assertTrue(core.topics().find("c").history().retainsAllAfter(d - 1));
    }

    @Test
    void eventsOlderThanTheMaxAgeAreEvictedByMaintenance() {
        start(100, HOUR, Long.MAX_VALUE);
        long first = publish("t", "one");
        publish("u", "two");
        long now = System.currentTimeMillis();

        core.maintain(now);
        assertEquals(2, core.historyEvents(), "nothing is an hour old yet");
        core.maintain(now + HOUR + 1000);
        assertEquals(0, core.historyEvents());
        assertEquals(0, core.historyBytes());
        assertEquals(2, metrics.historyEvictions(GatewayMetrics.EVICTED_AGE));
        Topic t = core.topics().acquire("t");
        try {
            assertFalse(t.history().retainsAllAfter(first - 1), "a resume from before is told reset");
        } finally {
            t.release();
        }
    }

    @Test
    void perTopicCountEvictionsLeaveTheNodeWideAccountsRight() {
        int frame = frameBytes("12345");
        start(2, 0, Long.MAX_VALUE);
        for (int i = 0; i < 5; i++) {
            publish("t", "1234" + i);
        }
        assertEquals(2, core.historyEvents());
        assertEquals(2L * frame, core.historyBytes());
        assertEquals(3, metrics.historyEvictions(GatewayMetrics.EVICTED_COUNT));
    }

    @Test
    void theHeapSideOfHistoryIsBoundedTooSoTinyEventsOnInventedTopicsCannotFillTheHeap() {
        // frames of ~20 bytes would allow thousands of events; their bookkeeping on the heap would not
        long budget = 20L * (Retention.EVENT_HEAP_BYTES + Retention.TOPIC_HEAP_BYTES);
        start(10, 0, budget);
        for (int i = 0; i < 200; i++) {
            publish("invented/" + i, "x");
        }
        assertTrue(core.historyEvents() <= 20, core.historyEvents() + " events retained");
        assertTrue(metrics.historyEvictions(GatewayMetrics.EVICTED_BYTES) >= 180);
    }

    @Test
    void aBatchLargerThanTheWholeBudgetIsRefusedAndCounted() {
        start(100, 0, 2L * (frameBytes("xxxxxxxx") + SseEncoder.ID_HEADROOM));
        List<EncodedEvent> batch = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            batch.add(event("t", "message", "xxxxxxxx"));
        }
        try {
            assertFalse(core.historyCanHold(batch));
            assertEquals(1, metrics.memoryRefusals());
            assertTrue(core.historyCanHold(batch.subList(0, 1)));
        } finally {
            batch.forEach(EncodedEvent::release);
        }
    }

    @Test
    void aTopicWithNoStreamAndNoRetainedEventIsForgotten() {
        start(100, HOUR, Long.MAX_VALUE);
        Topic held = core.topics().acquire("held");
        publish("retained", "x");
        core.topics().acquire("released").release();
        long now = System.currentTimeMillis();

        core.maintain(now + FanoutCore.FORGET_PERIOD_MILLIS);
        assertSame(held, core.topics().find("held"), "a stream holds it");
        assertNotNull(core.topics().find("retained"), "history retains one of its events");
        assertNull(core.topics().find("released"));

        held.release();
        core.maintain(now + HOUR + 2 * FanoutCore.FORGET_PERIOD_MILLIS);
        assertEquals(0, core.topics().size(), "once the event aged out and the stream left, nothing is kept");
    }

    @Test
    void aTopicIsNotForgottenWhileAnEventOfItIsStillQueuedOnALoop() {
        start(0, 0, Long.MAX_VALUE);
        assertNotNull(core.commit(List.of(event("t", "message", "queued"))));
        long now = System.currentTimeMillis();
        core.maintain(now + FanoutCore.FORGET_PERIOD_MILLIS);
        assertNotNull(core.topics().find("t"), "the loop has not drained it yet");
        channel.runPendingTasks();
        core.maintain(now + 2 * FanoutCore.FORGET_PERIOD_MILLIS);
        assertNull(core.topics().find("t"));
    }

    @Test
    void aTopicUsedAgainAfterBeingForgottenTellsAResumeFromBeforeItsEvictionsToReset() {
        start(100, HOUR, Long.MAX_VALUE);
        long old = publish("t", "x");
        long now = System.currentTimeMillis();
        core.maintain(now + HOUR + FanoutCore.FORGET_PERIOD_MILLIS);
        assertNull(core.topics().find("t"));

        Topic again = core.topics().acquire("t");
        try {
            assertFalse(again.history().retainsAllAfter(old - 1), "its evicted event must not look retained");
            assertTrue(again.history().retainsAllAfter(old), "nothing after the node-wide eviction mark was lost");
        } finally {
            again.release();
        }
    }

    @Test
    void acquiringAndForgettingRaceWithoutAStreamEverHoldingAForgottenTopic() throws InterruptedException {
        start(4, 0, Long.MAX_VALUE);
        Object commitLock = new Object();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        List<Throwable> failures = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            threads.add(new Thread(() -> {
                try {
                    for (int i = 0; System.nanoTime() < deadline; i++) {
                        String name = "race/" + (i % 16);
                        Topic topic = core.topics().acquire(name);
                        assertSame(topic, core.topics().find(name), "a held topic is the registered one");
                        topic.release();
                    }
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            }));
        }
        threads.add(new Thread(() -> {
            while (System.nanoTime() < deadline) {
                core.topics().forgetUnused(Long.MAX_VALUE, commitLock);
            }
        }));
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        }
        assertEquals(List.of(), failures);
        core.topics().forgetUnused(Long.MAX_VALUE, commitLock);
        assertEquals(0, core.topics().size(), "every hold was given back");
    }

    @Test
    void sentCountsOnlyTheStreamsWhoseTypeFilterMatches() {
        start(10, 0, Long.MAX_VALUE);
        Topic[] topics = {core.topics().acquire("t")};
        Subscriber all = core.subscribe(stream.ctx(), topics, TypeFilter.ALL, 10, ReplayStart.LIVE);
        Subscriber orders = core.subscribe(stream.ctx(), topics, TypeFilter.of(List.of("order:*")), 10, ReplayStart.LIVE);
        Subscriber ordersToo = core.subscribe(stream.ctx(), topics, TypeFilter.of(List.of("order:*")), 10, ReplayStart.LIVE);
        try {
            assertEquals(1, publish("t", "invoice:paid", "1").sent());
            assertEquals(3, publish("t", "order:new", "2").sent());
            ordersToo.unregister();
            assertEquals(2, publish("t", "order:new", "3").sent());
            assertEquals(1, publish("t", "invoice:paid", "4").sent());
            assertEquals(0, publish("elsewhere", "order:new", "5").sent());
        } finally {
            all.unregister();
            orders.unregister();
            topics[0].release();
        }
    }
}
