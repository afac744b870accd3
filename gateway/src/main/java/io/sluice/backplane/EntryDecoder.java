package io.sluice.backplane;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBufAllocator;
import io.sluice.api.Grammar;
import io.sluice.api.Json;
import io.sluice.fanout.EncodedEvent;
import io.sluice.sse.SseEncoder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Turns a stream entry written by {@link PublishScript} back into an event (of a topic, or for one connection) with
 * its SSE frame, encoded once on
 * this node exactly as the publishing node's parser would: a JSON string as the string itself, any other value
 * as its compact JSON. Entries that are not Sluice events (another writer, a bad field) are refused, never
 * passed on: the topic and type are checked against the same grammar as a publish, because they become SSE
 * fields (response splitting, CONTRACT §1).
 *
 * <p>Stateless; called on the backplane's reader thread.
 */
final class EntryDecoder {

    private EntryDecoder() {
    }

    /**
     * @return an event owning one frame reference, or null when the entry is not a valid Sluice event
     */
    static EncodedEvent decode(Map<String, byte[]> body, ByteBufAllocator alloc) {
        byte[] topicBytes = body.get(PublishScript.TOPIC_FIELD);
        byte[] connectionBytes = body.get(PublishScript.CONNECTION_FIELD);
        byte[] typeBytes = body.get(PublishScript.TYPE_FIELD);
        byte[] data = body.get(PublishScript.DATA_FIELD);
        if ((topicBytes == null) == (connectionBytes == null) || typeBytes == null || data == null || data.length == 0) {
            return null;
        }
        String connection = connectionBytes == null ? null : new String(connectionBytes, StandardCharsets.UTF_8);
        String topic = connection == null ? new String(topicBytes, StandardCharsets.UTF_8)
                : Grammar.CONNECTION_ADDRESS_PREFIX + connection;
        String type = new String(typeBytes, StandardCharsets.UTF_8);
        byte[] keyBytes = body.get(PublishScript.KEY_FIELD);
        String key = keyBytes == null ? null : new String(keyBytes, StandardCharsets.UTF_8);
        if ((connection == null ? !Grammar.isTopic(topic) : !Grammar.isConnectionId(connection)) || !Grammar.isType(type)
                || (key != null && !Grammar.isTopic(key))) {
            return null;
        }
        if (data[0] == '"') {
            String text = jsonString(data);
            if (text == null) {
                return null;
            }
            return new EncodedEvent(topic, type, SseEncoder.encodeStringData(alloc, type, text), data, key, connection);
        }
        for (byte b : data) {
            // compact JSON has no raw line breaks; one here would split the data line
            if (b == '\n' || b == '\r') {
                return null;
            }
        }
        return new EncodedEvent(topic, type, SseEncoder.encodeJsonData(alloc, type, data), data, key, connection);
    }

    /** The entry's count field {@code n}, or -1 when absent or malformed. */
    static long count(Map<String, byte[]> body) {
        byte[] n = body.get(PublishScript.COUNT_FIELD);
        if (n == null || n.length == 0 || n.length > 18) {
            return -1;
        }
        long v = 0;
        for (byte b : n) {
            if (b < '0' || b > '9') {
                return -1;
            }
            v = v * 10 + (b - '0');
        }
        return v;
    }

    /** The text of a JSON string literal, or null if {@code json} is not exactly one. */
    private static String jsonString(byte[] json) {
        try (JsonParser p = Json.FACTORY.createParser(json)) {
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                return null;
            }
            String text = p.getText();
            return p.nextToken() == null ? text : null;
        } catch (IOException e) {
            return null;
        }
    }
}
