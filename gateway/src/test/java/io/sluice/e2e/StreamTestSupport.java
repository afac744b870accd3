package io.sluice.e2e;

import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpConnection;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import io.sluice.testing.TestTokens;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Shared by the stream and snapshot end-to-end tests: publishing through the real HTTP API (returning the ids
 * the gateway assigned), opening streams up to their {@code connected} event, and the exact §6 error checks.
 * Stateless.
 */
final class StreamTestSupport {
    /** Upper bound of every wait; a passing test never waits this long. */
    static final Duration WAIT = Duration.ofSeconds(10);
    static final String STREAM_PATH = "/v1/events/stream";
    static final String SNAPSHOT_PATH = "/v1/events";
    static final String TOPIC_RULE = "1-200 characters from A-Z a-z 0-9 - _ . ~ : / @";

    private static final Pattern PUBLISHED = Pattern.compile("\\{\"ids\":\\[((?:\"[0-9]+\",?)*)],\"sent\":[0-9]+}");

    /**
     * The flags of a gateway with auth configured, the test JWT secret and publish key ({@link TestTokens}), then
     * {@code more}.
     */
    static String[] authFlags(String... more) {
        List<String> flags = new ArrayList<>(List.of("--jwt-secret=" + TestTokens.SECRET,
                "--publish-keys=" + TestTokens.PUBLISH_KEY));
        flags.addAll(List.of(more));
        return flags.toArray(new String[0]);
    }

    /** A gateway with auth configured ({@link #authFlags}) and {@code more}, closed with {@code resources}. */
    static GatewayFixture startWithAuth(List<AutoCloseable> resources, String... more) {
        GatewayFixture gateway = GatewayFixture.start(authFlags(more));
        resources.add(gateway);
        return gateway;
    }

    private StreamTestSupport() {
    }

    /** POSTs {@code body} to {@code path} as JSON, asserts 200 and returns the assigned ids in order. */
    static List<String> publishTo(GatewayFixture gateway, String path, String body) {
        RawResponse r = HttpTestClient.post(GatewayFixture.HOST, gateway.port(), path, "application/json", body);
        assertEquals(200, r.status(), () -> "publish " + body + " to " + path + ": " + r.body());
        Matcher m = PUBLISHED.matcher(r.body());
        if (!m.matches()) {
            throw new AssertionError("publish response is not {\"ids\":[…],\"sent\":N}: " + r.body());
        }
        List<String> ids = new ArrayList<>();
        for (String quoted : m.group(1).split(",")) {
            if (!quoted.isEmpty()) {
                ids.add(quoted.substring(1, quoted.length() - 1));
            }
        }
        return ids;
    }

    /** Publishes one event on {@code /v1/publish}; {@code type} null leaves it out. Returns its id. */
    static String publish(GatewayFixture gateway, String topic, String type, String dataJson) {
        List<String> ids = publishTo(gateway, "/v1/publish", eventJson(topic, type, dataJson));
        assertEquals(1, ids.size(), ids::toString);
        return ids.get(0);
    }

    /** Publishes one event on {@code POST /v1/broadcast}. Returns its id. */
    static String broadcast(GatewayFixture gateway, String type, String dataJson) {
        List<String> ids = publishTo(gateway, "/v1/broadcast", eventJson(null, type, dataJson));
        assertEquals(1, ids.size(), ids::toString);
        return ids.get(0);
    }

    /** {@code {"topic","type","data"}}, leaving out a null topic or type. */
    static String eventJson(String topic, String type, String dataJson) {
        StringBuilder sb = new StringBuilder("{");
        if (topic != null) {
            sb.append("\"topic\":").append(quote(topic)).append(',');
        }
        if (type != null) {
            sb.append("\"type\":").append(quote(type)).append(',');
        }
        return sb.append("\"data\":").append(dataJson).append('}').toString();
    }

    /** A JSON string literal for {@code s} (escaping quote, backslash and control characters). */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    /** Opens a stream and waits for its {@code connected} event, which it consumes and returns. */
    static SseTestClient openStream(GatewayFixture gateway, String query, Map<String, String> headers,
                                    List<AutoCloseable> toClose) {
        SseTestClient client = gateway.stream(STREAM_PATH + "?" + query, headers);
        toClose.add(client);
        assertEquals(200, client.status(), client::toString);
        SseEvent connected = client.awaitEvent(WAIT);
        assertEquals("connected", connected.type(), connected::toString);
        assertNotNull(connected.data());
        return client;
    }

    /** Asserts a published event as an EventSource sees it: its id, which is also the last event id now. */
    static void assertEvent(String id, String type, String data, SseEvent actual) {
        assertEquals(new SseEvent(id, id, type, data), actual);
    }

    /** The §6 error body. */
    static String errorBody(String code, String message) {
        return "{\"error\":{\"code\":\"" + code + "\",\"message\":" + quote(message) + "}}";
    }

    /**
     * Sends {@code method pathAndQuery} on a fresh keep-alive connection, asserts the exact §6 JSON error, then
     * that the same connection still answers {@code GET /healthz}. Returns the error response.
     */
    static RawResponse assertErrorThenHealthy(GatewayFixture gateway, String method, String pathAndQuery,
                                              Map<String, String> headers, String body, int status, String code,
                                              String message) {
        try (HttpConnection connection = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            RawResponse r = connection.request(method, pathAndQuery, headers, body);
            String what = method + " " + pathAndQuery;
            assertEquals(status, r.status(), () -> what + ": " + r.body());
            assertEquals(errorBody(code, message), r.body(), what);
            assertEquals("application/json", r.header("Content-Type"), what);
            assertFalse(r.closedByServer(), what + ": the connection must stay open");
            RawResponse health = connection.request("GET", "/healthz", Map.of(), null);
            assertEquals(200, health.status(), () -> "/healthz after " + what + ": " + health.body());
            assertEquals("{\"status\":\"ok\"}", health.body(), "/healthz after " + what);
            return r;
        }
    }

    /** Closes in reverse order of opening; never throws. */
    static void closeAll(List<AutoCloseable> resources) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception ignored) {
                // best effort: the next resource must still be closed
            }
        }
        resources.clear();
    }
}
