package io.sluice.sse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SseEncoderTest {
    private static final UnpooledByteBufAllocator ALLOC = new UnpooledByteBufAllocator(true);

    private static String frameText(ByteBuf frame) {
        try {
            return frame.toString(StandardCharsets.UTF_8);
        } finally {
            frame.release();
        }
    }

    @Test
    void jsonDataWithDefaultTypeHasNoEventLine() {
        ByteBuf frame = SseEncoder.encodeJsonData(ALLOC, "message", "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
        SseEncoder.stampId(frame, 42);
        assertEquals("id: 42\ndata: {\"a\":1}\n\n", frameText(frame));
    }

    @Test
    void typedEventHasEventLine() {
        ByteBuf frame = SseEncoder.encodeJsonData(ALLOC, "deployment:completed", "[1,2]".getBytes(StandardCharsets.UTF_8));
        SseEncoder.stampId(frame, 1_234_567_890_123L);
        assertEquals("id: 1234567890123\nevent: deployment:completed\ndata: [1,2]\n\n", frameText(frame));
    }

    @Test
    void stringDataIsSplitOnCrLfCrAndLf() {
        ByteBuf frame = SseEncoder.encodeStringData(ALLOC, null, "a\r\nb\rc\nd");
        SseEncoder.stampId(frame, 7);
        assertEquals("id: 7\ndata: a\ndata: b\ndata: c\ndata: d\n\n", frameText(frame));
    }

    @Test
    void trailingAndConsecutiveLineBreaksKeepEmptyLines() {
        ByteBuf frame = SseEncoder.encodeStringData(ALLOC, "message", "x\n\ny\n");
        SseEncoder.stampId(frame, 9);
        assertEquals("id: 9\ndata: x\ndata: \ndata: y\ndata: \n\n", frameText(frame));
    }

    @Test
    void crLfCountsAsOneBreakButLfCrAsTwo() {
        ByteBuf frame = SseEncoder.encodeStringData(ALLOC, null, "a\n\rb");
        SseEncoder.stampId(frame, 1);
        assertEquals("id: 1\ndata: a\ndata: \ndata: b\n\n", frameText(frame));
    }

    @Test
    void emptyStringIsOneEmptyDataLine() {
        ByteBuf frame = SseEncoder.encodeStringData(ALLOC, null, "");
        SseEncoder.stampId(frame, 3);
        assertEquals("id: 3\ndata: \n\n", frameText(frame));
    }

    @Test
    void nonAsciiIsUtf8WithExactCapacity() {
        String text = "héllo 🌊\nzwölf";
        ByteBuf frame = SseEncoder.encodeStringData(ALLOC, "chat:msg", text);
        SseEncoder.stampId(frame, Long.MAX_VALUE);
        assertEquals(frame.capacity(), frame.writerIndex());
        assertEquals("id: 9223372036854775807\nevent: chat:msg\ndata: héllo 🌊\ndata: zwölf\n\n", frameText(frame));
    }

    @Test
    void idMustBePositive() {
        ByteBuf frame = SseEncoder.encodeStringData(ALLOC, null, "x");
        try {
            assertThrows(IllegalArgumentException.class, () -> SseEncoder.stampId(frame, 0));
        } finally {
            frame.release();
        }
    }

    @Test
    void systemFramesHaveNoId() {
        assertEquals("retry: 3000\nevent: connected\ndata: {\"connectionId\":\"c1\"}\n\n",
                frameText(SseFrames.connected(ALLOC, 3000, "{\"connectionId\":\"c1\"}")));
        assertEquals("event: reset\ndata: {}\n\n", frameText(SseFrames.systemEvent(ALLOC, "reset", "{}")));
        assertEquals(": heartbeat\n\n", frameText(SseFrames.heartbeat().retainedDuplicate()));
        assertEquals("retry: 5000\n: draining now\n\n", frameText(SseFrames.retryAndComment(ALLOC, 5000, "draining\nnow")));
    }

    /**
     * The loops write an event frame as a retained duplicate of a pooled direct buffer; the heartbeat must be the same
     * kind of buffer, or its first write after the warm-up makes the JIT recompile the write path for a new class.
     */
    @Test
    void heartbeatIsTheSameKindOfBufferAsAWrittenEventFrame() {
        ByteBuf frame = SseEncoder.encodeStringData(PooledByteBufAllocator.DEFAULT, "message", "x");
        ByteBuf written = frame.retainedDuplicate();
        ByteBuf heartbeat = SseFrames.heartbeat().retainedDuplicate();
        try {
            assertEquals(written.getClass(), heartbeat.getClass());
            assertEquals(written.unwrap().getClass(), heartbeat.unwrap().getClass());
            assertEquals(written.isDirect(), heartbeat.isDirect());
        } finally {
            frame.release();
            written.release();
            heartbeat.release();
        }
    }

    /** The data read back from a stamped frame, which is left as it was (its indices are shared by writers). */
    private static String dataOf(ByteBuf frame) {
        try {
            int reader = frame.readerIndex();
            int writer = frame.writerIndex();
            String data = new String(SseEncoder.dataOf(frame), StandardCharsets.UTF_8);
            assertEquals(reader, frame.readerIndex());
            assertEquals(writer, frame.writerIndex());
            return data;
        } finally {
            frame.release();
        }
    }

    @Test
    void dataOfJsonFrameIsTheCompactJson() {
        ByteBuf typed = SseEncoder.encodeJsonData(ALLOC, "data: x", "{\"data: \":[1]}".getBytes(StandardCharsets.UTF_8));
        SseEncoder.stampId(typed, 123_456_789L);
        assertEquals("{\"data: \":[1]}", dataOf(typed));
        ByteBuf plain = SseEncoder.encodeJsonData(ALLOC, null, "null".getBytes(StandardCharsets.UTF_8));
        SseEncoder.stampId(plain, 1);
        assertEquals("null", dataOf(plain));
    }

    @Test
    void dataOfStringFrameJoinsItsLinesWithLf() {
        String[] strings = {"", "one line", "a\nb", "\nx\n\n", "\n", "caf\u00e9 \ud83d\udc4d\tdata: \n\nid: 2"};
        for (String string : strings) {
            ByteBuf frame = SseEncoder.encodeStringData(ALLOC, "t", string);
            SseEncoder.stampId(frame, 77);
            assertEquals(string, dataOf(frame));
        }
    }

    @Test
    void dataOfStringFrameReadsCrAndCrLfBackAsLf() {
        ByteBuf frame = SseEncoder.encodeStringData(ALLOC, null, "a\r\nb\rc\n\rd");
        SseEncoder.stampId(frame, 5);
        assertEquals("a\nb\nc\n\nd", dataOf(frame));
    }
}
