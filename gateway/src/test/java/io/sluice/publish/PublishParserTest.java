package io.sluice.publish;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.sluice.api.ApiError;
import io.sluice.api.ApiException;
import io.sluice.fanout.EncodedEvent;
import io.sluice.sse.SseEncoder;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PublishParserTest {
    private static final UnpooledByteBufAllocator ALLOC = new UnpooledByteBufAllocator(true);
    private final PublishParser parser = new PublishParser(64);

    private List<EncodedEvent> json(String body, String fixedTopic) {
        ByteBuf buf = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        try {
            return parser.parseJson(buf, fixedTopic, ALLOC);
        } finally {
            buf.release();
        }
    }

    private static String frame(EncodedEvent e) {
        SseEncoder.stampId(e.frame(), 5);
        String s = e.frame().toString(StandardCharsets.UTF_8);
        e.release();
        return s;
    }

    private ApiException rejected(String body) {
        return assertThrows(ApiException.class, () -> json(body, null));
    }

    @Test
    void singleEventWithObjectDataIsReserialisedCompactly() {
        List<EncodedEvent> events = json("{ \"topic\" : \"orders\", \"type\":\"order:created\",\n"
                + " \"data\": { \"b\" : [1, 2.50, -3e10], \"a\": \"é\\n\", \"n\": null } }", null);
        assertEquals(1, events.size());
        EncodedEvent e = events.get(0);
        assertEquals("orders", e.topic());
        assertEquals("order:created", e.type());
        String compact = "{\"b\":[1,2.50,-3e10],\"a\":\"é\\n\",\"n\":null}";
        assertEquals(compact, new String(e.dataJson(), StandardCharsets.UTF_8));
        assertEquals("id: 5\nevent: order:created\ndata: " + compact + "\n\n", frame(e));
    }

    /**
     * An object or array sent compact is copied as its bytes; one with whitespace or escapes is written again. Either
     * way the data is the compact text CONTRACT section 1 names, the same for the same value however it was sent,
     * and the copy is taken from where the body starts in its buffer.
     */
    @Test
    void objectAndArrayDataIsTheSameCompactTextWhetherCopiedOrWrittenAgain() {
        PublishParser roomy = new PublishParser(64 * 1024);
        String[][] sentAndDelivered = {
                {"{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"x y\"}}", null},
                {"[1,2.50,-3e10,\"é\",{},[]]", null},
                {"{}", null},
                {"[]", null},
                {"{\"a\":[[[{\"b\":[]}]]],\"z\":\"}]\"}", null},
                {"{\"a\":\"tab\\tquote\\\"back\\\\\"}", null},
                {"{ \"a\" : [ 1 , 2 ] ,\n\t\"b\":\"x  y\" }", "{\"a\":[1,2],\"b\":\"x  y\"}"},
                {"{\"a\":\"\\u00e9\\/\"}", "{\"a\":\"é/\"}"},
                {"[ {\"x\":1}]", "[{\"x\":1}]"},
        };
        for (String[] c : sentAndDelivered) {
            String delivered = c[1] == null ? c[0] : c[1];
            for (String body : List.of("{\"topic\":\"t\",\"data\":" + c[0] + "}",
                    "[{\"topic\":\"t\",\"data\":1},{\"data\":" + c[0] + ",\"topic\":\"u\"}]")) {
                // the body after a prefix its buffer holds: offsets count from the reader index
                ByteBuf buf = Unpooled.copiedBuffer("xx" + body, StandardCharsets.UTF_8).skipBytes(2);
                List<EncodedEvent> events;
                try {
                    events = roomy.parseJson(buf, null, ALLOC);
                } finally {
                    buf.release();
                }
                EncodedEvent last = events.get(events.size() - 1);
                assertEquals(delivered, new String(last.dataJson(), StandardCharsets.UTF_8), body);
                events.forEach(EncodedEvent::release);
            }
        }
    }

    @Test
    void objectDataCutShortOrMismatchedIsRefused() {
        for (String body : List.of("{\"topic\":\"t\",\"data\":{\"a\":1", "{\"topic\":\"t\",\"data\":{\"a\":[1,2}}",
                "{\"topic\":\"t\",\"data\":[1,2", "{\"topic\":\"t\",\"data\":{\"a\":\"x}}")) {
            assertEquals(ApiError.INVALID_REQUEST, rejected(body).error(), body);
        }
    }

    @Test
    void compactMeansNoWhitespaceOutsideStringsAndNoBackslash() {
        assertTrue(compact("{\"a b\":\" \t\"}"), "whitespace inside strings");
        assertTrue(compact("[1,\"x\",{\"y\":[]}]"));
        assertFalse(compact("{\"a\": 1}"));
        assertFalse(compact("[1,\n2]"));
        assertFalse(compact("[1,\r2]"));
        assertFalse(compact("[1,\t2]"));
        assertFalse(compact("{\"a\":\"\\n\"}"), "an escape");
        assertTrue(PublishParser.isCompact(bytes("  [1] "), 2, 3), "only the range counts");
    }

    private static boolean compact(String s) {
        ByteBuf b = bytes(s);
        return PublishParser.isCompact(b, 0, b.readableBytes());
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void stringDataIsDeliveredAsTheStringItself() {
        List<EncodedEvent> events = json("{\"topic\":\"t\",\"data\":\"line1\\r\\nline2\"}", null);
        EncodedEvent e = events.get(0);
        assertEquals("message", e.type());
        assertEquals("\"line1\\r\\nline2\"", new String(e.dataJson(), StandardCharsets.UTF_8));
        assertEquals("id: 5\ndata: line1\ndata: line2\n\n", frame(e));
    }

    @Test
    void batchKeepsOrderAndScalarData() {
        List<EncodedEvent> events = json("[{\"topic\":\"a\",\"data\":1},{\"topic\":\"b\",\"data\":true},"
                + "{\"topic\":\"c\",\"data\":null}]", null);
        assertEquals(List.of("a", "b", "c"), events.stream().map(EncodedEvent::topic).toList());
        assertEquals("id: 5\ndata: 1\n\n", frame(events.get(0)));
        assertEquals("id: 5\ndata: true\n\n", frame(events.get(1)));
        assertEquals("id: 5\ndata: null\n\n", frame(events.get(2)));
    }

    @Test
    void fixedTopicRoutesRejectATopicField() {
        List<EncodedEvent> events = json("{\"type\":\"note\",\"data\":{}}", "user/alice");
        assertEquals("user/alice", events.get(0).topic());
        events.forEach(EncodedEvent::release);
        ApiException e = assertThrows(ApiException.class,
                () -> json("{\"topic\":\"x\",\"data\":1}", "broadcast"));
        assertTrue(e.getMessage().startsWith("topic: not allowed here"), e.getMessage());
    }

    @Test
    void badTopicInBatchRejectsWholeBatchNamingIndexAndField() {
        ApiException e = rejected("[{\"topic\":\"ok\",\"data\":1},{\"topic\":\"bad topic\",\"data\":2}]");
        assertEquals(ApiError.INVALID_REQUEST, e.error());
        assertEquals("[1].topic: must be 1-200 characters from A-Z a-z 0-9 - _ . ~ : / @", e.getMessage());
    }

    @Test
    void everyFieldErrorNamesItsField() {
        assertEquals("topic: required; 1-200 characters from A-Z a-z 0-9 - _ . ~ : / @",
                rejected("{\"data\":1}").getMessage());
        assertEquals("type: must be 1-64 characters from A-Z a-z 0-9 - _ . : (omit it for \"message\")",
                rejected("{\"topic\":\"t\",\"type\":\"\",\"data\":1}").getMessage());
        assertEquals("type: must be 1-64 characters from A-Z a-z 0-9 - _ . : (omit it for \"message\")",
                rejected("{\"topic\":\"t\",\"type\":\"a\\nb\",\"data\":1}").getMessage());
        assertEquals("topic: must be a string", rejected("{\"topic\":5,\"data\":1}").getMessage());
        assertEquals("data: required (any JSON value)", rejected("{\"topic\":\"t\"}").getMessage());
        assertEquals("id: unknown field; an event has topic, type, data and key",
                rejected("{\"topic\":\"t\",\"data\":1,\"id\":\"9\"}").getMessage());
        assertEquals("data: given more than once", rejected("{\"topic\":\"t\",\"data\":1,\"data\":2}").getMessage());
        assertEquals("body: an empty batch publishes nothing; send at least one event", rejected("[]").getMessage());
        assertEquals("[0]: expected an event object {\"topic\",\"type\",\"data\"}", rejected("[1]").getMessage());
        assertEquals("body: expected a JSON event object or an array of them", rejected("\"x\"").getMessage());
        assertEquals("body: empty; expected a JSON event object or an array of them", rejected("").getMessage());
        assertEquals("body: unexpected content after the JSON value",
                rejected("{\"topic\":\"t\",\"data\":1} {}").getMessage());
        assertTrue(rejected("{\"topic\":\"t\",\"data\":").getMessage().startsWith("body: invalid JSON at line 1"));
    }

    @Test
    void topicWithNulCrOrLfIsRejected() {
        for (String bad : new String[] {"a\\u0000b", "a\\rb", "a\\nb", ""}) {
            assertTrue(rejected("{\"topic\":\"" + bad + "\",\"data\":1}").getMessage().startsWith("topic: must be"));
        }
    }

    @Test
    void deeplyNestedJsonIsRejected() {
        String body = "{\"topic\":\"t\",\"data\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}";
        ApiException e = rejected(body);
        assertEquals(ApiError.INVALID_REQUEST, e.error());
        assertTrue(e.getMessage().startsWith("body: JSON too deeply nested"), e.getMessage());
    }

    /** jackson alone would accept the overlong, surrogate and UTF-16 forms, and read them as other text. */
    @Test
    void bodyThatIsNotStrictUtf8IsRejected() {
        String[] cases = {
            "{\"topic\":\"t\",\"data\":\"\u00ff\u00ff\"}", // Latin-1, not UTF-8
            "{\"topic\":\"t\",\"data\":\"\u00c0\u00af\"}", // overlong '/'
            "{\"topic\":\"t\",\"data\":\"\u00ed\u00a0\u0080\"}", // U+D800 encoded as if a character (CESU-8)
            "\u00ff\u00fe{\u0000}\u0000", // UTF-16LE with a byte order mark
        };
        for (String latin1 : cases) {
            ByteBuf buf = Unpooled.wrappedBuffer(latin1.getBytes(StandardCharsets.ISO_8859_1));
            ApiException e = assertThrows(ApiException.class, () -> parser.parseJson(buf, null, ALLOC));
            assertEquals("body: not valid UTF-8; a JSON body must be UTF-8 text", e.getMessage());
        }
    }

    @Test
    void unpairedSurrogateInStringDataIsRejectedButAPairIsKept() {
        assertEquals("data: contains an unpaired surrogate (\\ud800 at index 1); a string must be valid Unicode",
                rejected("{\"topic\":\"t\",\"data\":\"a\\ud800\"}").getMessage());
        assertEquals("[0].data: contains an unpaired surrogate (\\udc00 at index 0); a string must be valid Unicode",
                rejected("[{\"topic\":\"t\",\"data\":\"\\udc00\\ud83d\"}]").getMessage());
        assertEquals("id: 5\ndata: \ud83d\ude00\n\n",
                frame(json("{\"topic\":\"t\",\"data\":\"\\ud83d\\ude00\"}", null).get(0)));
    }

    @Test
    void eventOverMaxEventBytesIs413NamingTheEvent() {
        String big = "x".repeat(65);
        ApiException e = rejected("[{\"topic\":\"t\",\"data\":\"ok\"},{\"topic\":\"t\",\"data\":\"" + big + "\"}]");
        assertEquals(ApiError.TOO_LARGE, e.error());
        assertEquals("[1].data: 65 bytes exceeds maxEventBytes (64)", e.getMessage());
        List<EncodedEvent> fits = json("{\"topic\":\"t\",\"data\":\"" + "x".repeat(64) + "\"}", null);
        fits.forEach(EncodedEvent::release);
    }

    @Test
    void formBodyTakesDataAsString() {
        ByteBuf body = Unpooled.copiedBuffer("topic=news&type=news:flash&data=%7B%22a%22%3A1%7D+hi", StandardCharsets.UTF_8);
        List<EncodedEvent> events = parser.parseForm(body, null, ALLOC);
        body.release();
        assertEquals("\"{\\\"a\\\":1} hi\"", new String(events.get(0).dataJson(), StandardCharsets.UTF_8));
        assertEquals("id: 5\nevent: news:flash\ndata: {\"a\":1} hi\n\n", frame(events.get(0)));
    }

    @Test
    void formErrorsNameTheField() {
        for (String[] c : new String[][] {
                {"topic=a&data=1&extra=2", "extra: unknown field; a form publish has topic, type, data and key"},
                {"topic=a", "data: required"},
                {"topic=a&topic=b&data=1", "topic: given more than once"},
                {"topic=a%0Ab&data=1", "topic: must be 1-200 characters from A-Z a-z 0-9 - _ . ~ : / @"},
                {"topic=a&data=%C0%AF", "body: not valid UTF-8 once percent-decoded; form fields must be UTF-8 text"},
                {"topic=a&data=%ff", "body: not valid UTF-8 once percent-decoded; form fields must be UTF-8 text"}}) {
            ByteBuf body = Unpooled.copiedBuffer(c[0], StandardCharsets.UTF_8);
            try {
                ApiException e = assertThrows(ApiException.class, () -> parser.parseForm(body, null, ALLOC));
                assertEquals(c[1], e.getMessage());
            } finally {
                body.release();
            }
        }
    }
}
