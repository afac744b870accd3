package io.sluice.e2e;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sluice.http.AccessLogHandler;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.LogCapture;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static io.sluice.e2e.PublishTestSupport.WAIT;
import static io.sluice.e2e.PublishTestSupport.accepted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The access log over real sockets: what logger {@code sluice.access} receives for a publish, a 404, requests
 * that fail to decode, and streams ended by the client or by the gateway stopping, in text and in json; tokens in
 * the query never logged; {@code accessLog=off} logging nothing.
 */
class AccessLogTest {
    private static final String EVENT = "{\"topic\":\"t\",\"data\":1}";
    private static final String SECRET = "secret123";
    private static final Pattern TIME = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
    private static final Pattern DURATION = Pattern.compile("\\d+\\.\\d{3}");
    private static final JsonFactory JSON = new JsonFactory();

    private LogCapture log;
    private GatewayFixture gateway;
    private final List<SseTestClient> streams = new ArrayList<>();

    @BeforeEach
    void capture() {
        log = LogCapture.of(AccessLogHandler.LOGGER_NAME);
    }

    @AfterEach
    void stop() {
        streams.forEach(SseTestClient::close);
        if (gateway != null) {
            gateway.close();
        }
        log.close();
    }

    private RawResponse publish() {
        return HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/publish", "application/json", EVENT);
    }

    private SseTestClient stream(String pathAndQuery) {
        SseTestClient s = PublishTestSupport.openStream(gateway, pathAndQuery);
        streams.add(s);
        return s;
    }

    /** Parses a text line into its fields, checking that it is exactly {@code key=value} pairs in the documented order. */
    private static Map<String, String> text(String line) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String pair : line.split(" ")) {
            int eq = pair.indexOf('=');
            assertTrue(eq > 0, () -> "not key=value: '" + pair + "' in " + line);
            fields.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        List<String> keys = new ArrayList<>(List.of("time", "method", "path", "status", "duration_ms", "bytes", "user",
                "client"));
        if (fields.containsKey("close")) {
            keys.add("close");
        }
        assertEquals(keys, List.copyOf(fields.keySet()), line);
        assertTrue(TIME.matcher(fields.get("time")).matches(), line);
        assertTrue(DURATION.matcher(fields.get("duration_ms")).matches(), line);
        return fields;
    }

    private static Map<String, Object> json(String line) {
        Map<String, Object> fields = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(line)) {
            assertEquals(JsonToken.START_OBJECT, p.nextToken(), line);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                fields.put(name, switch (t) {
                    case VALUE_STRING -> p.getText();
                    case VALUE_NUMBER_INT -> p.getLongValue();
                    case VALUE_NUMBER_FLOAT -> p.getDecimalValue();
                    case VALUE_NULL -> null;
                    default -> throw new AssertionError("unexpected " + t + " in " + line);
                });
            }
            assertEquals(null, p.nextToken(), () -> "one object per line: " + line);
        } catch (IOException e) {
            throw new UncheckedIOException(line, e);
        }
        return fields;
    }

    private String awaitLine(String mustContain) {
        return log.await(l -> l.contains(mustContain), WAIT, "a line containing " + mustContain);
    }

    @Test
    void textLinesForPublishAnd404() {
        gateway = GatewayFixture.start("--access-log=text");
        RawResponse published = publish();
        accepted(published, 1, 0);
        Map<String, String> line = text(awaitLine("path=/v1/publish"));
        assertEquals("POST", line.get("method"));
        assertEquals("200", line.get("status"));
        assertEquals(Integer.toString(published.body().getBytes(StandardCharsets.UTF_8).length), line.get("bytes"));
        assertEquals("-", line.get("user"));
        assertEquals(GatewayFixture.HOST, line.get("client"));
        assertFalse(line.containsKey("close"));

        RawResponse missing = HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/nope?x=1");
        Map<String, String> notFound = text(awaitLine("path=/nope"));
        assertEquals("404", notFound.get("status"));
        assertEquals("GET", notFound.get("method"));
        assertEquals("/nope?x=[redacted]", notFound.get("path"));
        assertEquals(Integer.toString(missing.body().getBytes(StandardCharsets.UTF_8).length), notFound.get("bytes"));
    }

    @Test
    void streamEndedByClientIsLoggedWithItsReasonOnceItCloses() {
        gateway = GatewayFixture.start("--access-log=text");
        SseTestClient s = stream("/v1/events/stream?topic=t&limit=0");
        assertTrue(log.messages().stream().noneMatch(l -> l.contains("/v1/events/stream")),
                () -> "an open stream is not logged yet: " + log.messages());
        gateway.publishJson("{\"topic\":\"t\",\"data\":\"x\"}");
        String id = s.awaitEvent(e -> "x".equals(e.data()), Duration.ofSeconds(10)).id();
        s.close();
        Map<String, String> line = text(awaitLine("path=/v1/events/stream"));
        assertEquals("GET", line.get("method"));
        assertEquals("/v1/events/stream?topic=t&limit=0", line.get("path"));
        assertEquals("200", line.get("status"));
        // the event frames the fan-out wrote ("id: <id>\ndata: x\n\n"); the head and connected event are not counted
        assertEquals(Integer.toString(("id: " + id + "\ndata: x\n\n").length()), line.get("bytes"));
        assertEquals("client-closed", line.get("close"));
    }

    @Test
    void streamsOpenWhenTheGatewayStopsAreLoggedAsServerStopping() {
        gateway = GatewayFixture.start("--access-log=text");
        stream("/v1/events/stream?topic=t");
        gateway.close();
        gateway = null;
        Map<String, String> line = text(awaitLine("path=/v1/events/stream"));
        assertEquals("server-stopping", line.get("close"));
    }

    @Test
    void jsonLinesAreOneObjectEachWithTheSameFields() {
        gateway = GatewayFixture.start("--access-log=json");
        RawResponse published = publish();
        accepted(published, 1, 0);
        Map<String, Object> pub = json(awaitLine("\"path\":\"/v1/publish\""));
        assertEquals(List.of("time", "method", "path", "status", "duration_ms", "bytes", "user", "client"),
                List.copyOf(pub.keySet()));
        assertEquals("POST", pub.get("method"));
        assertEquals(200L, pub.get("status"));
        assertEquals((long) published.body().getBytes(StandardCharsets.UTF_8).length, pub.get("bytes"));
        assertEquals("-", pub.get("user"));
        assertEquals(GatewayFixture.HOST, pub.get("client"));
        assertTrue(TIME.matcher((String) pub.get("time")).matches(), pub.toString());
        assertTrue(DURATION.matcher(pub.get("duration_ms").toString()).matches(), pub.toString());

        HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/nope");
        assertEquals(404L, json(awaitLine("\"path\":\"/nope\"")).get("status"));

        SseTestClient s = stream("/v1/events/stream?topic=t");
        s.close();
        Map<String, Object> st = json(awaitLine("\"path\":\"/v1/events/stream?topic=t\""));
        assertEquals(200L, st.get("status"));
        assertEquals(0L, st.get("bytes"), "no event was written to it");
        assertEquals("client-closed", st.get("close"));
    }

    @Test
    void tokenInTheQueryIsNeverLogged() {
        gateway = GatewayFixture.start("--access-log=text");
        HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/v1/events?topic=t&access_token=" + SECRET);
        HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/v1/events?topic=t&access%5Ftoken=" + SECRET + "&limit=2");
        SseTestClient s = stream("/v1/events/stream?access_token=" + SECRET + "&topic=t");
        s.close();
        String snapshot = awaitLine("path=/v1/events?topic=t&access_token=[redacted]");
        assertEquals("/v1/events?topic=t&access_token=[redacted]", text(snapshot).get("path"));
        assertEquals("/v1/events?topic=t&access_token=[redacted]&limit=2",
                text(awaitLine("&limit=2")).get("path"));
        assertEquals("/v1/events/stream?access_token=[redacted]&topic=t",
                text(awaitLine("path=/v1/events/stream")).get("path"));
        gateway.close();
        gateway = null;
        assertTrue(log.messages().stream().noneMatch(l -> l.contains(SECRET)), () -> "token logged: " + log.messages());
    }

    @Test
    void jsonTokenInTheQueryIsNeverLogged() {
        gateway = GatewayFixture.start("--access-log=json");
        HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/v1/events?topic=t&access_token=" + SECRET);
        assertEquals("/v1/events?topic=t&access_token=[redacted]", json(awaitLine("/v1/events?")).get("path"));
        assertTrue(log.messages().stream().noneMatch(l -> l.contains(SECRET)), () -> "token logged: " + log.messages());
    }

    @Test
    void requestsThatFailToDecodeAreLogged() {
        gateway = GatewayFixture.start("--access-log=text", "--max-header-size=1KiB", "--max-initial-line-length=256");
        RawResponse headers = HttpTestClient.exchange(GatewayFixture.HOST, gateway.port(),
                ("GET /v1/events?topic=t HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(2048) + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII), WAIT);
        assertEquals(431, headers.status(), headers::toString);
        Map<String, String> h = text(awaitLine("status=431"));
        assertEquals("GET", h.get("method"));
        assertEquals("/v1/events?topic=t", h.get("path"));

        RawResponse line = HttpTestClient.exchange(GatewayFixture.HOST, gateway.port(),
                ("GET /" + "a".repeat(400) + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII), WAIT);
        assertEquals(400, line.status(), line::toString);
        Map<String, String> l = text(awaitLine("status=400"));
        assertEquals("-", l.get("method"));
        assertEquals("-", l.get("path"));
    }

    @Test
    void offLogsNothing() {
        gateway = GatewayFixture.start("--access-log=off");
        accepted(publish(), 1, 0);
        HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/nope");
        stream("/v1/events/stream?topic=t").close();
        // stopping joins the event loops: anything they were going to log has been logged
        gateway.close();
        gateway = null;
        assertEquals(List.of(), log.messages());
    }
}
