package io.sluice.publish;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.sluice.api.ApiError;
import io.sluice.api.ApiException;
import io.sluice.api.Grammar;
import io.sluice.api.Json;
import io.sluice.api.QueryParams;
import io.sluice.fanout.EncodedEvent;
import io.sluice.sse.SseEncoder;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads publish bodies (CONTRACT §4) with jackson-core's streaming API into encoded events, all or nothing.
 *
 * <p>Two phases: the whole body is read and validated into plain values first, and only then are frames
 * allocated and encoded, so a bad event anywhere in a batch rejects the batch without a buffer to undo.
 * {@code data} is re-serialised compactly token by token: key order and duplicate keys kept, numbers kept
 * as their exact source text, non-ASCII written as is, control characters escaped.
 *
 * <p>Immutable and thread-safe; called on the publishing channel's event loop.
 */
public final class PublishParser {
    private final long maxEventBytes;

    public PublishParser(long maxEventBytes) {
        this.maxEventBytes = maxEventBytes;
    }

    /**
     * Parses a JSON body: one event object or an array of them.
     *
     * @param fixedTopic the topic set by the route ({@code broadcast}, {@code user/<id>}), or null when each
     *                   event names its own
     * @return events owning one frame reference each
     * @throws ApiException 400 naming the field, or 413 for an event over {@code maxEventBytes}
     */
    public List<EncodedEvent> parseJson(ByteBuf body, String fixedTopic, ByteBufAllocator alloc) {
        // jackson decodes overlong forms and UTF-8-encoded surrogates without complaint, and detects UTF-16/32
        // by itself; JSON on the wire is UTF-8 (RFC 8259 section 8.1), so anything else is refused up front.
        if (!ByteBufUtil.isText(body, StandardCharsets.UTF_8)) {
            throw ApiException.invalid("body: not valid UTF-8; a JSON body must be UTF-8 text");
        }
        List<ParsedEvent> parsed = new ArrayList<>();
        try (JsonParser p = Json.FACTORY.createParser((InputStream) new ByteBufInputStream(body.duplicate()))) {
            JsonToken first = p.nextToken();
            if (first == JsonToken.START_OBJECT) {
                parsed.add(readEvent(p, body, "", fixedTopic));
            } else if (first == JsonToken.START_ARRAY) {
                JsonToken t;
                while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                    String prefix = "[" + parsed.size() + "].";
                    if (t != JsonToken.START_OBJECT) {
                        throw ApiException.invalid(prefix.substring(0, prefix.length() - 1)
                                + ": expected an event object {\"topic\",\"type\",\"data\"}");
                    }
                    parsed.add(readEvent(p, body, prefix, fixedTopic));
                }
                if (parsed.isEmpty()) {
                    throw ApiException.invalid("body: an empty batch publishes nothing; send at least one event");
                }
            } else if (first == null) {
                throw ApiException.invalid("body: empty; expected a JSON event object or an array of them");
            } else {
                throw ApiException.invalid("body: expected a JSON event object or an array of them");
            }
            if (p.nextToken() != null) {
                throw ApiException.invalid("body: unexpected content after the JSON value");
            }
        } catch (StreamConstraintsException e) {
            throw ApiException.invalid("body: JSON too deeply nested or too large (" + e.getOriginalMessage() + ")");
        } catch (JsonProcessingException e) {
            throw ApiException.invalid("body: invalid JSON at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.invalid("body: unreadable (" + e.getMessage() + ")");
        }
        return encode(parsed, alloc);
    }

    /**
     * Parses an {@code application/x-www-form-urlencoded} body with fields {@code topic}, {@code type},
     * {@code data} and {@code key}; data is taken as a string.
     */
    public List<EncodedEvent> parseForm(ByteBuf body, String fixedTopic, ByteBufAllocator alloc) {
        if (!decodesToUtf8(body)) {
            throw ApiException.invalid("body: not valid UTF-8 once percent-decoded; form fields must be UTF-8 text");
        }
        // A form body has no fragment: '#' is data, but the URL decoder would end the text there.
        String text = body.toString(StandardCharsets.UTF_8).replace("#", "%23");
        Map<String, List<String>> fields;
        try {
            fields = QueryParams.decoder(false, 16).build(text).parameters();
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("body: malformed form encoding (" + e.getMessage() + ")");
        }
        for (Map.Entry<String, List<String>> field : fields.entrySet()) {
            String name = field.getKey();
            if (!name.equals("topic") && !name.equals("type") && !name.equals("data") && !name.equals("key")) {
                throw ApiException.invalid(ApiException.echo(name)
                        + ": unknown field; a form publish has topic, type, data and key");
            }
            if (field.getValue().size() > 1) {
                throw ApiException.invalid(name + ": given more than once");
            }
        }
        String topic = topicOf(single(fields, "topic"), fixedTopic, "");
        String type = typeOf(single(fields, "type"), "");
        String data = single(fields, "data");
        if (data == null) {
            throw ApiException.invalid("data: required");
        }
        ParsedEvent event = ParsedEvent.ofString(topic, type, data).withKey(keyOf(single(fields, "key"), ""));
        checkSize(event, "");
        return encode(List.of(event), alloc);
    }

    private ParsedEvent readEvent(JsonParser p, ByteBuf body, String prefix, String fixedTopic) throws IOException {
        String topic = null;
        String type = null;
        String key = null;
        ParsedEvent data = null;
        boolean sawTopic = false;
        boolean sawType = false;
        boolean sawKey = false;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "topic" -> {
                    rejectRepeat(sawTopic, prefix, field);
                    sawTopic = true;
                    topic = stringField(p, value, prefix + field);
                }
                case "type" -> {
                    rejectRepeat(sawType, prefix, field);
                    sawType = true;
                    type = stringField(p, value, prefix + field);
                }
                case "key" -> {
                    rejectRepeat(sawKey, prefix, field);
                    sawKey = true;
                    key = stringField(p, value, prefix + field);
                }
                case "data" -> {
                    rejectRepeat(data != null, prefix, field);
                    data = value == JsonToken.VALUE_STRING
                            ? ParsedEvent.ofString(null, null, unicodeString(p.getText(), prefix + field))
                            : ParsedEvent.ofJson(null, null, copyCompact(p, body));
                }
                default -> throw ApiException.invalid(prefix + ApiException.echo(field)
                        + ": unknown field; an event has topic, type, data and key");
            }
        }
        if (t != JsonToken.END_OBJECT) {
            throw ApiException.invalid(prefix + "event: malformed object");
        }
        String checkedTopic = topicOf(topic, fixedTopic, prefix);
        if (sawTopic && fixedTopic != null) {
            throw ApiException.invalid(prefix + "topic: not allowed here; this route publishes to " + fixedTopic);
        }
        String checkedType = typeOf(type, prefix);
        if (data == null) {
            throw ApiException.invalid(prefix + "data: required (any JSON value)");
        }
        ParsedEvent event = data.withTopicAndType(checkedTopic, checkedType).withKey(keyOf(key, prefix));
        checkSize(event, prefix);
        return event;
    }

    private static String stringField(JsonParser p, JsonToken value, String name) throws IOException {
        if (value != JsonToken.VALUE_STRING) {
            throw ApiException.invalid(name + ": must be a string");
        }
        return p.getText();
    }

    /**
     * {@code s} if it is well-formed UTF-16. A JSON escape can name half a surrogate pair ({@code "\\ud800"}),
     * which has no UTF-8 form: a stream would receive {@code ?} instead of the data. (Inside non-string data such
     * a string stays an escape in the compact JSON text, so it arrives as published.)
     */
    private static String unicodeString(String s, String name) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw ApiException.invalid(name + ": contains an unpaired surrogate (\\u"
                        + Integer.toHexString(c) + " at index " + i + "); a string must be valid Unicode");
            }
        }
        return s;
    }

    /**
     * Whether the bytes a form body stands for, raw and {@code %XX}-escaped alike, are UTF-8. The URL decoder
     * would turn bad sequences into U+FFFD without a word. Malformed escapes are left to it to report.
     */
    private static boolean decodesToUtf8(ByteBuf body) {
        byte[] bytes = new byte[body.readableBytes()];
        int n = 0;
        for (int i = body.readerIndex(), end = body.writerIndex(); i < end; i++) {
            byte b = body.getByte(i);
            if (b == '%' && i + 2 < end) {
                int hi = Character.digit(body.getByte(i + 1), 16);
                int lo = Character.digit(body.getByte(i + 2), 16);
                if (hi >= 0 && lo >= 0) {
                    b = (byte) (hi << 4 | lo);
                    i += 2;
                }
            }
            bytes[n++] = b;
        }
        ByteBuf decoded = Unpooled.wrappedBuffer(bytes, 0, n);
        try {
            return ByteBufUtil.isText(decoded, StandardCharsets.UTF_8);
        } finally {
            decoded.release();
        }
    }

    private static void rejectRepeat(boolean seen, String prefix, String field) {
        if (seen) {
            throw ApiException.invalid(prefix + field + ": given more than once");
        }
    }

    private static String topicOf(String topic, String fixedTopic, String prefix) {
        if (fixedTopic != null) {
            return fixedTopic;
        }
        if (topic == null) {
            throw ApiException.invalid(prefix + "topic: required; " + Grammar.TOPIC_RULE);
        }
        if (!Grammar.isTopic(topic)) {
            throw ApiException.invalid(prefix + "topic: must be " + Grammar.TOPIC_RULE);
        }
        return topic;
    }

    private static String typeOf(String type, String prefix) {
        if (type == null) {
            return Grammar.DEFAULT_TYPE;
        }
        if (!Grammar.isType(type)) {
            throw ApiException.invalid(prefix + "type: must be " + Grammar.TYPE_RULE + " (omit it for \"message\")");
        }
        return type;
    }

    /** The key of CONTRACT §12: absent, or 1-200 topic characters (it never reaches the wire, but is logged). */
    private static String keyOf(String key, String prefix) {
        if (key != null && !Grammar.isTopic(key)) {
            throw ApiException.invalid(prefix + "key: must be " + Grammar.TOPIC_RULE + " (omit it for an event that"
                    + " no later one supersedes)");
        }
        return key;
    }

    private void checkSize(ParsedEvent event, String prefix) {
        long size = event.dataBytes();
        if (size > maxEventBytes) {
            throw new ApiException(ApiError.TOO_LARGE, prefix + "data: " + size + " bytes exceeds maxEventBytes ("
                    + maxEventBytes + ")");
        }
    }

    private static String single(Map<String, List<String>> fields, String name) {
        List<String> values = fields.get(name);
        return values == null ? null : values.get(0);
    }

    /**
     * Copies the current value (the parser is on its first token) as compact JSON, numbers as written. An object or
     * array that {@code body} already holds in that form (as most publishers send it) is copied as its bytes, after
     * the parser has read every token of it; any other is written again by {@link #reserialise}. Both give the same
     * bytes for the same value ({@code PublishParserTest}).
     *
     * @param body the request body the parser reads, from its reader index
     */
    private static byte[] copyCompact(JsonParser p, ByteBuf body) throws IOException {
        long from = p.currentTokenLocation().getByteOffset(); // -1 where a parser cannot tell (not this one)
        if (from < 0 || p.currentToken() != JsonToken.START_OBJECT && p.currentToken() != JsonToken.START_ARRAY) {
            return reserialise(p);
        }
        int depth = 0;
        JsonToken t = p.currentToken();
        do {
            switch (t) {
                case START_OBJECT, START_ARRAY -> depth++;
                case END_OBJECT, END_ARRAY -> depth--;
                case VALUE_STRING -> p.getTextLength(); // decoded now, so jackson checks it as the generator's read did
                case FIELD_NAME, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT, VALUE_TRUE, VALUE_FALSE, VALUE_NULL -> {
                }
                default -> throw ApiException.invalid("data: unsupported JSON token " + t);
            }
        } while (depth > 0 && (t = p.nextToken()) != null);
        long to = p.currentLocation().getByteOffset();
        if (depth != 0) {
            return new byte[0]; // input ended inside the value: the caller's next token refuses the body
        }
        int start = body.readerIndex() + (int) from;
        int length = (int) (to - from);
        if (isCompact(body, start, length)) {
            return ByteBufUtil.getBytes(body, start, length);
        }
        try (JsonParser again = Json.FACTORY.createParser(ByteBufUtil.getBytes(body, start, length))) {
            again.nextToken();
            return reserialise(again);
        }
    }

    /**
     * Whether {@code length} bytes of {@code body} from {@code start}, one JSON object or array, are already what
     * {@link #reserialise} would write: no whitespace outside strings and no backslash anywhere (the generator writes
     * some escapes differently from how clients send them: a Unicode escape of a printable character, an escaped slash).
     */
    static boolean isCompact(ByteBuf body, int start, int length) {
        boolean inString = false;
        for (int i = start, end = start + length; i < end; i++) {
            byte b = body.getByte(i);
            if (b == '\\') {
                return false;
            }
            if (b == '"') {
                inString = !inString;
            } else if (!inString && (b == ' ' || b == '\t' || b == '\n' || b == '\r')) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code data} from the parser's current token to the end of its value, written again by jackson's generator:
     * insignificant whitespace removed, key order and non-ASCII kept, escapes written the generator's way.
     */
    private static byte[] reserialise(JsonParser p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
            int depth = 0;
            JsonToken t = p.currentToken();
            do {
                switch (t) {
                    case START_OBJECT -> {
                        g.writeStartObject();
                        depth++;
                    }
                    case END_OBJECT -> {
                        g.writeEndObject();
                        depth--;
                    }
                    case START_ARRAY -> {
                        g.writeStartArray();
                        depth++;
                    }
                    case END_ARRAY -> {
                        g.writeEndArray();
                        depth--;
                    }
                    case FIELD_NAME -> g.writeFieldName(p.currentName());
                    case VALUE_STRING -> g.writeString(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
                    case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> g.writeNumber(p.getText());
                    case VALUE_TRUE -> g.writeBoolean(true);
                    case VALUE_FALSE -> g.writeBoolean(false);
                    case VALUE_NULL -> g.writeNull();
                    default -> throw ApiException.invalid("data: unsupported JSON token " + t);
                }
            } while (depth > 0 && (t = p.nextToken()) != null);
        }
        return out.toByteArray();
    }

    private static List<EncodedEvent> encode(List<ParsedEvent> parsed, ByteBufAllocator alloc) {
        List<EncodedEvent> events = new ArrayList<>(parsed.size());
        try {
            for (ParsedEvent e : parsed) {
                events.add(e.encode(alloc));
            }
        } catch (RuntimeException | Error failure) {
            events.forEach(EncodedEvent::release);
            throw failure;
        }
        return events;
    }

    /** A validated event before encoding: exactly one of {@code string} and {@code json} is set; {@code key} may be. */
    private record ParsedEvent(String topic, String type, String string, byte[] json, String key) {
        static ParsedEvent ofString(String topic, String type, String data) {
            return new ParsedEvent(topic, type, data, null, null);
        }

        static ParsedEvent ofJson(String topic, String type, byte[] data) {
            return new ParsedEvent(topic, type, null, data, null);
        }

        ParsedEvent withTopicAndType(String newTopic, String newType) {
            return new ParsedEvent(newTopic, newType, string, json, key);
        }

        ParsedEvent withKey(String newKey) {
            return new ParsedEvent(topic, type, string, json, newKey);
        }

        long dataBytes() {
            return string != null ? SseEncoder.utf8Length(string) : json.length;
        }

        EncodedEvent encode(ByteBufAllocator alloc) {
            if (string != null) {
                byte[] literal = Json.write(g -> g.writeString(string));
                return EncodedEvent.keyed(topic, type, SseEncoder.encodeStringData(alloc, type, string), literal, key);
            }
            return EncodedEvent.keyed(topic, type, SseEncoder.encodeJsonData(alloc, type, json), json, key);
        }
    }

}
