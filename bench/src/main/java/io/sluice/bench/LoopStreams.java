package io.sluice.bench;

import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.sluice.fanout.FanoutCore;
import io.sluice.fanout.ReplayStart;
import io.sluice.fanout.Subscriber;
import io.sluice.fanout.Topic;
import io.sluice.fanout.TypeFilter;
import io.sluice.metrics.CountingMetrics;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One embedded event loop whose thread is the benchmark thread, the gateway's fan-out on it, and streams on
 * {@link DiscardChannel}s through their real pipelines: what the hot-path benchmarks deliver to. {@link #close()}
 * closes the streams and releases every buffer. Loop thread (the benchmark thread) only.
 */
final class LoopStreams implements AutoCloseable {
    private final EmbeddedChannel anchor = new EmbeddedChannel();
    private final FanoutCore core = new FanoutCore(anchor.eventLoop(), 16, 65536, TimeUnit.HOURS.toNanos(1),
            new CountingMetrics());
    private final List<DiscardChannel> channels = new ArrayList<>();

    EventLoop loop() {
        return anchor.eventLoop();
    }

    FanoutCore core() {
        return core;
    }

    /** A live stream of {@code topic}, every type, on a channel of its own. */
    Subscriber subscribe(String topic) throws InterruptedException {
        DiscardChannel ch = new DiscardChannel();
        ch.pipeline().addLast(new ChannelInboundHandlerAdapter());
        loop().register(ch).sync();
        channels.add(ch);
        return core.subscribe(ch.pipeline().firstContext(), new Topic[] {core.topics().get(topic)}, TypeFilter.ALL,
                1000, ReplayStart.LIVE);
    }

    /**
     * Runs what was handed to the loop: drains, announcements. The loop's clock moves on 10 ms first: after a drain to
     * many streams the fan-out schedules the next one a few milliseconds later (it joins events into fewer writes,
     * {@code LoopFanout.COALESCE_NANOS}), and an operation is to deliver its event, not to wait for that.
     */
    void runPendingTasks() {
        anchor.advanceTimeBy(10, TimeUnit.MILLISECONDS);
        anchor.runPendingTasks();
    }

    @Override
    public void close() {
        anchor.runPendingTasks();
        channels.forEach(DiscardChannel::close);
        anchor.runPendingTasks();
        anchor.finishAndReleaseAll();
        core.release();
    }
}
