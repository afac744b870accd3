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
import io.sluice.api.CloseReason;
import io.sluice.auth.AccessPolicies;
import io.sluice.auth.AccessPolicy;
import io.sluice.backplane.Backplane;
import io.sluice.config.JvmFit;
import io.sluice.config.SluiceConfig;
import io.sluice.fanout.FanoutCore;
import io.sluice.http.SluiceServerInitializer;
import io.sluice.limits.ConnectionLimiter;
import io.sluice.metrics.CountingMetrics;
import io.sluice.presence.PresenceHub;
import io.sluice.stream.StreamDirectory;
import io.sluice.stream.StreamService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The gateway process: bootstrap and lifecycle. It creates the event loops, has {@link GatewayNode} assemble what the
 * node runs on them, binds the public and management listeners, and stops it all: {@link #drain} (SIGTERM) ends the
 * open streams spread over {@code drainWindow}, {@link #close} stops accepting, closes every connection, stops the
 * loops and releases every buffer the fan-out and history hold.
 */
public final class SluiceServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SluiceServer.class);
    /** Time a stream ended last in the drain window gets to take its retry: line before the close. */
    private static final long DRAIN_GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final SluiceConfig config;
    private final EventLoopGroup group;
    /**
     * One loop of its own for the management listener, the stats sampler and the dashboard: a scrape or a sample
     * walks every gauge or topic and takes milliseconds, which must never delay a stream's loop.
     */
    private final EventLoopGroup managementGroup;
    private final GatewayNode node;
    private final Channel publicChannel;
    private final Channel managementChannel;
    /** Every accepted connection; closed by {@link #close()} before the loops stop. */
    private final ChannelGroup connections = new DefaultChannelGroup("sluice-connections", GlobalEventExecutor.INSTANCE);
    private final String transportName;
    private volatile boolean draining;
    private volatile boolean closed;

    private SluiceServer(SluiceConfig config) throws InterruptedException {
        this.config = config;
        // First: a config the JVM cannot hold or a bad key file must stop start-up (ConfigException) before any thread
        // or socket exists.
        JvmFit.check(config);
        AccessPolicy access = AccessPolicies.fromConfig(config);
        Transports transport = Transports.select(config.transport());
        if (transport.fallbackReason() != null) {
            log.warn("{}", transport.fallbackReason());
        }
        this.transportName = transport.name();
        int threads = config.resolvedEventLoopThreads();
        this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("sluice-loop"),
                transport.ioHandlerFactory());
        this.managementGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("sluice-mgmt"),
                transport.ioHandlerFactory());
        if (!config.warmup().isZero()) {
            // before this node exists: its ids, topics and metrics start from nothing, whatever the warm-up did
            Warmup.Result warm = Warmup.run(config, group, managementGroup.next(), transport, config.warmup().toNanos());
            log.info("warm-up: {} streams opened and closed, {} publishes, {} MiB streamed, {} access-log lines to no"
                    + " output, {} rehearsals of the listeners' bind in {} ms ({} ms of JIT compilation; {})",
                    warm.streamsOpened(), warm.publishes(), warm.bytesReceived() >> 20, warm.accessLogLines(),
                    warm.rehearsals(), warm.millis(), warm.compileMillis(),
                    warm.compilerQuiet() ? "ended when the compiler went quiet" : "ended at the warmup budget");
        }
        this.node = GatewayNode.assemble(config, access, group, managementGroup.next(), connections);
        boolean started = false;
        Channel pub = null;
        Channel mgmt = null;
        try {
            pub = bind(config, group, transport, config.bindAddress(), config.port(), node.publicInitializer());
            mgmt = bind(config, managementGroup, transport, config.bindAddress(), config.managementPort(),
                    node.managementInitializer());
            started = true;
        } finally {
            if (!started) {
                closeQuietly(pub);
                closeQuietly(mgmt);
                node.stopProducers();
                managementGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
                node.release();
            }
        }
        this.publicChannel = pub;
        this.managementChannel = mgmt;
        node.startDemoClock(group.next());
        log.info("transport={} deferAccept={} eventLoops={} backplane={} historySize={}", transportName,
                config.deferAccept() && transport.deferAcceptOption() != null, threads, node.backplane().describe(),
                config.historySize());
        if (access.isOpen()) {
            log.warn("!!! OPEN DEVELOPMENT MODE: no auth is configured; anyone can read and publish every topic."
                    + " Never expose this gateway to a network you do not control. !!!");
        } else {
            log.info("auth: {}", access);
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
        return node.fanout();
    }

    /** Where publishes go; {@link Backplane#isUp()} is what a {@code sluice_backplane_up} gauge reads. */
    public Backplane backplane() {
        return node.backplane();
    }

    public CountingMetrics metrics() {
        return node.metrics();
    }

    /** Open streams on this node against maxConnections and maxConnectionsPerUser. */
    public ConnectionLimiter connectionLimiter() {
        return node.connectionLimiter();
    }

    /** This node's presence: tracked topics with a stream here, and what it holds for them. */
    public PresenceHub presence() {
        return node.presence();
    }

    /** This node's streams by user, and its connection ids. */
    public StreamDirectory streamDirectory() {
        return node.streamDirectory();
    }

    public SluiceConfig config() {
        return config;
    }

    /** Connections open now on both listeners, HTTP and stream alike. Any thread. */
    public int openConnections() {
        return connections.size();
    }

    /** Whether this node should receive traffic: not draining, backplane up, JWK set (if any) loaded. */
    public boolean isReady() {
        return node.isReady();
    }

    /** A listener on {@code address:port} with the gateway's socket options; the start-up warm-up binds one too. */
    static Channel bind(SluiceConfig config, EventLoopGroup loops, Transports transport, String address, int port,
                        SluiceServerInitializer initializer) {
        ServerBootstrap b = new ServerBootstrap()
                .group(loops)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                // TCP_NODELAY: every transport's socket config enables it by default (Netty's
                // canEnableTcpNoDelayByDefault); setting it again cost one more setsockopt(2) per connection
                // pooled buffers recycle their duplicates: fan-out's retainedDuplicate() allocates nothing
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(config.writeBufferLowWaterMark(), config.writeBufferHighWaterMark()))
                .childHandler(initializer);
        if (config.deferAccept() && transport.deferAcceptOption() != null) {
            // The connection is handed over with its request in the socket: accept, register and read in one wake-up
            // of the loop, not one for the handshake and one for the request. 1 s: the kernel keeps a silent
            // connection until its first SYN-ACK retransmission is answered, then hands it over anyway.
            b.option(transport.deferAcceptOption(), 1);
        }
        return b.bind(new InetSocketAddress(address, port)).syncUninterruptibly().channel();
    }

    /**
     * Graceful stop, first half (CONTRACT §8 SIGTERM): from now on {@code /readyz} answers 503 and new streams
     * are refused (EventSource-safe, §6); the open streams are ended one by one, spread evenly over
     * {@code drainWindow} in random order, each told to {@code retry:} after a jittered delay, so their clients
     * do not all reconnect at once. Publishes are still accepted. Blocks the calling thread (the shutdown hook,
     * never an event loop) until every stream has ended or the window plus a grace period has passed; then
     * {@link #close()} does the rest.
     */
    public void drain() {
        if (closed || draining) {
            return;
        }
        draining = true;
        node.startDraining();
        List<Channel> streams = new ArrayList<>();
        for (Channel ch : connections) {
            if (Boolean.TRUE.equals(ch.attr(StreamService.STREAM).get())) {
                streams.add(ch);
            }
        }
        Collections.shuffle(streams);
        long windowNanos = config.drainWindow().toNanos();
        int n = streams.size();
        log.info("draining: ending {} streams over {}", n, config.drainWindow());
        for (int i = 0; i < n; i++) {
            Channel ch = streams.get(i);
            long delay = windowNanos * i / n;
            long retryMillis = StreamService.jitteredRetryMillis(config.reconnectMillis());
            ch.eventLoop().schedule(() -> StreamService.endWithRetry(ch, retryMillis, "this node is draining; reconnect",
                            CloseReason.SERVER_STOPPING),
                    delay, TimeUnit.NANOSECONDS);
        }
        long deadline = System.nanoTime() + windowNanos + DRAIN_GRACE_NANOS;
        for (Channel ch : streams) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !ch.closeFuture().awaitUninterruptibly(left, TimeUnit.NANOSECONDS)) {
                log.warn("drain window over with streams still open; closing them");
                break;
            }
        }
    }

    /** Stops everything and releases every buffer. Idempotent; blocks until the event loops have ended. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        draining = true;
        node.startDraining();
        closeQuietly(publicChannel);
        closeQuietly(managementChannel);
        // Close connections on their own loops first, so each stream leaves fan-out through channelInactive.
        // Loop termination would close them too, but Netty's epoll shutdown cancels the registration before
        // closing and such a channel never fires channelInactive or handlerRemoved.
        connections.forEach(c -> CloseReason.mark(c, CloseReason.SERVER_STOPPING));
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        // before the loops stop: the clock, the dashboard and a backplane's reader hand work to them
        node.stopProducers();
        managementGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        node.release();
        log.info("stopped");
    }

    private static void closeQuietly(Channel channel) {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
    }
}
