package io.sluice.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.netty.buffer.PooledByteBufAllocatorMetric;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.SingleThreadEventExecutor;

import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The gauges that describe the node rather than its traffic: readiness, backplane, configured limit, topics
 * and history, the JWK set (with {@code jwksUrl}), event-loop queues, Netty's pooled memory, the standard JVM and
 * process meters (memory, GC, threads, class loading, CPU, uptime, open files), and what presence holds (tracked
 * topics, entries).
 *
 * <p>Threading: every gauge is read at scrape time on the thread that scrapes (the management loop) and only
 * reads thread-safe state: volatile flags, atomic counts, the allocator's metric view, the executors' queue
 * sizes and the stats sampler's latest snapshot. Nothing here runs on a stream's event loop.
 */
public final class NodeMeters implements MeterBinder, AutoCloseable {
    private final Sources sources;
    private JvmGcMetrics gc;

    /**
     * What the gauges read.
     *
     * @param loops the event loops that serve streams; one pending-tasks gauge each, tagged by index
     * @param maxConnections the configured limit of open streams
     * @param topics the topics the node knows now (thread-safe)
     * @param historyEvents the events retained in history (thread-safe, never a walk)
     * @param historyBytes the bytes of their encoded frames (thread-safe, never a walk)
     * @param presenceTopics tracked topics with a stream on this node (thread-safe, never a walk)
     * @param presenceEntries presence entries this node holds (thread-safe, never a walk)
     * @param jwks the JWK set's meters, or null when no {@code jwksUrl} is configured (then they do not exist)
     */
    public record Sources(EventExecutorGroup loops, PooledByteBufAllocatorMetric allocator, BooleanSupplier backplaneUp,
                          BooleanSupplier ready, int maxConnections, IntSupplier topics, LongSupplier historyEvents,
                          LongSupplier historyBytes, IntSupplier presenceTopics, IntSupplier presenceEntries,
                          LongSupplier accessLogDropped, Jwks jwks) {
    }

    /**
     * What the JWK set's meters read, both thread-safe and non-blocking.
     *
     * @param refreshFailures failed fetches since start ({@link CountingMetrics#jwksRefreshFailures()})
     * @param ageSeconds seconds since the set in use was fetched, NaN before the first set
     */
    public record Jwks(LongSupplier refreshFailures, DoubleSupplier ageSeconds) {
    }

    public NodeMeters(Sources sources) {
        this.sources = sources;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder(SluiceMeters.BACKPLANE_UP, sources.backplaneUp(), up -> up.getAsBoolean() ? 1 : 0)
                .description("1 while the backplane accepts publishes").register(registry);
        Gauge.builder(SluiceMeters.READY, sources.ready(), ready -> ready.getAsBoolean() ? 1 : 0)
                .description("1 while /readyz answers 200").register(registry);
        Gauge.builder(SluiceMeters.CONNECTIONS_MAX, sources::maxConnections)
                .description("Configured maxConnections: most open streams on this node").register(registry);
        Gauge.builder(SluiceMeters.TOPICS, sources.topics(), IntSupplier::getAsInt)
                .description("Topics this node knows").register(registry);
        Gauge.builder(SluiceMeters.HISTORY_EVENTS, sources.historyEvents(), LongSupplier::getAsLong)
                .description("Events retained in history, all topics").register(registry);
        Gauge.builder(SluiceMeters.HISTORY_BYTES, sources.historyBytes(), LongSupplier::getAsLong)
                .baseUnit(BaseUnits.BYTES)
                .description("Bytes of the retained events' encoded frames, all topics (historyMaxBytes bounds it)")
                .register(registry);
        FunctionCounter.builder(SluiceMeters.ACCESS_LOG_DROPPED, sources.accessLogDropped(), LongSupplier::getAsLong)
                .description("Access-log lines dropped because the log's writer fell queueSize lines behind")
                .register(registry);
        Jwks jwks = sources.jwks();
        if (jwks != null) {
            FunctionCounter.builder(SluiceMeters.JWKS_REFRESH_FAILURES, jwks.refreshFailures(), LongSupplier::getAsLong)
                    .description("Fetches of the JWK set (jwksUrl) that failed or brought no usable key")
                    .register(registry);
            Gauge.builder(SluiceMeters.JWKS_AGE, jwks.ageSeconds(), DoubleSupplier::getAsDouble).baseUnit("seconds")
                    .description("Seconds since the JWK set in use was last fetched; NaN before the first")
                    .register(registry);
        }
        Gauge.builder(SluiceMeters.PRESENCE_TOPICS, sources.presenceTopics(), IntSupplier::getAsInt)
                .description("Tracked topics (presenceTopics) with a stream on this node").register(registry);
        Gauge.builder(SluiceMeters.PRESENCE_ENTRIES, sources.presenceEntries(), IntSupplier::getAsInt)
                .description("Presence entries held: one per tracked topic and user with a stream here, one per"
                        + " tracked topic").register(registry);
        int index = 0;
        for (EventExecutor executor : sources.loops()) {
            if (executor instanceof SingleThreadEventExecutor loop) {
                Gauge.builder(SluiceMeters.EVENT_LOOP_PENDING_TASKS, loop, SingleThreadEventExecutor::pendingTasks)
                        .tag(SluiceMeters.TAG_LOOP, Integer.toString(index))
                        .description("Tasks waiting on the event loop").register(registry);
            }
            index++;
        }
        PooledByteBufAllocatorMetric allocator = sources.allocator();
        Gauge.builder(SluiceMeters.NETTY_ALLOCATOR_MEMORY_USED, allocator, PooledByteBufAllocatorMetric::usedDirectMemory)
                .tag(SluiceMeters.TAG_MEMORY_TYPE, "direct").baseUnit(BaseUnits.BYTES)
                .description("Memory held by Netty's pooled allocator").register(registry);
        Gauge.builder(SluiceMeters.NETTY_ALLOCATOR_MEMORY_USED, allocator, PooledByteBufAllocatorMetric::usedHeapMemory)
                .tag(SluiceMeters.TAG_MEMORY_TYPE, "heap").baseUnit(BaseUnits.BYTES)
                .description("Memory held by Netty's pooled allocator").register(registry);

        new JvmMemoryMetrics().bindTo(registry);
        gc = new JvmGcMetrics();
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    /** Stops the GC notification listener. */
    @Override
    public void close() {
        if (gc != null) {
            gc.close();
        }
    }
}
