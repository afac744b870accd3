package io.sluice.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.sluice.api.Json;
import io.sluice.sse.SseEncoder;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A retained event keeps no heap copy of data its frame gives back exactly, and still answers its data's JSON. */
class EventDataTest {
    private static final UnpooledByteBufAllocator ALLOC = new UnpooledByteBufAllocator(true);

    private static Event committed(ByteBuf frame, byte[] dataJson) {
        SseEncoder.stampId(frame, 42);
        return new Event(42, null, "t", frame, dataJson, 0, 0, null, 0, null);
    }

    private static Event jsonEvent(String compactJson) {
        byte[] json = compactJson.getBytes(StandardCharsets.UTF_8);
        return committed(SseEncoder.encodeJsonData(ALLOC, "t", json), json);
    }

    /** As the publish parser makes it: the frame from the string, the literal from the JSON generator. */
    private static Event stringEvent(String string) {
        byte[] literal = Json.write(g -> g.writeString(string));
        return committed(SseEncoder.encodeStringData(ALLOC, "t", string), literal);
    }

    private static void assertData(String expectedJson, int expectedKeptBytes, Event e) {
        try {
            assertEquals(expectedJson, new String(e.dataJson(), StandardCharsets.UTF_8));
            assertEquals(expectedKeptBytes, e.keptDataJson() == null ? 0 : e.keptDataJson().length);
        } finally {
            e.frame().release();
        }
    }

    @Test
    void jsonValuesAreReadFromTheFrame() {
        for (String json : new String[] {"{\"a\":[1,2.50,null]}", "[]", "0", "true", "{\"s\":\"x\\ny\\r\\u0001\"}"}) {
            assertData(json, 0, jsonEvent(json));
        }
    }

    @Test
    void stringsWithoutCrAreReadFromTheFrame() {
        String[] strings = {"", "plain", "a\nb\n", "\n\n", "tab\there \"q\" back\\slash", "caf\u00e9 \ud83d\udc4d"};
        for (String string : strings) {
            String literal = new String(Json.write(g -> g.writeString(string)), StandardCharsets.UTF_8);
            assertData(literal, 0, stringEvent(string));
        }
    }

    @Test
    void stringsTheFrameCannotGiveBackKeepTheirLiteral() {
        // CR reads back as LF; a \\u escape (here a control character) might hide one
        for (String string : new String[] {"a\r\nb", "a\rb", "bell\u0007", "\r"}) {
            byte[] literal = Json.write(g -> g.writeString(string));
            assertData(new String(literal, StandardCharsets.UTF_8), literal.length, stringEvent(string));
        }
    }

    @Test
    void aLiteralFromAnotherNodeWithUnicodeEscapesIsKeptAsItCame() {
        // cluster mode decodes entries with the origin's literal, which need not be this generator's spelling
        String literal = "\"\\u0041\\nB\"";
        ByteBuf frame = SseEncoder.encodeStringData(ALLOC, null, "A\nB");
        assertData(literal, literal.length(), committed(frame, literal.getBytes(StandardCharsets.UTF_8)));
    }
}
