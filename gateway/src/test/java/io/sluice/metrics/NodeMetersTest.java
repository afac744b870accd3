package io.sluice.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioIoHandler;
import io.sluice.fanout.FanoutCore;
import io.sluice.testing.PrometheusText;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The node gauges read their sources at scrape time: readiness and backplane flips, queued loop tasks. */
class NodeMetersTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final FanoutCore core = new FanoutCore(channel.eventLoop(), 10, 1024, TimeUnit.HOURS.toNanos(1),
            new CountingMetrics());
    private final AtomicBoolean ready = new AtomicBoolean(true);
    private final AtomicBoolean backplaneUp = new AtomicBoolean(true);
    private final AtomicLong accessLogDropped = new AtomicLong();
    private final NodeMeters meters = new NodeMeters(new NodeMeters.Sources(loops, PooledByteBufAllocator.DEFAULT.metric(),
            backplaneUp::get, ready::get, 500, () -> core.topics().size(), core::historyEvents, core::historyBytes,
            () -> 2, () -> 5, accessLogDropped::get, null));

    @AfterEach
    void close() {
        meters.close();
        registry.close();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        assertFalse(channel.finish());
        core.release();
    }

    private PrometheusText scrape() {
        return PrometheusText.parse(registry.scrape());
    }

    @Test
    void readinessAndBackplaneAreReadAtEachScrape() {
        meters.bindTo(registry);
        assertEquals(1, scrape().value("sluice_ready"));
        assertEquals(1, scrape().value("sluice_backplane_up"));
        assertEquals(500, scrape().value("sluice_connections_max"));
        ready.set(false);
        backplaneUp.set(false);
        assertEquals(0, scrape().value("sluice_ready"));
        assertEquals(0, scrape().value("sluice_backplane_up"));
        core.topics().get("x");
        assertEquals(1, scrape().value("sluice_topics"));
        assertEquals(2, scrape().value("sluice_presence_topics"));
        assertEquals(0, scrape().value("sluice_access_log_dropped_total"));
        assertEquals("counter", scrape().type("sluice_access_log_dropped_total"));
        accessLogDropped.set(7);
        assertEquals(7, scrape().value("sluice_access_log_dropped_total"));
        assertEquals(5, scrape().value("sluice_presence_entries"));
    }

    @Test
    void pendingTasksAreCountedPerLoop() throws InterruptedException {
        meters.bindTo(registry);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        EventLoop first = (EventLoop) loops.iterator().next();
        try {
            first.execute(() -> {
                blocked.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertTrue(blocked.await(10, TimeUnit.SECONDS));
            for (int i = 0; i < 5; i++) {
                first.execute(() -> { });
            }
            PrometheusText text = scrape();
            assertEquals(5, text.value("sluice_event_loop_pending_tasks", "loop", "0"));
            assertEquals(0, text.value("sluice_event_loop_pending_tasks", "loop", "1"));
        } finally {
            release.countDown();
        }
    }

    @Test
    void jwkSetMetersExistOnlyWithAJwkSetAndAreReadAtEachScrape() {
        meters.bindTo(registry);
        assertTrue(scrape().sampleNames().stream().noneMatch(n -> n.startsWith("sluice_jwks")), "no jwksUrl, no series");

        AtomicLong failures = new AtomicLong();
        AtomicReference<Double> age = new AtomicReference<>(Double.NaN);
        PrometheusMeterRegistry withJwks = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        NodeMeters jwksMeters = new NodeMeters(new NodeMeters.Sources(loops, PooledByteBufAllocator.DEFAULT.metric(),
                backplaneUp::get, ready::get, 500, () -> 0, () -> 0, () -> 0, () -> 0, () -> 0, () -> 0,
                new NodeMeters.Jwks(failures::get, age::get)));
        try {
            jwksMeters.bindTo(withJwks);
            PrometheusText before = PrometheusText.parse(withJwks.scrape());
            assertEquals(0, before.value("sluice_jwks_refresh_failures_total"));
            assertTrue(Double.isNaN(before.value("sluice_jwks_age_seconds")), "NaN before a first set");
            assertEquals("counter", before.type("sluice_jwks_refresh_failures_total"));
            failures.set(3);
            age.set(12.5);
            PrometheusText after = PrometheusText.parse(withJwks.scrape());
            assertEquals(3, after.value("sluice_jwks_refresh_failures_total"));
            assertEquals(12.5, after.value("sluice_jwks_age_seconds"));
        } finally {
            jwksMeters.close();
            withJwks.close();
        }
    }
}
