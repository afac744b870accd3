package io.sluice;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.sluice.auth.AccessPolicy;
import io.sluice.auth.OpenAccessPolicy;
import io.sluice.backplane.Backplane;
import io.sluice.backplane.LocalBackplane;
import io.sluice.backplane.RedisBackplane;
import io.sluice.config.RedisAddress;
import io.sluice.config.SluiceConfig;
import io.sluice.fanout.FanoutCore;
import io.sluice.http.SluiceServerInitializer;
import io.sluice.metrics.CountingMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The gateway process: event loops, fan-out, the public listener and the management listener, wired once.
 * {@link #start} binds both listeners or fails; {@link #close} stops accepting, closes every connection,
 * stops the loops and releases every buffer the fan-out and history hold.
 */
public final class SluiceServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SluiceServer.class);

    private final SluiceConfig config;
    private final EventLoopGroup group;
    private final CountingMetrics metrics;
    private final FanoutCore fanout;
    private final Backplane backplane;
    private final AccessPolicy access;
    private final Channel publicChannel;
    private final Channel managementChannel;
    /** Every accepted connection; closed by {@link #close()} before the loops stop. */
    private final ChannelGroup connections = new DefaultChannelGroup("sluice-connections", GlobalEventExecutor.INSTANCE);
    private final DemoClock demoClock;
    private final String transportName;
    private volatile boolean draining;
    private volatile boolean closed;

    private SluiceServer(SluiceConfig config) throws InterruptedException {
        this.config = config;
        Transports transport = Transports.select(config.transport());
        this.transportName = transport.name();
        int threads = config.resolvedEventLoopThreads();
        this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("sluice-loop"),
                transport.ioHandlerFactory());
        this.metrics = new CountingMetrics();
        RedisAddress redis = config.redisAddress();
        if (redis == null) {
            this.fanout = new FanoutCore(group, config.historySize(), config.fanoutQueueCapacity(),
                    config.heartbeatInterval().toNanos(), metrics);
            this.backplane = new LocalBackplane(fanout);
        } else {
            this.fanout = FanoutCore.forSharedLog(group, config.historySize(), config.fanoutQueueCapacity(),
                    config.heartbeatInterval().toNanos(), metrics);
            RedisBackplane clustered = new RedisBackplane(redis, config.redisStreamKey(), config.redisStreamMaxLen(),
                    config.redisStreamMaxAge(), fanout, metrics);
            // connects in the background; /readyz is 503 until the stream's retained window is read
            clustered.start();
            this.backplane = clustered;
        }
        this.access = OpenAccessPolicy.INSTANCE;
        boolean started = false;
        Channel pub = null;
        Channel mgmt = null;
        Endpoints endpoints = new Endpoints(config, fanout, access, backplane, metrics, this::notReadyReason,
                connections);
        try {
            pub = bind(transport, config.port(), endpoints.publicInitializer());
            mgmt = bind(transport, config.managementPort(), endpoints.managementInitializer());
            started = true;
        } finally {
            if (!started) {
                closeQuietly(pub);
                closeQuietly(mgmt);
                backplane.close();
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
                fanout.release();
            }
        }
        this.publicChannel = pub;
        this.managementChannel = mgmt;
        this.demoClock = access.isOpen() && config.devClock()
                ? new DemoClock(group.next(), backplane, PooledByteBufAllocator.DEFAULT) : null;
        log.info("transport={} eventLoops={} backplane={} historySize={}", transportName, threads, backplane.describe(),
                config.historySize());
        if (access.isOpen()) {
            log.warn("!!! OPEN DEVELOPMENT MODE: no auth is configured; anyone can read and publish every topic."
                    + " Never expose this gateway to a network you do not control. !!!");
        }
    }

    /** Starts the gateway; returns once both listeners are bound. */
    public static SluiceServer start(SluiceConfig config) throws InterruptedException {
        return new SluiceServer(config);
    }

    public int port() {
        return ((InetSocketAddress) publicChannel.localAddress()).getPort();
    }

    public int managementPort() {
        return ((InetSocketAddress) managementChannel.localAddress()).getPort();
    }

    public String transportName() {
        return transportName;
    }

    public FanoutCore fanout() {
        return fanout;
    }

    /** Where publishes go; {@link Backplane#isUp()} is what a {@code sluice_backplane_up} gauge reads. */
    public Backplane backplane() {
        return backplane;
    }

    public CountingMetrics metrics() {
        return metrics;
    }

    public SluiceConfig config() {
        return config;
    }

    /** Whether this node should receive traffic: not draining, backplane up. */
    public boolean isReady() {
        return notReadyReason() == null;
    }

    private Channel bind(Transports transport, int port, SluiceServerInitializer initializer)
            throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // pooled buffers recycle their duplicates: fan-out's retainedDuplicate() allocates nothing
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(config.writeBufferLowWaterMark(), config.writeBufferHighWaterMark()))
                .childHandler(initializer);
        return b.bind(new InetSocketAddress(config.bindAddress(), port)).sync().channel();
    }

    /** Why this node should not get traffic now, or null when ready. */
    private String notReadyReason() {
        if (draining || closed) {
            return "draining";
        }
        return backplane.isUp() ? null : "backplane " + backplane.describe() + " is down";
    }

    /** Stops everything and releases every buffer. Idempotent; blocks until the event loops have ended. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        draining = true;
        if (demoClock != null) {
            demoClock.stop();
        }
        closeQuietly(publicChannel);
        closeQuietly(managementChannel);
        // Close connections on their own loops first, so each stream leaves fan-out through channelInactive.
        // Loop termination would close them too, but Netty's epoll shutdown cancels the registration before
        // closing and such a channel never fires channelInactive or handlerRemoved.
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        // before the loops stop: a backplane's reader hands events to their queues
        backplane.close();
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        fanout.release();
        log.info("stopped");
    }

    private static void closeQuietly(Channel channel) {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
    }
}
