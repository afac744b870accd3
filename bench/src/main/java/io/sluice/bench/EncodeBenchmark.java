package io.sluice.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.sluice.sse.SseEncoder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.nio.charset.StandardCharsets;

/**
 * Cost of encoding one event into its shared SSE frame with the gateway's real encoder: JSON-object data
 * (one {@code data:} line) and multi-line string data (split on line breaks), at several sizes. Each
 * operation encodes, stamps the id and releases the frame to the pooled allocator, as a publish does.
 */
@State(Scope.Thread)
public class EncodeBenchmark extends HotPathBenchmark {
    @Param({"128", "1024", "16384"})
    int size;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private byte[] json;
    private String text;
    private long id = 1L << 40;
    /** As the commit does: the id line is composed in a scratch array it owns. */
    private final byte[] idScratch = new byte[SseEncoder.ID_HEADROOM];

    @Setup
    public void setUp() {
        StringBuilder b = new StringBuilder("{\"user\":\"alice\",\"n\":42,\"msg\":\"");
        while (b.length() < size - 2) {
            b.append('x');
        }
        json = b.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
        StringBuilder t = new StringBuilder();
        while (t.length() < size) {
            t.append("line of text ").append(t.length()).append('\n');
        }
        text = t.substring(0, size);
    }

    @Benchmark
    public int jsonData() {
        ByteBuf frame = SseEncoder.encodeJsonData(alloc, "deployment:completed", json);
        SseEncoder.stampId(frame, ++id, idScratch);
        int n = frame.readableBytes();
        frame.release();
        return n;
    }

    @Benchmark
    public int multiLineStringData() {
        ByteBuf frame = SseEncoder.encodeStringData(alloc, "log:line", text);
        SseEncoder.stampId(frame, ++id, idScratch);
        int n = frame.readableBytes();
        frame.release();
        return n;
    }
}
