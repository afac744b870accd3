package io.sluice.admin;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.sluice.fanout.EncodedEvent;
import io.sluice.fanout.FanoutCore;
import io.sluice.metrics.CountingMetrics;
import io.sluice.sse.SseEncoder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Rates over the sampler's sliding window, with the clock and the counts driven by the test. */
class StatsSamplerTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final FanoutCore core = new FanoutCore(channel.eventLoop(), 10, 1024, TimeUnit.HOURS.toNanos(1),
            new CountingMetrics());
    private final CountingMetrics counts = new CountingMetrics();
    private long now = 5 * SECOND;
    private final StatsSampler sampler = new StatsSampler(core.topics(), counts, core::historyEvents, () -> now);

    @AfterEach
    void tearDown() {
        assertFalse(channel.finish());
        core.release();
    }

    @Test
    void ratesAreZeroUntilTwoSamplesExist() {
        assertEquals(NodeStats.EMPTY, sampler.latest());
        counts.eventsPublished(100);
        sampler.run();
        assertEquals(0, sampler.latest().publishRate());
        assertEquals(0, sampler.latest().windowSeconds());
    }

    @Test
    void ratesArePerSecondOverTheLastTenSamples() {
        sampler.run();
        now += SECOND;
        counts.eventsPublished(10);
        counts.eventsDelivered(40);
        sampler.run();
        assertEquals(10, sampler.latest().publishRate(), 1e-9);
        assertEquals(40, sampler.latest().deliveryRate(), 1e-9);
        assertEquals(1, sampler.latest().windowSeconds(), 1e-9);

        // nine more seconds at 5 published per second: the window is now full, from t=0 (10 + 45 in 10 s)
        for (int i = 0; i < 9; i++) {
            now += SECOND;
            counts.eventsPublished(5);
            sampler.run();
        }
        assertEquals(5.5, sampler.latest().publishRate(), 1e-9);
        assertEquals(10, sampler.latest().windowSeconds(), 1e-9);

        // one more: the first burst leaves the window, which spans ten seconds of 5/s
        now += SECOND;
        counts.eventsPublished(5);
        sampler.run();
        assertEquals(5, sampler.latest().publishRate(), 1e-9);
        assertEquals(0, sampler.latest().deliveryRate(), 1e-9);
        assertEquals(10, sampler.latest().windowSeconds(), 1e-9);
    }

    @Test
    void ratesFollowAnUnevenClock() {
        sampler.run();
        now += SECOND / 2;
        counts.eventsPublished(3);
        sampler.run();
        assertEquals(6, sampler.latest().publishRate(), 1e-9);
    }

    @Test
    void aSampleCountsTopicsConnectionsAndSlowConsumers() {
        core.topics().get("a");
        core.topics().get("b");
        counts.streamOpened();
        counts.streamOpened();
        counts.slowConsumerDisconnect();
        sampler.run();
        NodeStats stats = sampler.latest();
        assertEquals(2, stats.topics());
        assertEquals(2, stats.connections());
        assertEquals(1, stats.slowConsumerDisconnects());
        assertEquals(0, stats.historyEvents());
        assertEquals(0, stats.topTopics().size(), "topics without streams are not listed");
    }

    /**
     * The top topics cost a walk of every topic: periods walk only while someone asked within the demand window, and
     * an ask walks at once only when the last walk is a period old.
     */
    @Test
    void topicsAreWalkedOnlyWhileSomeoneAsksForTheTopList() {
        core.topics().get("a");
        for (int i = 0; i < 3; i++) {
            now += SECOND;
            sampler.run();
        }
        assertEquals(0, sampler.walks(), "nobody asked");
        assertEquals(1, sampler.latest().topics(), "the topic count needs no walk");

        sampler.current();
        assertEquals(1, sampler.walks(), "the first ask walks");
        now += SECOND / 2;
        sampler.current();
        assertEquals(1, sampler.walks(), "half a period later the last walk is fresh enough");

        long askedAt = now;
        while (now - askedAt < StatsSampler.TOP_TOPICS_DEMAND_NANOS) {
            now += SECOND;
            sampler.run();
        }
        long whileAsked = sampler.walks();
        assertEquals(1 + StatsSampler.TOP_TOPICS_DEMAND_NANOS / SECOND - 1, whileAsked, "each period walks while asked");
        for (int i = 0; i < 5; i++) {
            now += SECOND;
            sampler.run();
        }
        assertEquals(whileAsked, sampler.walks(), "the demand lapsed");
        now += SECOND;
        sampler.current();
        assertEquals(whileAsked + 1, sampler.walks(), "a new ask walks again");
    }

    @Test
    void historyEventsAreTheFanoutsCountOfRetainedEvents() {
        for (int i = 0; i < 3; i++) {
            ByteBuf frame = SseEncoder.encodeStringData(PooledByteBufAllocator.DEFAULT, "message", "e" + i);
            assertNotNull(core.commit(List.of(new EncodedEvent("t" + i, "message", frame, new byte[0]))));
        }
        sampler.run();
        assertEquals(3, sampler.latest().historyEvents());
        assertEquals(3, sampler.latest().topics());
    }
}
