package io.sluice.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PayloadEncoderTest {

    private static String written(ByteBuf b) {
        try {
            return b.toString(StandardCharsets.US_ASCII);
        } finally {
            b.release();
        }
    }

    @Test
    void aPlanTopicEventIsTheLoadTopicAndThePayload() {
        PayloadEncoder e = new PayloadEncoder(64);
        ByteBuf b = Unpooled.buffer();
        e.writeEvent(b, 12, 5, 6, 7);
        assertEquals(e.eventLength(12, 5, 6, 7), b.readableBytes());
        assertEquals("{\"topic\":\"load/12\",\"data\":{\"ts\":5,\"seq\":6,\"pub\":7,\"pad\":\"" + "x".repeat(31) + "\"}}",
                written(b));
    }

    @Test
    void aSoakEventNamesItsTopicAndHasTheDrawnSize() {
        PayloadEncoder e = new PayloadEncoder(150, 20_000);
        ByteBuf b = Unpooled.buffer();
        e.writeEvent(b, "jobs/r1-n3", 5, 6, 7, 20_000);
        assertEquals(e.eventLength("jobs/r1-n3", 5, 6, 7, 20_000), b.readableBytes());
        String json = written(b);
        assertTrue(json.startsWith("{\"topic\":\"jobs/r1-n3\",\"data\":{\"ts\":5,\"seq\":6,\"pub\":7,\"pad\":\"xxx"), json);
        assertEquals("{\"topic\":\"jobs/r1-n3\",\"data\":".length() + 20_000 + 1, json.length());
        assertEquals("xx\"}}", json.substring(json.length() - 5));
    }
}
