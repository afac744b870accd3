package io.sluice;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import io.sluice.admin.MetricsEndpoint;
import io.sluice.admin.StatsEndpoint;
import io.sluice.admin.StatsSampler;
import io.sluice.auth.AccessPolicy;
import io.sluice.auth.JwksKeys;
import io.sluice.backplane.Backplane;
import io.sluice.backplane.LocalBackplane;
import io.sluice.backplane.RedisBackplane;
import io.sluice.config.RedisAddress;
import io.sluice.config.SluiceConfig;
import io.sluice.dashboard.DashboardFeed;
import io.sluice.dashboard.LatencyPercentiles;
import io.sluice.demo.DemoClock;
import io.sluice.fanout.FanoutCore;
import io.sluice.fanout.HistoryLimits;
import io.sluice.http.AccessLogAppender;
import io.sluice.http.SluiceServerInitializer;
import io.sluice.limits.ConnectionLimiter;
import io.sluice.metrics.CountingMetrics;
import io.sluice.metrics.GatewayMetrics;
import io.sluice.metrics.MicrometerMetrics;
import io.sluice.metrics.NodeMeters;
import io.sluice.presence.PresenceHub;
import io.sluice.presence.PresenceTopics;
import io.sluice.stream.StreamDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * What one node runs, assembled from its config in dependency order: the metrics and their registry, the fan-out,
 * the backplane, the JWK set's thread (with {@code jwksUrl}), the node's readiness, the stats sampler and node meters,
 * the dashboard feed, the endpoints of both listeners and, in open development mode, the demo clock. It binds no socket and owns no thread: {@link SluiceServer}
 * gives it the event loops and binds its initializers; a test may assemble one on embedded loops and drive
 * {@link #publicInitializer()} directly.
 *
 * <p>Lifecycle, in two halves around the loops' end: {@link #stopProducers()} before the event loops stop (the demo
 * clock, the dashboard and the backplane's reader hand work to the loops; the JWK set's thread stops with them),
 * {@link #release()} after they have
 * terminated (meters, registry, and every frame the fan-out still holds).
 */
final class GatewayNode {
    private static final Logger log = LoggerFactory.getLogger(GatewayNode.class);
    private final SluiceConfig config;
    private final AccessPolicy access;
    private final CountingMetrics metrics;
    private final PrometheusMeterRegistry registry;
    private final FanoutCore fanout;
    private final Backplane backplane;
    /** The access policy's JWK set, or null; its first load is one of the node's readiness inputs. */
    private final JwksKeys jwks;
    private final NodeMeters nodeMeters;
    /** Its latest sample feeds /v1/stats, the history gauge and the dashboard's top topics. */
    private final StatsSampler statsSampler;
    /** Read by the dashboard's sampler only. */
    private final LatencyPercentiles deliveryLatency;
    private final DashboardFeed dashboard;
    private final PresenceHub presence;
    private final Endpoints endpoints;
    private final MetricsEndpoint metricsEndpoint;
    private final StatsEndpoint statsEndpoint;
    /** The sampler's and history maintenance's timers on the management loop; cancelled by {@link #stopProducers()}. */
    private final ScheduledFuture<?>[] timers;
    private DemoClock demoClock;
    private volatile boolean draining;

    /**
     * @param loops the event loops that serve connections and run the fan-out
     * @param management the management listener's loop: the stats sampler and the dashboard run there, never on a
     *                   stream's loop (a sample walks every topic)
     * @param connections every accepted connection of both listeners joins it
     */
    private GatewayNode(SluiceConfig config, AccessPolicy access, EventExecutorGroup loops, EventLoop management,
                        ChannelGroup connections, Logger accessLogger) {
        this.config = config;
        this.access = access;
        this.metrics = new CountingMetrics();
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MicrometerMetrics reported = new MicrometerMetrics(registry, metrics);
        RedisAddress redis = config.redisAddress();
        HistoryLimits history = new HistoryLimits(config.historySize(), config.historyMaxAge().toMillis(),
                config.historyMaxBytes());
        if (redis == null) {
            this.fanout = new FanoutCore(loops, history, config.fanoutQueueCapacity(),
                    config.heartbeatInterval().toNanos(), reported);
            this.backplane = new LocalBackplane(fanout);
        } else {
            this.fanout = FanoutCore.forSharedLog(loops, history, config.fanoutQueueCapacity(),
                    config.heartbeatInterval().toNanos(), reported);
            RedisBackplane clustered = new RedisBackplane(redis, config.redisStreamKey(), config.redisStreamMaxLen(),
                    config.redisStreamMaxAge(), fanout, reported);
            // connects in the background; /readyz is 503 until the stream's retained window is read
            clustered.start();
            this.backplane = clustered;
        }
        this.jwks = access.jwks();
        if (jwks != null) {
            jwks.start(reported); // loads in the background; /readyz is 503 until a first set is in
        }
        this.presence = PresenceHub.start(PresenceTopics.of(config.presenceTopics()), loops,
                PooledByteBufAllocator.DEFAULT, backplane.control());
        this.statsSampler = new StatsSampler(fanout.topics(), metrics, fanout::historyEvents);
        this.nodeMeters = new NodeMeters(new NodeMeters.Sources(loops, PooledByteBufAllocator.DEFAULT.metric(),
                backplane::isUp, this::isReady, config.maxConnections(), fanout.topics()::size, fanout::historyEvents,
                fanout::historyBytes, presence::topicCount, presence::entryCount, AccessLogAppender::droppedInProcess,
                jwks == null ? null : new NodeMeters.Jwks(metrics::jwksRefreshFailures, jwks::ageSeconds)));
        nodeMeters.bindTo(registry);
        this.timers = new ScheduledFuture<?>[] {
            management.scheduleWithFixedDelay(statsSampler, 0, 1, TimeUnit.SECONDS),
            // history's age bound when nobody publishes, and forgetting unused topics: off the stream loops
            management.scheduleWithFixedDelay(this::maintainHistory, 1, 1, TimeUnit.SECONDS)
        };
        this.deliveryLatency = new LatencyPercentiles(reported::deliveryLatencySnapshot);
        this.dashboard = new DashboardFeed(management, this::dashboardTotals);
        this.endpoints = new Endpoints(config, fanout, access, backplane, reported, this::notReadyReason,
                this::streamRefusalReason, connections, dashboard, presence, accessLogger);
        this.metricsEndpoint = new MetricsEndpoint(registry);
        this.statsEndpoint = new StatsEndpoint(metrics, fanout.topics(), statsSampler);
    }

    /**
     * Assembles a node; starts nothing but its own timers (sampler, dashboard), the JWK set's thread (with
     * {@code jwksUrl}) and, in cluster mode, the reader.
     */
    static GatewayNode assemble(SluiceConfig config, AccessPolicy access, EventExecutorGroup loops, EventLoop management,
                                ChannelGroup connections) {
        return new GatewayNode(config, access, loops, management, connections, null);
    }

    /**
     * A node whose public listener sends its access-log lines to {@code accessLogger} instead of logger
     * {@code sluice.access}: the start-up warm-up's throwaway node ({@link Warmup}), whose lines reach no output.
     */
    static GatewayNode assembleWithAccessLogger(SluiceConfig config, AccessPolicy access, EventExecutorGroup loops,
                                                EventLoop management, ChannelGroup connections, Logger accessLogger) {
        return new GatewayNode(config, access, loops, management, connections, accessLogger);
    }

    /**
     * In open development mode with {@code devClock}, starts the {@code demo/clock} tick on {@code loop}; call once
     * the listeners are bound.
     */
    void startDemoClock(EventLoop loop) {
        if (access.isOpen() && config.devClock()) {
            demoClock = new DemoClock(loop, backplane, PooledByteBufAllocator.DEFAULT);
        }
    }

    SluiceServerInitializer publicInitializer() {
        return endpoints.publicInitializer();
    }

    SluiceServerInitializer managementInitializer() {
        return endpoints.managementInitializer(metricsEndpoint, statsEndpoint);
    }

    FanoutCore fanout() {
        return fanout;
    }

    Backplane backplane() {
        return backplane;
    }

    CountingMetrics metrics() {
        return metrics;
    }

    ConnectionLimiter connectionLimiter() {
        return endpoints.connectionLimiter();
    }

    PresenceHub presence() {
        return presence;
    }

    StreamDirectory streamDirectory() {
        return endpoints.streamDirectory();
    }

    /** From now on {@code /readyz} answers 503 and new streams are refused. Any thread; never undone. */
    void startDraining() {
        draining = true;
    }

    boolean isReady() {
        return notReadyReason() == null;
    }

    /**
     * Why this node should not get traffic now, or null when ready (what {@code /readyz} and {@code sluice_ready}
     * report): {@link #streamRefusalReason()}, or a JWK set not loaded yet.
     */
    String notReadyReason() {
        String refusal = streamRefusalReason();
        if (refusal != null || jwks == null || jwks.isLoaded()) {
            return refusal;
        }
        return "the JWK set of jwksUrl is not loaded yet";
    }

    /**
     * Why this node refuses every new stream now (draining, backplane down), or null. Narrower than
     * {@link #notReadyReason()}: without its JWK set a node still serves what needs no token (public topics), and
     * answers only the tokens that need the set with 503.
     */
    String streamRefusalReason() {
        if (draining) {
            return "draining";
        }
        return backplane.isUp() ? null : "backplane " + backplane.describe() + " is down";
    }

    /** First half of the stop: everything that hands work to the event loops stops. Before the loops end. */
    void stopProducers() {
        for (ScheduledFuture<?> timer : timers) {
            timer.cancel(false);
        }
        fanout.stopHeartbeats();
        if (demoClock != null) {
            demoClock.stop();
        }
        dashboard.close();
        presence.stop();
        backplane.close();
        if (jwks != null) {
            jwks.close();
        }
    }

    /** Second half: meters and every buffer the fan-out holds. Once the event loops have terminated. */
    void release() {
        nodeMeters.close();
        registry.close();
        fanout.release();
    }

    /** On the management loop, once a second; a failure is logged and the next second tries again. */
    private void maintainHistory() {
        try {
            fanout.maintain(System.currentTimeMillis());
        } catch (RuntimeException e) {
            log.warn("history maintenance failed", e);
        }
    }

    /**
     * The dashboard's view of this node; on the management loop, once a second. The top topics and the presence
     * table only while the dashboard has a viewer: they cost walks of every topic ({@link StatsSampler#current}).
     */
    private DashboardFeed.Totals dashboardTotals(boolean watched) {
        LatencyPercentiles.Sample latency = deliveryLatency.sample();
        return new DashboardFeed.Totals(metrics.openStreams(), metrics.published(), metrics.delivered(),
                metrics.slowConsumerDisconnects(), latency.p50Millis(), latency.p99Millis(),
                watched ? statsSampler.current().topTopics() : List.of(),
                watched ? presence.top(StatsSampler.TOP_TOPICS) : List.of(), fanout.topics().size(),
                fanout.historyBytes(), metrics.historyEvictions(GatewayMetrics.EVICTED_BYTES));
    }
}
