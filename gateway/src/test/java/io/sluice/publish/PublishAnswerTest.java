package io.sluice.publish;

import io.sluice.api.Json;
import io.sluice.fanout.CommitResult;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The publish answer {@code {"ids":[…],"sent":N}}, written by hand, is byte for byte what jackson wrote before. */
class PublishAnswerTest {
    @Test
    void acceptedBodyIsJacksonsBytes() {
        for (CommitResult result : new CommitResult[] {new CommitResult(new long[] {1882536645682528262L}, 1),
                new CommitResult(new long[] {1, 22, 333}, 0), new CommitResult(new long[] {Long.MAX_VALUE}, 10_000)}) {
            String jackson = Json.writeString(g -> {
                g.writeStartObject();
                g.writeArrayFieldStart("ids");
                for (long id : result.ids()) {
                    g.writeString(Long.toString(id));
                }
                g.writeEndArray();
                g.writeNumberField("sent", result.sent());
                g.writeEndObject();
            });
            assertEquals(jackson, new String(PublishService.acceptedBody(result), StandardCharsets.US_ASCII));
        }
    }
}
