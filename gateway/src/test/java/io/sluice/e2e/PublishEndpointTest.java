package io.sluice.e2e;

import io.sluice.e2e.PublishTestSupport.Snapshot;
import io.sluice.e2e.PublishTestSupport.SnapshotEvent;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpConnection;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.sluice.e2e.PublishTestSupport.WAIT;
import static io.sluice.e2e.PublishTestSupport.accepted;
import static io.sluice.e2e.PublishTestSupport.assertError;
import static io.sluice.e2e.PublishTestSupport.openStream;
import static io.sluice.e2e.PublishTestSupport.postJson;
import static io.sluice.e2e.PublishTestSupport.snapshot;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The publish endpoints (CONTRACT §4) and their errors and limits (§6) over real sockets against a gateway in
 * this JVM: what a publisher gets back, byte for byte where the contract fixes it, and what streams receive.
 * Each test has its own gateway, so counts ({@code sent}, published) start from zero.
 */
class PublishEndpointTest {
    private static final int MAX_EVENT_BYTES = 1024;
    private static final int MAX_BODY_BYTES = 4096;
    private static final int MAX_INITIAL_LINE = 512;
    private static final int MAX_HEADER_SIZE = 2048;

    private GatewayFixture gateway;
    private final List<SseTestClient> streams = new ArrayList<>();

    @BeforeEach
    void start() {
        gateway = GatewayFixture.start("--max-event-bytes=" + MAX_EVENT_BYTES, "--max-body-bytes=" + MAX_BODY_BYTES,
                "--max-initial-line-length=" + MAX_INITIAL_LINE, "--max-header-size=" + MAX_HEADER_SIZE);
    }

    @AfterEach
    void stop() {
        streams.forEach(SseTestClient::close);
        if (gateway != null) {
            gateway.close();
        }
    }

    private SseTestClient stream(String query) {
        SseTestClient client = openStream(gateway, "/v1/events/stream?" + query);
        streams.add(client);
        return client;
    }

    private RawResponse publish(String body) {
        return postJson(gateway, "/v1/publish", body);
    }

    private static void assertEvent(SseEvent event, long id, String type, String data) {
        assertEquals(new SseEvent(Long.toString(id), Long.toString(id), type, data), event);
    }

    /** Publishes a marker on {@code topic} and asserts it is the next event {@code client} gets: nothing came before it. */
    private void assertNextIsMarker(SseTestClient client, String topic) {
        long id = accepted(publish("{\"topic\":\"" + topic + "\",\"type\":\"marker\",\"data\":\"end\"}"), 1,
                gateway.server().fanout().topics().get(topic).streamCount()).get(0);
        assertEvent(client.awaitEvent(WAIT), id, "marker", "end");
    }

    // ---- accepted publishes ------------------------------------------------------------------------------------

    @Test
    void oneEventIsAnsweredWithItsIdAndTheStreamsItWasQueuedForAndDelivered() {
        SseTestClient first = stream("topic=orders");
        SseTestClient second = stream("topic=orders&topic=invoices");
        SseTestClient elsewhere = stream("topic=invoices");

        RawResponse r = publish("{\"topic\":\"orders\",\"type\":\"order:created\",\"data\":{ \"n\" : 1, \"name\" : \"a b\" }}");

        long id = accepted(r, 1, 2).get(0);
        assertEvent(first.awaitEvent(WAIT), id, "order:created", "{\"n\":1,\"name\":\"a b\"}");
        assertEvent(second.awaitEvent(WAIT), id, "order:created", "{\"n\":1,\"name\":\"a b\"}");
        assertEquals(1, gateway.server().metrics().published());
        assertNextIsMarker(elsewhere, "invoices");
    }

    /** docs/architecture.md: {@code sent} counts the topic's streams at commit, before their {@code types} filters. */
    @Test
    void sentCountsOnlyStreamsWhoseTopicsAndTypeFilterMatch() {
        SseTestClient all = stream("topic=typed");
        SseTestClient onlyOrders = stream("topic=typed&types=order:*");
        SseTestClient alsoOrders = stream("topic=typed&types=order:new,x");
        stream("topic=elsewhere");

        long id = accepted(publish("{\"topic\":\"typed\",\"type\":\"invoice:paid\",\"data\":1}"), 1, 1).get(0);

        assertEvent(all.awaitEvent(WAIT), id, "invoice:paid", "1");
        long order = accepted(publish("{\"topic\":\"typed\",\"type\":\"order:new\",\"data\":2}"), 1, 3).get(0);
        assertEvent(onlyOrders.awaitEvent(WAIT), order, "order:new", "2");
        assertEvent(alsoOrders.awaitEvent(WAIT), order, "order:new", "2");
        long batch = accepted(publish("[{\"topic\":\"typed\",\"type\":\"order:old\",\"data\":3},"
                + "{\"topic\":\"typed\",\"type\":\"invoice:paid\",\"data\":4}]"), 2, 3).get(0);
        assertEvent(onlyOrders.awaitEvent(WAIT), batch, "order:old", "3");
    }

    @Test
    void contentTypeParametersAndCaseAreIgnoredAndNoContentTypeMeansJson() {
        SseTestClient client = stream("topic=ct");
        long withCharset = accepted(HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/publish",
                "application/json; charset=utf-8", "{\"topic\":\"ct\",\"data\":1}"), 1, 1).get(0);
        long upperCase = accepted(HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/publish",
                "Application/JSON", "{\"topic\":\"ct\",\"data\":2}"), 1, 1).get(0);
        String body = "{\"topic\":\"ct\",\"data\":3}";
        long none = accepted(HttpTestClient.exchange(GatewayFixture.HOST, gateway.port(), ("POST /v1/publish HTTP/1.1\r\n"
                + "Host: x\r\nConnection: close\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.UTF_8), WAIT), 1, 1).get(0);

        List<SseEvent> got = client.awaitEvents(3, WAIT);
        assertEvent(got.get(0), withCharset, "message", "1");
        assertEvent(got.get(1), upperCase, "message", "2");
        assertEvent(got.get(2), none, "message", "3");
    }

    @Test
    void batchGetsStrictlyIncreasingIdsAndIsDeliveredInOrder() {
        SseTestClient client = stream("topic=a&topic=b");
        String batch = "[{\"topic\":\"a\",\"data\":\"line1\\nline2\\r\\nline3\"},"
                + "{\"topic\":\"b\",\"type\":\"n\",\"data\":42.50},"
                + "{\"topic\":\"a\",\"type\":\"cat:act\",\"data\":{\"z\": [1, 2, {\"k\": null}], \"a\": \"\u00e9\u2713\"}},"
                + "{\"topic\":\"b\",\"data\":true},"
                + "{\"topic\":\"a\",\"data\":[]}]";

        List<Long> ids = accepted(publish(batch), 5, 5);

        List<SseEvent> got = client.awaitEvents(5, WAIT);
        assertEvent(got.get(0), ids.get(0), "message", "line1\nline2\nline3");
        assertEvent(got.get(1), ids.get(1), "n", "42.50");
        assertEvent(got.get(2), ids.get(2), "cat:act", "{\"z\":[1,2,{\"k\":null}],\"a\":\"\u00e9\u2713\"}");
        assertEvent(got.get(3), ids.get(3), "message", "true");
        assertEvent(got.get(4), ids.get(4), "message", "[]");
        List<Long> next = accepted(publish("[{\"topic\":\"b\",\"data\":1},{\"topic\":\"a\",\"data\":2}]"), 2, 2);
        assertTrue(next.get(0) > ids.get(4), "ids keep increasing across publishes: " + ids + " then " + next);
        assertEquals(List.of("1", "2"), client.awaitEvents(2, WAIT).stream().map(SseEvent::data).toList());
    }

    @Test
    void batchWithOneInvalidEventPublishesNothing() {
        SseTestClient client = stream("topic=atomic");
        String invalidTopic = "[{\"topic\":\"atomic\",\"data\":1},{\"topic\":\"atomic\",\"data\":2},"
                + "{\"topic\":\"no spaces\",\"data\":3},{\"topic\":\"atomic\",\"data\":4}]";
        assertError(publish(invalidTopic), 400, "invalid_request", "[2].topic:");
        String invalidType = "[{\"topic\":\"atomic\",\"data\":1},{\"topic\":\"atomic\",\"type\":\"\",\"data\":2}]";
        assertError(publish(invalidType), 400, "invalid_request", "[1].type:");
        String tooLarge = "[{\"topic\":\"atomic\",\"data\":1},{\"topic\":\"atomic\",\"data\":\"" + "x".repeat(MAX_EVENT_BYTES + 1)
                + "\"}]";
        assertError(publish(tooLarge), 413, "too_large", "[1].data:");
        assertEquals(0, gateway.server().metrics().published(), "events published by refused batches");

        long id = accepted(publish("{\"topic\":\"atomic\",\"data\":\"after\"}"), 1, 1).get(0);

        assertEvent(client.awaitEvent(WAIT), id, "message", "after");
        Snapshot snapshot = snapshot(gateway, "topic=atomic");
        assertEquals(List.of(id), snapshot.events().stream().map(SnapshotEvent::id).toList(), "snapshot ids");
        assertEquals("after", snapshot.events().get(0).data());
        assertEquals(Long.toString(id), snapshot.lastEventId());
    }

    @Test
    void formEncodedPublishTakesDataAsStringWithPlusAndPercentEscapesDecoded() {
        SseTestClient client = stream("topic=form/t");
        RawResponse r = HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/publish",
                "application/x-www-form-urlencoded",
                "topic=form%2Ft&type=note%3Aadded&data=1%2B1+%3D+2%0Anext+%E2%9C%93+%7B%22a%22%3A1%7D");

        long id = accepted(r, 1, 1).get(0);

        assertEvent(client.awaitEvent(WAIT), id, "note:added", "1+1 = 2\nnext \u2713 {\"a\":1}");
        Snapshot snapshot = snapshot(gateway, "topic=form/t");
        assertEquals(List.of(new SnapshotEvent(id, "form/t", "note:added", "1+1 = 2\nnext \u2713 {\"a\":1}",
                snapshot.events().get(0).time())), snapshot.events(), "form data is kept as a JSON string");
    }

    /**
     * {@code curl -d 'topic=t&data=…'} sends the value as typed; an {@code application/x-www-form-urlencoded} body
     * is split on {@code &} only (WHATWG URL, urlencoded parser), so {@code #} and {@code ;} are data like any other
     * character: a form publish must neither cut the data at {@code #} nor split it at {@code ;}.
     */
    @Test
    void formBodyIsSplitOnlyOnAmpersand() {
        SseTestClient client = stream("topic=form");
        RawResponse hash = HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/publish",
                "application/x-www-form-urlencoded", "topic=form&data=fixes #12 today");
        RawResponse semicolon = HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/publish",
                "application/x-www-form-urlencoded", "topic=form&data=a;b");
        assertAll(
                () -> {
                    long id = accepted(hash, 1, 1).get(0);
                    assertEquals(new SseEvent(Long.toString(id), Long.toString(id), "message", "fixes #12 today"),
                            client.awaitEvents(1, WAIT).get(0), "data after a '#'");
                },
                () -> {
                    long id = accepted(semicolon, 1, 1).get(0);
                    assertEquals(new SseEvent(Long.toString(id), Long.toString(id), "message", "a;b"),
                            client.awaitEvent(e -> Long.toString(id).equals(e.id()), WAIT), "data after a ';'");
                });
    }

    @Test
    void userEndpointPublishesToTheUsersTopicOnly() {
        SseTestClient alice = stream("topic=user/alice");
        SseTestClient bob = stream("topic=user/bob");

        long id = accepted(postJson(gateway, "/v1/users/alice/events", "{\"type\":\"note:new\",\"data\":\"hi\"}"), 1, 1).get(0);
        List<Long> batch = accepted(postJson(gateway, "/v1/users/alice/events", "[{\"data\":1},{\"data\":{\"b\":2}}]"), 2, 2);

        assertEvent(alice.awaitEvent(WAIT), id, "note:new", "hi");
        assertEvent(alice.awaitEvent(WAIT), batch.get(0), "message", "1");
        assertEvent(alice.awaitEvent(WAIT), batch.get(1), "message", "{\"b\":2}");
        assertEquals(List.of("user/alice", "user/alice", "user/alice"),
                snapshot(gateway, "topic=user/alice").events().stream().map(SnapshotEvent::topic).toList());

        assertError(postJson(gateway, "/v1/users/alice/events", "{\"topic\":\"user/alice\",\"data\":1}"), 400,
                "invalid_request", "topic:");
        assertError(postJson(gateway, "/v1/users/alice/events", "[{\"data\":1},{\"topic\":\"x\",\"data\":2}]"), 400,
                "invalid_request", "[1].topic:");
        assertEquals(3, gateway.server().metrics().published());
        assertNextIsMarker(bob, "user/bob");
    }

    @Test
    void broadcastReachesEveryStreamWhateverItsTopics() {
        List<SseTestClient> clients = List.of(stream("topic=x"), stream("topic=y&topic=z"), stream("topic=user/carol"));

        long id = accepted(postJson(gateway, "/v1/broadcast", "{\"type\":\"maintenance\",\"data\":{\"in\":\"5m\"}}"), 1, 3)
                .get(0);

        for (SseTestClient c : clients) {
            assertEvent(c.awaitEvent(WAIT), id, "maintenance", "{\"in\":\"5m\"}");
        }
        assertError(postJson(gateway, "/v1/broadcast", "{\"topic\":\"x\",\"data\":1}"), 400, "invalid_request", "topic:");
        assertEquals(List.of(id), snapshot(gateway, "topic=broadcast").events().stream().map(SnapshotEvent::id).toList());
    }

    // ---- refused publishes ---------------------------------------------------------------------------------

    static Stream<Arguments> refusedPublishes() {
        String json = "application/json";
        return Stream.of(
                arguments("invalid JSON", json, "{\"topic\":\"t\",\"data\":", 400, "invalid_request", "body:"),
                arguments("not an event", json, "\"just a string\"", 400, "invalid_request", "body:"),
                arguments("empty body", json, "", 400, "invalid_request", "body:"),
                arguments("bad topic", json, "{\"topic\":\"a b\",\"data\":1}", 400, "invalid_request", "topic:"),
                arguments("topic too long", json, "{\"topic\":\"" + "t".repeat(201) + "\",\"data\":1}", 400,
                        "invalid_request", "topic:"),
                arguments("missing topic", json, "{\"data\":1}", 400, "invalid_request", "topic:"),
                arguments("topic not a string", json, "{\"topic\":7,\"data\":1}", 400, "invalid_request", "topic:"),
                arguments("empty type", json, "{\"topic\":\"t\",\"type\":\"\",\"data\":1}", 400, "invalid_request", "type:"),
                arguments("bad type chars", json, "{\"topic\":\"t\",\"type\":\"a/b\",\"data\":1}", 400, "invalid_request",
                        "type:"),
                arguments("type too long", json, "{\"topic\":\"t\",\"type\":\"" + "y".repeat(65) + "\",\"data\":1}", 400,
                        "invalid_request", "type:"),
                arguments("missing data", json, "{\"topic\":\"t\",\"type\":\"x\"}", 400, "invalid_request", "data:"),
                arguments("unknown field", json, "{\"topic\":\"t\",\"data\":1,\"tpoic\":\"t\"}", 400, "invalid_request",
                        "tpoic:"),
                arguments("empty batch", json, "[]", 400, "invalid_request", "body:"),
                arguments("batch of non-objects", json, "[1]", 400, "invalid_request", "[0]:"),
                arguments("text/plain", "text/plain", "{\"topic\":\"t\",\"data\":1}", 400, "invalid_request",
                        "Content-Type:"),
                arguments("form without data", "application/x-www-form-urlencoded", "topic=t", 400, "invalid_request",
                        "data:"),
                arguments("form with unknown field", "application/x-www-form-urlencoded", "topic=t&data=1&x=2", 400,
                        "invalid_request", "x:"),
                arguments("event over maxEventBytes", json,
                        "{\"topic\":\"t\",\"data\":\"" + "x".repeat(MAX_EVENT_BYTES + 1) + "\"}", 413, "too_large", "data:"),
                arguments("JSON event over maxEventBytes", json,
                        "{\"topic\":\"t\",\"data\":[" + "1,".repeat(MAX_EVENT_BYTES / 2) + "1]}", 413, "too_large", "data:"),
                arguments("form event over maxEventBytes", "application/x-www-form-urlencoded",
                        "topic=t&data=" + "x".repeat(MAX_EVENT_BYTES + 1), 413, "too_large", "data:"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedPublishes")
    void refusedPublishIsAnErrorNamingTheFieldAndPublishesNothing(String name, String contentType, String body, int status,
                                                                  String code, String field) {
        SseTestClient client = stream("topic=t");

        RawResponse r = HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/publish", contentType, body);

        assertError(r, status, code, field);
        assertEquals(0, gateway.server().metrics().published(), "events published");
        assertNextIsMarker(client, "t");
    }

    // ---- limits on the wire ------------------------------------------------------------------------------------

    @Test
    void bodyOverMaxBodyBytesIsRefusedBeforeItIsSentAndTheConnectionCloses() {
        try (HttpConnection c = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            c.send("POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n");

            RawResponse r = c.readResponse();

            assertError(r, 413, "too_large", "body:");
            assertEquals("close", r.header("Connection"));
            assertTrue(c.awaitClosedByServer(WAIT), "connection closed after the 413");
        }
        assertEquals(0, gateway.server().metrics().published());
    }

    @Test
    void chunkedBodyOverMaxBodyBytesIsRefusedAndTheConnectionCloses() {
        try (HttpConnection c = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            String chunk = "[" + "{\"topic\":\"t\",\"data\":1},".repeat(200);
            c.send("POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n");

            RawResponse r = c.readResponse();

            assertTrue(chunk.length() > MAX_BODY_BYTES);
            assertError(r, 413, "too_large", "body:");
            assertEquals("close", r.header("Connection"));
            assertTrue(c.awaitClosedByServer(WAIT), "connection closed after the 413");
        }
        assertEquals(0, gateway.server().metrics().published());
    }

    @Test
    void chunkedBodyWithinMaxBodyBytesIsPublished() {
        SseTestClient client = stream("topic=t");
        try (HttpConnection c = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            String part1 = "{\"top";
            String part2 = "ic\":\"t\",\"data\":\"ok\"}";
            c.send("POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + Integer.toHexString(part1.length()) + "\r\n" + part1 + "\r\n"
                    + Integer.toHexString(part2.length()) + "\r\n" + part2 + "\r\n0\r\n\r\n");

            long id = accepted(c.readResponse(), 1, 1).get(0);

            assertEvent(client.awaitEvent(WAIT), id, "message", "ok");
        }
    }

    @Test
    void expectContinueWithTooLargeContentLengthGets413InsteadOf100() {
        try (HttpConnection c = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            c.send("POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                    + "Content-Length: " + (MAX_BODY_BYTES + 1) + "\r\n\r\n");

            RawResponse r = c.readResponse();

            assertError(r, 413, "too_large", "body:");
            assertEquals("close", r.header("Connection"));
            assertTrue(c.awaitClosedByServer(WAIT), "connection closed after the 413");
        }
    }

    @Test
    void expectContinueWithFittingContentLengthGets100ThenTheAnswer() {
        SseTestClient client = stream("topic=t");
        String body = "{\"topic\":\"t\",\"data\":\"continued\"}";
        try (HttpConnection c = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            c.send("POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n");

            RawResponse interim = c.readResponse();
            assertEquals(100, interim.status(), () -> "interim response: " + interim);
            assertEquals("", interim.body());
            c.send(body);
            long id = accepted(c.readResponse(), 1, 1).get(0);

            assertEvent(client.awaitEvent(WAIT), id, "message", "continued");
        }
    }

    @Test
    void requestLineOverMaxInitialLineLengthIs400AndCloses() {
        try (HttpConnection c = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            c.send("GET /healthz?pad=" + "a".repeat(MAX_INITIAL_LINE) + " HTTP/1.1\r\nHost: x\r\n\r\n");

            RawResponse r = c.readResponse();

            assertError(r, 400, "invalid_request", "request line:");
            assertEquals("close", r.header("Connection"));
            assertTrue(c.awaitClosedByServer(WAIT), "connection closed after the 400");
        }
    }

    @Test
    void headersOverMaxHeaderSizeAre431AndClose() {
        try (HttpConnection c = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(MAX_HEADER_SIZE) + "\r\n\r\n");

            RawResponse r = c.readResponse();

            assertError(r, 431, "invalid_request", "headers:");
            assertEquals("close", r.header("Connection"));
            assertTrue(c.awaitClosedByServer(WAIT), "connection closed after the 431");
        }
    }

    @Test
    void unknownPathIs404() {
        RawResponse get = HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/v1/nope");
        assertError(get, 404, "not_found", "no endpoint at /v1/nope");
        RawResponse post = postJson(gateway, "/v1/publish/extra", "{\"topic\":\"t\",\"data\":1}");
        assertError(post, 404, "not_found", "no endpoint at /v1/publish/extra");
        assertError(postJson(gateway, "/v1/users//events", "{\"data\":1}"), 404, "not_found", "no endpoint at");
        assertEquals(0, gateway.server().metrics().published());
    }

    @Test
    void getOnPublishIs405WithAllowPost() {
        RawResponse r = HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/v1/publish");

        assertError(r, 405, "method_not_allowed", "GET");
        assertEquals("POST", r.header("Allow"));
        RawResponse broadcast = HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/v1/broadcast");
        assertError(broadcast, 405, "method_not_allowed", "GET");
        assertEquals("POST", broadcast.header("Allow"));
    }

    // ---- connections -----------------------------------------------------------------------------------------

    @Test
    void fiftyPublishesOnOneKeptAliveConnectionIncludingAfterErrors() {
        SseTestClient client = stream("topic=keep");
        List<Long> ids = new ArrayList<>();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        try (HttpConnection c = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            for (int i = 0; i < 50; i++) {
                String body = i % 10 == 3 ? "{\"topic\":\"keep\",\"data\":" : "{\"topic\":\"keep\",\"data\":" + i + "}";
                RawResponse r = c.request("POST", "/v1/publish", headers, body);
                if (i % 10 == 3) {
                    assertError(r, 400, "invalid_request", "body:");
                } else {
                    ids.add(accepted(r, 1, 1).get(0));
                }
                assertFalse("close".equalsIgnoreCase(r.header("Connection")), "Connection: close after request " + i);
                assertFalse(r.closedByServer(), "closed after request " + i);
            }
            RawResponse health = c.request("GET", "/healthz", Map.of(), null);
            assertEquals(200, health.status());
        }
        assertEquals(45, ids.size());
        for (int i = 1; i < ids.size(); i++) {
            assertTrue(ids.get(i) > ids.get(i - 1), "ids strictly increasing: " + ids);
        }
        List<SseEvent> got = client.awaitEvents(45, WAIT);
        assertEquals(ids.stream().map(String::valueOf).toList(), got.stream().map(SseEvent::id).toList());
    }

    @Test
    void pipelinedPublishesAreAnsweredInRequestOrder() {
        SseTestClient client = stream("topic=pipe");
        StringBuilder requests = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            String body = i == 4 ? "{\"topic\":\"pipe\",\"type\":\"\",\"data\":4}" : "{\"topic\":\"pipe\",\"data\":" + i + "}";
            requests.append("POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ")
                    .append(body.length()).append("\r\n\r\n").append(body);
        }
        List<Long> ids = new ArrayList<>();
        try (HttpConnection c = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            c.send(requests.toString());
            for (int i = 0; i < 10; i++) {
                RawResponse r = c.readResponse();
                if (i == 4) {
                    assertError(r, 400, "invalid_request", "type:");
                } else {
                    ids.add(accepted(r, 1, 1).get(0));
                }
            }
        }
        List<SseEvent> got = client.awaitEvents(9, WAIT);
        for (int i = 0; i < 9; i++) {
            assertEvent(got.get(i), ids.get(i), "message", Integer.toString(i < 4 ? i : i + 1));
        }
        for (int i = 1; i < ids.size(); i++) {
            assertTrue(ids.get(i) > ids.get(i - 1), "answers in request order: " + ids);
        }
    }

    @Test
    void http10WithoutKeepAliveIsAnsweredWithConnectionCloseAndClosed() {
        String body = "{\"topic\":\"t\",\"data\":1}";
        try (HttpConnection c = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            c.send("POST /v1/publish HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                    + "\r\n\r\n" + body);

            RawResponse r = c.readResponse();

            accepted(r, 1, 0);
            assertEquals("close", r.header("Connection"));
            assertTrue(c.awaitClosedByServer(WAIT), "HTTP/1.0 connection closed after the answer");
        }
        try (HttpConnection c = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            c.send("GET /healthz HTTP/1.0\r\n\r\n");
            RawResponse r = c.readResponse();
            assertEquals(200, r.status());
            assertEquals("close", r.header("Connection"));
            assertTrue(c.awaitClosedByServer(WAIT), "HTTP/1.0 connection closed after the answer");
        }
    }

    @Test
    void http10WithKeepAliveStaysOpen() {
        try (HttpConnection c = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            for (int i = 0; i < 3; i++) {
                c.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
                RawResponse r = c.readResponse();
                assertEquals(200, r.status());
                assertEquals("keep-alive", r.header("Connection"));
            }
            assertFalse(c.awaitClosedByServer(Duration.ofMillis(200)), "kept-alive HTTP/1.0 connection closed");
        }
    }

    // ---- health, both ports ------------------------------------------------------------------------------------

    @Test
    void healthAndReadinessAnswerOnBothPortsAndTheManagementPortHasNoPublish() {
        for (int port : new int[] {gateway.port(), gateway.managementPort()}) {
            RawResponse health = HttpTestClient.get(GatewayFixture.HOST, port, "/healthz");
            assertEquals(200, health.status(), () -> "/healthz on " + port + ": " + health);
            assertEquals("application/json", health.header("Content-Type"));
            assertEquals("{\"status\":\"ok\"}", health.body());
            RawResponse ready = HttpTestClient.get(GatewayFixture.HOST, port, "/readyz");
            assertEquals(200, ready.status(), () -> "/readyz on " + port + ": " + ready);
            assertEquals("application/json", ready.header("Content-Type"));
            assertEquals("{\"status\":\"ready\"}", ready.body());
        }
        RawResponse publish = HttpTestClient.post(GatewayFixture.HOST, gateway.managementPort(), "/v1/publish",
                "application/json", "{\"topic\":\"t\",\"data\":1}");
        assertError(publish, 404, "not_found", "no endpoint at /v1/publish");
        RawResponse stream = HttpTestClient.get(GatewayFixture.HOST, gateway.managementPort(), "/v1/events/stream?topic=t");
        assertError(stream, 404, "not_found", "no endpoint at /v1/events/stream");
        assertEquals(0, gateway.server().metrics().published());
        assertEquals(0, gateway.server().metrics().openStreams());
    }
}
