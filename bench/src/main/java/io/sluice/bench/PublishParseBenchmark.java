package io.sluice.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.sluice.fanout.EncodedEvent;
import io.sluice.publish.PublishParser;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Parsing and validating a publish body with the gateway's jackson-core streaming parser, including the
 * compact re-serialisation of {@code data} and the encoding of each event's frame; frames are released as a
 * refused publish would. One event, and a batch of ten.
 */
@State(Scope.Thread)
public class PublishParseBenchmark extends HotPathBenchmark {
    @Param({"1", "10"})
    int events;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final PublishParser parser = new PublishParser(64 * 1024);
    private ByteBuf body;

    @Setup
    public void setUp() {
        String one = "{\"topic\":\"deploys/api\",\"type\":\"deployment:completed\",\"data\":{\"service\":\"api\","
                + "\"version\":\"1.4.2\",\"region\":\"eu-west-1\",\"durationMs\":5123,\"ok\":true}}";
        StringBuilder b = new StringBuilder(events == 1 ? one : "[");
        for (int i = 0; events > 1 && i < events; i++) {
            b.append(i == 0 ? "" : ",").append(one);
        }
        if (events > 1) {
            b.append(']');
        }
        body = Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes(b.toString().getBytes(StandardCharsets.UTF_8)));
    }

    @Benchmark
    public int parseAndEncode() {
        List<EncodedEvent> parsed = parser.parseJson(body, null, alloc);
        int n = parsed.size();
        parsed.forEach(EncodedEvent::release);
        return n;
    }
}
