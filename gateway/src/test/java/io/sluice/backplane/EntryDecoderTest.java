package io.sluice.backplane;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.sluice.fanout.EncodedEvent;
import io.sluice.sse.SseEncoder;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class EntryDecoderTest {
    private static final UnpooledByteBufAllocator ALLOC = new UnpooledByteBufAllocator(false);

    private static Map<String, byte[]> entry(String topic, String type, String data) {
        Map<String, byte[]> body = new HashMap<>();
        put(body, "t", topic);
        put(body, "y", type);
        put(body, "d", data);
        put(body, "n", "7");
        return body;
    }

    private static void put(Map<String, byte[]> body, String field, String value) {
        if (value != null) {
            body.put(field, value.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static String frame(EncodedEvent e) {
        SseEncoder.stampId(e.frame(), 42);
        try {
            return e.frame().toString(StandardCharsets.UTF_8);
        } finally {
            e.release();
        }
    }

    @Test
    void encodesTheFrameAsThePublishingNodeWould() {
        EncodedEvent json = EntryDecoder.decode(entry("orders", "order:paid", "{\"n\":1}"), ALLOC);
        assertEquals("orders", json.topic());
        assertArrayEquals("{\"n\":1}".getBytes(StandardCharsets.UTF_8), json.dataJson());
        assertEquals("id: 42\nevent: order:paid\ndata: {\"n\":1}\n\n", frame(json));

        EncodedEvent text = EntryDecoder.decode(entry("t", "message", "\"two\\r\\nlines \\u00e9\""), ALLOC);
        ByteBuf expected = SseEncoder.encodeStringData(ALLOC, "message", "two\r\nlines é");
        SseEncoder.stampId(expected, 42);
        assertEquals(expected.toString(StandardCharsets.UTF_8), frame(text));
        expected.release();
        assertEquals(7, EntryDecoder.count(entry("t", "message", "1")));
    }

    @Test
    void aConnectionEntryBecomesAnEventForThatStreamOnly() {
        Map<String, byte[]> body = entry(null, "note", "\"hi\"");
        put(body, "c", "k2j3-1a");
        EncodedEvent e = EntryDecoder.decode(body, ALLOC);
        assertEquals("k2j3-1a", e.connection());
        assertEquals("connection/k2j3-1a", e.topic(), "the address its publish rights were checked on");
        assertEquals("id: 42\nevent: note\ndata: hi\n\n", frame(e));
        for (String badId : List.of("K2-1", "k2", "k2-", "-1", "k2-1-2", "k2 -1", "k".repeat(28) + "-1")) {
            Map<String, byte[]> bad = entry(null, "note", "1");
            put(bad, "c", badId);
            assertNull(EntryDecoder.decode(bad, ALLOC), badId);
        }
        Map<String, byte[]> both = entry("t", "note", "1");
        put(both, "c", "k2-1");
        assertNull(EntryDecoder.decode(both, ALLOC), "a topic or a connection, never both");
    }

    @Test
    void refusesEntriesThatAreNotSluiceEvents() {
        for (Map<String, byte[]> bad : List.of(
                entry("bad topic", "message", "1"),
                entry("t", "evil\nid: 1", "1"),
                entry("t", "message", "\"unterminated"),
                entry("t", "message", "1\n2"),
                entry("t", "message", ""),
                entry(null, "message", "1"),
                entry("t", null, "1"))) {
            assertNull(EntryDecoder.decode(bad, ALLOC));
        }
        assertEquals(-1, EntryDecoder.count(Map.of()));
        assertEquals(-1, EntryDecoder.count(Map.of("n", "x1".getBytes(StandardCharsets.US_ASCII))));
    }
}
