package io.sluice.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.sluice.fanout.EncodedEvent;
import io.sluice.fanout.FanoutCore;
import io.sluice.sse.SseEncoder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One event published and fanned out to N subscribers of its topic on one event loop, through the gateway's
 * real commit, MPSC queue, drain, pipeline and outbound buffers, onto {@link DiscardChannel}s that release
 * what they are given.
 *
 * <p>Every channel shares one embedded event loop whose thread is the benchmark thread, so writes take the
 * in-loop path with no hand-off; the benchmark thread is a {@code FastThreadLocalThread}
 * ({@link FastThreadLocalExecutor}) so Netty recycles outbound entries and duplicates as it does on the
 * gateway's loops. An operation is one event to all N subscribers: encode, commit, drain, flush. The cost per
 * subscriber is {@code (t(N) - t(1)) / (N - 1)}, and likewise for {@code gc.alloc.rate.norm} with
 * {@code -prof gc}.
 */
@State(Scope.Thread)
public class FanoutBenchmark extends HotPathBenchmark {
    @Param({"1", "100", "10000"})
    int subscribers;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private LoopStreams streams;
    private FanoutCore core;
    private byte[] json;

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        streams = new LoopStreams();
        core = streams.core();
        for (int i = 0; i < subscribers; i++) {
            streams.subscribe("bench");
        }
        json = ("{\"user\":\"alice\",\"action\":\"deploy\",\"service\":\"api\",\"version\":\"1.4.2\","
                + "\"region\":\"eu-west-1\",\"ok\":true,\"n\":42}").getBytes(StandardCharsets.UTF_8);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        streams.close();
    }

    @Benchmark
    public long publishAndFanOut() {
        ByteBuf frame = SseEncoder.encodeJsonData(alloc, "deployment:completed", json);
        core.commit(List.of(new EncodedEvent("bench", "deployment:completed", frame, json)));
        streams.runPendingTasks();
        return core.lastAssignedId();
    }
}
