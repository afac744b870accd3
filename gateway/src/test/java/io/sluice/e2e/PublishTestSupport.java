package io.sluice.e2e;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the publish-side end-to-end tests share: reading the publish answer {@code {"ids":[…],"sent":N}} and the
 * §6 error body exactly, opening a stream that is known to be subscribed, and reading a snapshot.
 * Stateless; any thread.
 */
final class PublishTestSupport {
    /** Deadline for anything that should happen at once on loopback; generous for a loaded CI machine. */
    static final Duration WAIT = Duration.ofSeconds(10);

    private static final JsonFactory JSON = new JsonFactory();
    /** The whole body of an accepted publish: the ids as strings of digits, then the count of deliveries queued. */
    private static final Pattern ACCEPTED = Pattern.compile("\\{\"ids\":\\[((?:\"[0-9]+\")(?:,\"[0-9]+\")*)],\"sent\":([0-9]+)}");

    private PublishTestSupport() {
    }

    /**
     * Asserts a 200 publish answer whose body is exactly {@code {"ids":[…],"sent":expectedSent}} with
     * {@code expectedCount} ids, strictly increasing, and returns them.
     */
    static List<Long> accepted(RawResponse response, int expectedCount, int expectedSent) {
        Accepted a = accepted(response);
        assertEquals(expectedCount, a.ids().size(), () -> "ids in " + response.body());
        assertEquals(expectedSent, a.sent(), () -> "sent in " + response.body());
        return a.ids();
    }

    /** Asserts a 200 publish answer of the exact shape {@code {"ids":[…],"sent":N}}, ids strictly increasing. */
    static Accepted accepted(RawResponse response) {
        assertEquals(200, response.status(), () -> "publish answer: " + response);
        assertEquals("application/json", response.header("Content-Type"), () -> "publish answer: " + response);
        Matcher m = ACCEPTED.matcher(response.body());
        assertTrue(m.matches(), () -> "expected exactly {\"ids\":[\"<id>\",…],\"sent\":N} but got " + response.body());
        List<Long> ids = new ArrayList<>();
        for (String quoted : m.group(1).split(",")) {
            ids.add(Long.parseLong(quoted.substring(1, quoted.length() - 1)));
        }
        for (int i = 1; i < ids.size(); i++) {
            assertTrue(ids.get(i) > ids.get(i - 1), "ids of one publish must be strictly increasing: " + ids);
        }
        return new Accepted(ids, Integer.parseInt(m.group(2)));
    }

    /** A parsed publish answer. */
    record Accepted(List<Long> ids, int sent) {
    }

    /**
     * Asserts a §6 error: the status, {@code Content-Type: application/json}, and a body that is exactly
     * {@code {"error":{"code":…,"message":…}}} with the code given and a message that starts with
     * {@code messagePrefix} (the field it names, such as {@code "[2].topic:"}).
     *
     * @return the message
     */
    static String assertError(RawResponse response, int status, String code, String messagePrefix) {
        assertEquals(status, response.status(), () -> "status of " + response);
        assertEquals("application/json", response.header("Content-Type"), () -> "Content-Type of " + response);
        Map<String, String> error = parseError(response.body());
        assertEquals(code, error.get("code"), () -> "error code in " + response.body());
        String message = error.get("message");
        assertTrue(message.startsWith(messagePrefix),
                () -> "error message should name the field (start with '" + messagePrefix + "') but was: " + message);
        if (messagePrefix.endsWith(":")) {
            assertTrue(message.length() > messagePrefix.length() + 5, () -> "error message says nothing more: " + message);
        }
        return message;
    }

    /** Parses {@code {"error":{"code":"…","message":"…"}}}, failing on any other shape. */
    private static Map<String, String> parseError(String body) {
        Map<String, String> fields = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(body)) {
            expect(p, JsonToken.START_OBJECT, body);
            expect(p, JsonToken.FIELD_NAME, body);
            assertEquals("error", p.currentName(), () -> "the only top-level field must be error: " + body);
            expect(p, JsonToken.START_OBJECT, body);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                expect(p, JsonToken.VALUE_STRING, body);
                fields.put(name, p.getText());
            }
            assertEquals(JsonToken.END_OBJECT, p.currentToken(), () -> "error object: " + body);
            expect(p, JsonToken.END_OBJECT, body);
            assertEquals(null, p.nextToken(), () -> "nothing may follow the error object: " + body);
        } catch (IOException e) {
            throw new AssertionError("error body is not JSON: " + body, e);
        }
        assertEquals(List.of("code", "message"), List.copyOf(fields.keySet()), () -> "error fields in " + body);
        return fields;
    }

    private static void expect(JsonParser p, JsonToken token, String body) throws IOException {
        JsonToken t = p.nextToken();
        assertEquals(token, t, () -> "unexpected JSON shape in " + body);
    }

    /** POSTs a JSON body to {@code path} on a new connection. */
    static RawResponse postJson(GatewayFixture gateway, String path, String body) {
        return HttpTestClient.post(GatewayFixture.HOST, gateway.port(), path, "application/json", body);
    }

    /**
     * Opens a stream and waits for its {@code connected} event: once it has arrived the stream is subscribed
     * (the gateway subscribes before it flushes {@code connected}), so any later publish reaches it.
     */
    static SseTestClient openStream(GatewayFixture gateway, String pathAndQuery) {
        SseTestClient client = gateway.stream(pathAndQuery, Map.of());
        try {
            assertEquals(200, client.status(), () -> "stream " + pathAndQuery + ": " + client);
            SseEvent connected = client.awaitEvent(WAIT);
            assertEquals("connected", connected.type(), () -> "first event of " + pathAndQuery);
            return client;
        } catch (RuntimeException | Error e) {
            client.close();
            throw e;
        }
    }

    /** A JSON string literal for {@code s} (quotes, backslashes and control characters escaped). */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    /** One event of a snapshot; {@code data} is the string itself for a JSON string, else the compact JSON text. */
    record SnapshotEvent(long id, String topic, String type, String data, String time) {
    }

    /** A parsed snapshot answer. */
    record Snapshot(List<SnapshotEvent> events, String lastEventId) {
    }

    /** {@code GET /v1/events?<query>}, asserting 200 JSON, parsed. Non-string data is kept only as its kind. */
    static Snapshot snapshot(GatewayFixture gateway, String query) {
        RawResponse r = HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/v1/events?" + query);
        assertEquals(200, r.status(), () -> "snapshot " + query + ": " + r);
        assertEquals("application/json", r.header("Content-Type"), () -> "snapshot " + query + ": " + r);
        try (JsonParser p = JSON.createParser(r.body())) {
            List<SnapshotEvent> events = new ArrayList<>();
            String lastEventId = null;
            boolean sawLastEventId = false;
            expect(p, JsonToken.START_OBJECT, r.body());
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("events")) {
                    assertEquals(JsonToken.START_ARRAY, value, r.body());
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        events.add(readSnapshotEvent(p, r.body()));
                    }
                } else if (field.equals("lastEventId")) {
                    sawLastEventId = true;
                    lastEventId = value == JsonToken.VALUE_NULL ? null : p.getText();
                } else {
                    throw new AssertionError("unexpected snapshot field " + field + " in " + r.body());
                }
            }
            assertTrue(sawLastEventId, () -> "snapshot without lastEventId: " + r.body());
            return new Snapshot(events, lastEventId);
        } catch (IOException e) {
            throw new UncheckedIOException("snapshot is not JSON: " + r.body(), e);
        }
    }

    private static SnapshotEvent readSnapshotEvent(JsonParser p, String body) throws IOException {
        Map<String, String> f = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (value == JsonToken.VALUE_STRING) {
                f.put(name, p.getText());
            } else {
                p.skipChildren();
                f.put(name, "<" + value + ">");
            }
        }
        assertEquals(List.of("id", "topic", "type", "data", "time"), List.copyOf(f.keySet()), () -> "event in " + body);
        assertNotNull(f.get("id"));
        return new SnapshotEvent(Long.parseLong(f.get("id")), f.get("topic"), f.get("type"), f.get("data"), f.get("time"));
    }
}
