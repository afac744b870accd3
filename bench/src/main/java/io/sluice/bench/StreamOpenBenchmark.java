package io.sluice.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.sluice.Endpoints;
import io.sluice.auth.OpenAccessPolicy;
import io.sluice.backplane.LocalBackplane;
import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import io.sluice.dashboard.DashboardFeed;
import io.sluice.fanout.FanoutCore;
import io.sluice.http.AccessLogHandler;
import io.sluice.http.SluiceServerInitializer;
import io.sluice.metrics.CountingMetrics;
import io.sluice.presence.PresenceHub;
import io.sluice.presence.PresenceTopics;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A stream opened and closed through the gateway's real public pipeline: the request phase's handlers built for the
 * connection, the request decoded, routed, validated, its topics acquired, the head and {@code connected} written,
 * the pipeline turned into the stream phase, the subscriber joined; then the client goes away and the stream leaves
 * the fan-out, presence and its topics. What the gateway's Java does per new stream, without the kernel (accept,
 * {@code epoll_ctl}, the socket reads and writes), which {@code bench/run-nchan-compare.sh} scenario b measures.
 *
 * <p>Every channel is a {@link DiscardChannel} on one embedded event loop whose thread is the benchmark thread.
 * {@code accessLog} off and on (text: one line per stream formatted when it closes and handed to logback, whose
 * {@code sluice.access} appenders are detached here, so nothing is printed or queued).
 *
 * <p>The open path takes long to compile fully: in 1-second iterations it kept getting faster for about 8 s (1.2 ms,
 * 120 µs, 51 µs, 25 µs, 12 µs, 9 µs, 6 µs, 4.6 µs per stream), so run it with a long warm-up ({@code -wi 8 -w 2s}).
 */
@State(Scope.Thread)
public class StreamOpenBenchmark extends HotPathBenchmark {
    @Param({"off", "text"})
    String accessLog;

    private final CountingMetrics metrics = new CountingMetrics();
    private EmbeddedChannel anchor;
    private FanoutCore core;
    private SluiceServerInitializer initializer;
    private ByteBuf request;
    private long opened;

    @Setup(Level.Trial)
    public void setUp() {
        SluiceConfig config = ConfigLoader.load(new String[] {"--access-log=" + accessLog, "--max-connections=10000000",
            "--max-connections-per-user=10000000"}, Map.of()).config();
        anchor = new EmbeddedChannel();
        core = new FanoutCore(anchor.eventLoop(), config.historySize(), 65536, TimeUnit.HOURS.toNanos(1), metrics);
        LocalBackplane backplane = new LocalBackplane(core);
        Endpoints endpoints = new Endpoints(config, core, OpenAccessPolicy.INSTANCE, backplane, metrics, () -> null,
                () -> null, new DefaultChannelGroup(ImmediateEventExecutor.INSTANCE),
                new DashboardFeed(anchor.eventLoop(), watched -> new DashboardFeed.Totals(0, 0, 0, 0, Double.NaN, Double.NaN,
                        List.of(), List.of(), 0, 0, 0)),
                PresenceHub.start(PresenceTopics.of(List.of()), anchor.eventLoop(), PooledByteBufAllocator.DEFAULT,
                        backplane.control()));
        initializer = endpoints.publicInitializer();
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(AccessLogHandler.LOGGER_NAME)).detachAndStopAllAppenders();
        // a topic of its own, as a user's feed, and the implicit broadcast: what scenario b opens
        request = Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes(("GET /v1/events/stream?topic=load/7"
                + " HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII)));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        anchor.runPendingTasks();
        anchor.finishAndReleaseAll();
        core.release();
    }

    @Benchmark
    public long openAndClose() throws InterruptedException {
        DiscardChannel ch = new DiscardChannel();
        ch.pipeline().addLast(initializer);
        anchor.eventLoop().register(ch).sync();
        ch.pipeline().fireChannelActive();
        ch.pipeline().fireChannelRead(request.duplicate());
        ch.pipeline().fireChannelReadComplete();
        ch.close();
        anchor.runPendingTasks();
        return opened++;
    }
}
