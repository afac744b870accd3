package io.sluice.e2e;

import io.sluice.testing.GatewayFixture;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.sluice.e2e.StreamTestSupport.STREAM_PATH;
import static io.sluice.e2e.StreamTestSupport.TOPIC_RULE;
import static io.sluice.e2e.StreamTestSupport.WAIT;
import static io.sluice.e2e.StreamTestSupport.assertErrorThenHealthy;
import static io.sluice.e2e.StreamTestSupport.assertEvent;
import static io.sluice.e2e.StreamTestSupport.broadcast;
import static io.sluice.e2e.StreamTestSupport.publish;
import static io.sluice.e2e.StreamTestSupport.publishTo;
import static io.sluice.e2e.StreamTestSupport.quote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /v1/events/stream} (CONTRACT §2 and §6) against a real gateway over real sockets: response head,
 * {@code retry} and {@code connected}, topic and type routing, the data encoding as a WHATWG EventSource parses
 * it, {@code limit} and {@code Last-Event-ID} replay, {@code reset}, heartbeats and every error the endpoint
 * answers.
 *
 * <p>"Nothing else arrived" is proved by order, not by waiting: each loop delivers events to a stream in id
 * order, so an event that should not reach a stream would show up before a later event that should.
 */
class StreamEndpointTest {
    private static final Pattern CONNECTED = Pattern.compile("\\{\"connectionId\":\"([^\"]+)\",\"topics\":\\[(.*)]}");
    private static final String RESET_PREFIX = "{\"reason\":\"history-unavailable\",\"lastEventId\":";

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeEverything() {
        StreamTestSupport.closeAll(resources);
    }

    private GatewayFixture start(String... flags) {
        GatewayFixture gateway = GatewayFixture.start(flags);
        resources.add(gateway);
        return gateway;
    }

    private SseTestClient open(GatewayFixture gateway, String query) {
        return StreamTestSupport.openStream(gateway, query, Map.of(), resources);
    }

    private SseTestClient open(GatewayFixture gateway, String query, Map<String, String> headers) {
        return StreamTestSupport.openStream(gateway, query, headers, resources);
    }

    private static Map<String, String> lastEventId(String id) {
        return Map.of("Last-Event-ID", id);
    }

    private static String resetData(String lastEventId) {
        return RESET_PREFIX + quote(lastEventId) + "}";
    }

    // ---- response head, retry, connected ---------------------------------------------------------------------

    @Test
    void responseHeadThenRetryThenConnectedWithoutId() {
        GatewayFixture gateway = start();
        SseTestClient client = gateway.stream(STREAM_PATH + "?topic=orders&topic=b&topic=orders", Map.of());
        resources.add(client);

        assertEquals(200, client.status());
        assertEquals("text/event-stream; charset=utf-8", client.header("Content-Type"));
        assertEquals("no-cache", client.header("Cache-Control"));
        assertEquals("no", client.header("X-Accel-Buffering"));
        assertEquals("close", client.header("Connection"));
        assertNull(client.header("Content-Length"), "a stream body is close-delimited");
        assertNull(client.header("Transfer-Encoding"), "a stream body is close-delimited");

        SseEvent connected = client.awaitEvent(WAIT);
        assertEquals(3000, client.retry());
        assertEquals("connected", connected.type());
        assertNull(connected.id(), "system events carry no id");
        assertEquals("", connected.lastEventId());
        Matcher m = CONNECTED.matcher(connected.data());
        assertTrue(m.matches(), connected.data());
        assertEquals("\"orders\",\"b\",\"broadcast\"", m.group(2), "named topics deduplicated in order, then broadcast");
        assertEquals("retry: 3000\nevent: connected\ndata: " + connected.data() + "\n\n", client.body(),
                "exact bytes before any event");
        assertEquals("", client.lastEventId());

        SseTestClient second = open(gateway, "topic=broadcast");
        SseEvent secondConnected = second.events().get(0);
        Matcher m2 = CONNECTED.matcher(secondConnected.data());
        assertTrue(m2.matches(), secondConnected.data());
        assertEquals("\"broadcast\"", m2.group(2), "naming broadcast does not list it twice");
        assertNotEquals(m.group(1), m2.group(1), "each stream has its own connectionId");
    }

    /** Also: unknown query parameters (cache busters) are ignored. */
    @Test
    void retryIsTheConfiguredReconnectMillis() {
        GatewayFixture gateway = start("--reconnect-millis=1234");
        SseTestClient client = open(gateway, "topic=t&_=1700000000000&cache=buster");
        assertEquals(1234, client.retry());
        assertTrue(client.body().startsWith("retry: 1234\nevent: connected\ndata: {"), client.body());
    }

    @Test
    void topicLimitCountsDistinctTopicsAndTheLongestTopicNameIsAccepted() {
        GatewayFixture gateway = start("--max-topics-per-connection=2");
        String longest = "x".repeat(200);
        SseTestClient client = open(gateway, "topic=a&topic=" + longest + "&topic=a");
        Matcher m = CONNECTED.matcher(client.events().get(0).data());
        assertTrue(m.matches(), client.events().get(0).data());
        assertEquals("\"a\",\"" + longest + "\",\"broadcast\"", m.group(2));
        String id = publish(gateway, longest, null, "\"to the longest\"");
        assertEvent(id, "message", "to the longest", client.awaitEvent(WAIT));
    }

    // ---- routing: topics, broadcast, types -------------------------------------------------------------------

    @Test
    void eachStreamReceivesExactlyTheEventsOfItsTopics() {
        GatewayFixture gateway = start();
        SseTestClient ab = open(gateway, "topic=a&topic=b");
        SseTestClient c = open(gateway, "topic=c");

        String a1 = publish(gateway, "a", "x:one", "\"a1\"");
        String c1 = publish(gateway, "c", "x:one", "\"c1\"");
        String b1 = publish(gateway, "b", "x:one", "\"b1\"");
        publish(gateway, "d", "x:one", "\"d1\"");
        publish(gateway, "ab", "x:one", "\"not a, not b\"");
        List<String> batch = publishTo(gateway, "/v1/publish",
                "[{\"topic\":\"b\",\"data\":\"b2\"},{\"topic\":\"c\",\"data\":\"c2\"},{\"topic\":\"a\",\"data\":\"a2\"}]");

        List<SseEvent> got = ab.awaitEvents(4, WAIT);
        assertEvent(a1, "x:one", "a1", got.get(0));
        assertEvent(b1, "x:one", "b1", got.get(1));
        assertEvent(batch.get(0), "message", "b2", got.get(2));
        assertEvent(batch.get(2), "message", "a2", got.get(3));
        List<SseEvent> gotC = c.awaitEvents(2, WAIT);
        assertEvent(c1, "x:one", "c1", gotC.get(0));
        assertEvent(batch.get(1), "message", "c2", gotC.get(1));
        assertEquals(batch.get(2), ab.lastEventId());
    }

    @Test
    void broadcastReachesEveryStreamWithoutNamingIt() {
        GatewayFixture gateway = start();
        SseTestClient a = open(gateway, "topic=a");
        SseTestClient b = open(gateway, "topic=b&topic=other");
        SseTestClient onlyBroadcast = open(gateway, "topic=broadcast");

        String viaBroadcast = broadcast(gateway, "notice:maintenance", "{\"at\":\"02:00\"}");
        String viaPublish = publish(gateway, "broadcast", null, "\"also broadcast\"");
        String toA = publish(gateway, "a", null, "\"only a\"");

        for (SseTestClient client : List.of(a, b, onlyBroadcast)) {
            List<SseEvent> got = client.awaitEvents(2, WAIT);
            assertEvent(viaBroadcast, "notice:maintenance", "{\"at\":\"02:00\"}", got.get(0));
            assertEvent(viaPublish, "message", "also broadcast", got.get(1));
        }
        assertEvent(toA, "message", "only a", a.awaitEvent(WAIT));
        String toB = publish(gateway, "b", null, "\"only b\"");
        assertEvent(toB, "message", "only b", b.awaitEvent(WAIT));
        String last = broadcast(gateway, null, "\"last\"");
        assertEvent(last, "message", "last", onlyBroadcast.awaitEvent(WAIT));
    }

    /** One filter case: the {@code types} query value and the indexes of {@link #TYPES} it must let through. */
    private record TypesCase(String types, List<Integer> expected, String sentinelType) {
    }

    /** Published to every case's topic; null is an event without type ({@code message}). */
    private static final List<String> TYPES = Arrays.asList("deploy:started", "deploy:done", "build:done",
            "build:done.x", "deployment:created", "deploy:", "ab", "axxb", "abc", "xab", null, "predeploy:x");

    @Test
    void typesGlobsSelectEvents() {
        GatewayFixture gateway = start();
        List<TypesCase> cases = List.of(
                new TypesCase("deploy:*", List.of(0, 1, 5), "deploy:zz"),
                new TypesCase("*:done", List.of(1, 2), "zz:done"),
                new TypesCase("build:done", List.of(2), "build:done"),
                new TypesCase("deploy:started,build:*", List.of(0, 2, 3), "build:zz"),
                new TypesCase("a*b", List.of(6, 7), "azzb"),
                new TypesCase("*", List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), "zz"),
                new TypesCase("message", List.of(10), null),
                new TypesCase("*deploy*", List.of(0, 1, 4, 5, 11), "deployzz"));
        List<SseTestClient> clients = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            clients.add(open(gateway, "topic=types-" + i + "&types=" + cases.get(i).types()));
        }
        List<List<String>> ids = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            StringBuilder batch = new StringBuilder("[");
            for (int k = 0; k < TYPES.size(); k++) {
                batch.append(StreamTestSupport.eventJson("types-" + i, TYPES.get(k), "\"" + k + "\"")).append(',');
            }
            batch.append(StreamTestSupport.eventJson("types-" + i, cases.get(i).sentinelType(), "\"end\"")).append(']');
            ids.add(publishTo(gateway, "/v1/publish", batch.toString()));
        }
        for (int i = 0; i < cases.size(); i++) {
            TypesCase tc = cases.get(i);
            List<SseEvent> got = clients.get(i).awaitEvents(tc.expected().size() + 1, WAIT);
            List<SseEvent> expected = new ArrayList<>();
            for (int k : tc.expected()) {
                String type = TYPES.get(k) == null ? "message" : TYPES.get(k);
                expected.add(new SseEvent(ids.get(i).get(k), ids.get(i).get(k), type, Integer.toString(k)));
            }
            String sentinelId = ids.get(i).get(TYPES.size());
            expected.add(new SseEvent(sentinelId, sentinelId, tc.sentinelType() == null ? "message" : tc.sentinelType(),
                    "end"));
            assertEquals(expected, got, "types=" + tc.types());
        }
    }

    // ---- data encoding ---------------------------------------------------------------------------------------

    @Test
    void dataArrivesExactlyAsPublishedPerWhatwg() {
        GatewayFixture gateway = start();
        SseTestClient client = open(gateway, "topic=data");
        String[][] cases = {
            // published JSON data, what EventSource's event.data must be
            {"\"line1\\r\\nline2\\rline3\\nline4\"", "line1\nline2\nline3\nline4"},
            {"\"trailing\\n\"", "trailing\n"},
            {"\"\\n\\nblank lines\\r\\n\\r\\n\"", "\n\nblank lines\n\n"},
            {"\"\"", ""},
            {"\"caf\u00e9 \ud83d\ude00 \u4e2d\u6587\"", "caf\u00e9 \ud83d\ude00 \u4e2d\u6587"},
            {"\"escaped \\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ tab\\tend\"", "escaped \u00e9 \ud83d\ude00 \"q\" \\ tab\tend"},
            {"\"data: not a field\\nid: 7\\nevent: forged\"", "data: not a field\nid: 7\nevent: forged"},
            {"{ \"z\" : 1 ,\n \"a\" : [ 2.50 , -0 , 1e3 , true , null ] , \"s\" : \"x\\ny \u00e9\" , \"e\" : { } }",
                "{\"z\":1,\"a\":[2.50,-0,1e3,true,null],\"s\":\"x\\ny \u00e9\",\"e\":{}}"},
            {"{\"k\":\"\u4e2d\",\"b\":2,\"a\":1,\"b\":3}", "{\"k\":\"\u4e2d\",\"b\":2,\"a\":1,\"b\":3}"},
            {" 2.50 ", "2.50"},
            {"-17", "-17"},
            {"true", "true"},
            {"null", "null"},
            {"[ 1 , \"two\" , [ ] ]", "[1,\"two\",[]]"},
        };
        List<String> ids = new ArrayList<>();
        for (String[] c : cases) {
            ids.add(publish(gateway, "data", null, c[0]));
        }
        List<SseEvent> got = client.awaitEvents(cases.length, WAIT);
        for (int i = 0; i < cases.length; i++) {
            assertEvent(ids.get(i), "message", cases[i][1], got.get(i));
        }
        String body = client.body();
        assertTrue(body.contains("\n\nid: " + ids.get(0) + "\ndata: line1\ndata: line2\ndata: line3\ndata: line4\n\n"),
                body);
        assertTrue(body.contains("\n\nid: " + ids.get(3) + "\ndata: \n\n"), body);
        assertTrue(body.contains("\n\nid: " + ids.get(9) + "\ndata: 2.50\n\n"), "no event: line for message; " + body);
        assertFalse(body.contains("\r"), "line endings on the wire are LF only");
        assertFalse(body.contains("event: message"), "message is the default type and never written");
    }

    /** CONTRACT §1: data other than a string arrives as its compact JSON text, non-ASCII as is. */
    @Test
    void charactersOutsideTheBmpInJsonDataArriveAsIs() {
        GatewayFixture gateway = start();
        SseTestClient client = open(gateway, "topic=emoji");
        String raw = publish(gateway, "emoji", null, "{\"k\":\"\ud83d\ude00\",\"\ud83d\udc4d\":[\"\u00e9\"]}");
        assertEvent(raw, "message", "{\"k\":\"\ud83d\ude00\",\"\ud83d\udc4d\":[\"\u00e9\"]}", client.awaitEvent(WAIT));
    }

    @Test
    void typedEventCarriesItsEventLineAndExplicitMessageTypeIsOmitted() {
        GatewayFixture gateway = start();
        SseTestClient client = open(gateway, "topic=t");
        String typed = publish(gateway, "t", "deployment:completed", "{\"ok\":true}");
        String explicitMessage = publish(gateway, "t", "message", "\"m\"");
        List<SseEvent> got = client.awaitEvents(2, WAIT);
        assertEvent(typed, "deployment:completed", "{\"ok\":true}", got.get(0));
        assertEvent(explicitMessage, "message", "m", got.get(1));
        assertTrue(client.body().endsWith("\n\nid: " + typed + "\nevent: deployment:completed\ndata: {\"ok\":true}\n\n"
                + "id: " + explicitMessage + "\ndata: m\n\n"), client.body());
    }

    // ---- limit replay ----------------------------------------------------------------------------------------

    @Test
    void limitReplaysTheNewestMatchingEventsAcrossTopicsThenLive() {
        GatewayFixture gateway = start();
        String a1 = publish(gateway, "a", null, "\"a1\"");
        String b1 = publish(gateway, "b", "hot", "\"b1\"");
        publish(gateway, "c", null, "\"c1\"");
        String a2 = publish(gateway, "a", "hot", "\"a2\"");
        String bc = broadcast(gateway, null, "\"bc\"");
        String b2 = publish(gateway, "b", null, "\"b2\"");
        publish(gateway, "c", null, "\"c2\"");
        String a3 = publish(gateway, "a", null, "\"a3\"");
        String b3 = publish(gateway, "b", null, "\"b3\"");

        SseTestClient four = open(gateway, "topic=a&topic=b&limit=4");
        SseTestClient all = open(gateway, "topic=a&topic=b&limit=100");
        SseTestClient zero = open(gateway, "topic=a&topic=b&limit=0");
        SseTestClient none = open(gateway, "topic=a&topic=b");
        SseTestClient hot = open(gateway, "topic=a&topic=b&limit=2&types=hot,live");
        SseTestClient one = open(gateway, "topic=a&topic=b&limit=1");

        String live = publish(gateway, "a", "live", "\"live\"");

        List<SseEvent> got = four.awaitEvents(5, WAIT);
        assertEvent(bc, "message", "bc", got.get(0));
        assertEvent(b2, "message", "b2", got.get(1));
        assertEvent(a3, "message", "a3", got.get(2));
        assertEvent(b3, "message", "b3", got.get(3));
        assertEvent(live, "live", "live", got.get(4));

        got = all.awaitEvents(8, WAIT);
        assertEquals(List.of(a1, b1, a2, bc, b2, a3, b3, live), got.stream().map(SseEvent::id).toList());
        assertEquals(List.of("a1", "b1", "a2", "bc", "b2", "a3", "b3", "live"),
                got.stream().map(SseEvent::data).toList());

        assertEvent(live, "live", "live", zero.awaitEvent(WAIT));
        assertEvent(live, "live", "live", none.awaitEvent(WAIT));

        got = hot.awaitEvents(3, WAIT);
        assertEvent(b1, "hot", "b1", got.get(0));
        assertEvent(a2, "hot", "a2", got.get(1));
        assertEvent(live, "live", "live", got.get(2));

        got = one.awaitEvents(2, WAIT);
        assertEvent(b3, "message", "b3", got.get(0));
        assertEvent(live, "live", "live", got.get(1));
    }

    /**
     * The newest {@code limit} events may reach further back on one topic (here the implicit broadcast) than the
     * retained history of another topic of the stream goes: those older events are simply not among the newest.
     */
    @Test
    void limitReplayAcrossTopicsWhereAnotherTopicEvictedOlderEvents() {
        GatewayFixture gateway = start("--history-size=3");
        String bc = broadcast(gateway, null, "\"old broadcast\"");
        List<String> a = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            a.add(publish(gateway, "a", null, "\"a" + i + "\""));
        }
        SseTestClient client = open(gateway, "topic=a&limit=4");
        String live = publish(gateway, "a", null, "\"live\"");

        List<SseEvent> expected = List.of(new SseEvent(bc, bc, "message", "old broadcast"),
                new SseEvent(a.get(2), a.get(2), "message", "a3"), new SseEvent(a.get(3), a.get(3), "message", "a4"),
                new SseEvent(a.get(4), a.get(4), "message", "a5"), new SseEvent(live, live, "message", "live"));
        assertEquals(expected, client.awaitEvents(5, WAIT), client.toString());
    }

    // ---- Last-Event-ID replay --------------------------------------------------------------------------------

    @Test
    void lastEventIdReplaysExactlyTheRetainedEventsAfterItThenLive() {
        GatewayFixture gateway = start();
        String t1 = publish(gateway, "t", null, "\"t1\"");
        String u1 = publish(gateway, "u", null, "\"u1\"");
        String t2 = publish(gateway, "t", "k", "\"t2\"");
        String t3 = publish(gateway, "t", null, "\"t3\"");
        publish(gateway, "u", null, "\"u2\"");
        String t4 = publish(gateway, "t", "k", "\"t4\"");
        String t5 = publish(gateway, "t", null, "\"t5\"");
        String u3 = publish(gateway, "u", null, "\"u3\"");

        Map<String, SseTestClient> streams = new LinkedHashMap<>();
        streams.put("header t2", open(gateway, "topic=t", lastEventId(t2)));
        streams.put("query t2", open(gateway, "topic=t&lastEventId=" + t2));
        streams.put("header t2 with limit=1", open(gateway, "topic=t&limit=1", lastEventId(t2)));
        streams.put("header t2, query t1", open(gateway, "topic=t&lastEventId=" + t1, lastEventId(t2)));
        streams.put("header u1 of another topic", open(gateway, "topic=t", lastEventId(u1)));
        streams.put("header t3 reading t and u", open(gateway, "topic=t&topic=u", lastEventId(t3)));
        streams.put("header t2 typed k", open(gateway, "topic=t&types=k", lastEventId(t2)));
        streams.put("header newest of t", open(gateway, "topic=t", lastEventId(t5)));
        streams.put("header newest of all", open(gateway, "topic=t", lastEventId(u3)));

        String t6 = publish(gateway, "t", "k", "\"t6\"");

        List<SseEvent> expectedAfterT2 = List.of(new SseEvent(t3, t3, "message", "t3"),
                new SseEvent(t4, t4, "k", "t4"), new SseEvent(t5, t5, "message", "t5"), new SseEvent(t6, t6, "k", "t6"));
        for (String name : List.of("header t2", "query t2", "header t2 with limit=1", "header t2, query t1")) {
            assertEquals(expectedAfterT2, streams.get(name).awaitEvents(4, WAIT), name);
        }
        List<SseEvent> afterU1 = streams.get("header u1 of another topic").awaitEvents(5, WAIT);
        assertEquals(new SseEvent(t2, t2, "k", "t2"), afterU1.get(0));
        assertEquals(expectedAfterT2, afterU1.subList(1, 5));

        List<SseEvent> both = streams.get("header t3 reading t and u").awaitEvents(5, WAIT);
        assertEquals(List.of("u2", "t4", "t5", "u3", "t6"), both.stream().map(SseEvent::data).toList());

        assertEquals(List.of(new SseEvent(t4, t4, "k", "t4"), new SseEvent(t6, t6, "k", "t6")),
                streams.get("header t2 typed k").awaitEvents(2, WAIT));
        assertEvent(t6, "k", "t6", streams.get("header newest of t").awaitEvent(WAIT));
        assertEvent(t6, "k", "t6", streams.get("header newest of all").awaitEvent(WAIT));
        for (Map.Entry<String, SseTestClient> e : streams.entrySet()) {
            assertEquals(t6, e.getValue().lastEventId(), e.getKey());
            assertEquals(List.of(), e.getValue().events().stream().filter(ev -> ev.type().equals("reset")).toList(),
                    e.getKey());
        }
    }

    @Test
    void headerWinsOverQuery() {
        GatewayFixture gateway = start();
        String t1 = publish(gateway, "t", null, "\"t1\"");
        String t2 = publish(gateway, "t", null, "\"t2\"");
        String t3 = publish(gateway, "t", null, "\"t3\"");
        SseTestClient garbageQuery = open(gateway, "topic=t&lastEventId=garbage", lastEventId(t2));
        SseTestClient garbageHeader = open(gateway, "topic=t&lastEventId=" + t1, lastEventId("garbage"));

        assertEvent(t3, "message", "t3", garbageQuery.awaitEvent(WAIT));
        SseEvent reset = garbageHeader.awaitEvent(WAIT);
        assertEquals(new SseEvent(null, "", "reset", resetData("garbage")), reset);
        String t4 = publish(gateway, "t", null, "\"t4\"");
        assertEvent(t4, "message", "t4", garbageQuery.awaitEvent(WAIT));
        assertEvent(t4, "message", "t4", garbageHeader.awaitEvent(WAIT));
    }

    // ---- reset -----------------------------------------------------------------------------------------------

    @Test
    void unusableLastEventIdGetsResetThenLiveEvents() {
        GatewayFixture gateway = start("--history-size=3");
        List<String> t = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            t.add(publish(gateway, "t", null, "\"t" + i + "\""));
        }
        String future = Long.toString(Long.parseLong(t.get(4)) + 1000);
        String garbage = "not-an-id \"quoted\" \\";

        Map<String, SseTestClient> resets = new LinkedHashMap<>();
        Map<String, String> sentIds = new LinkedHashMap<>();
        resets.put("garbage header", open(gateway, "topic=t", lastEventId(garbage)));
        sentIds.put("garbage header", garbage);
        resets.put("garbage query", open(gateway, "topic=t&lastEventId=nope"));
        sentIds.put("garbage query", "nope");
        resets.put("zero", open(gateway, "topic=t", lastEventId("0")));
        sentIds.put("zero", "0");
        resets.put("future id", open(gateway, "topic=t", lastEventId(future)));
        sentIds.put("future id", future);
        resets.put("evicted successors", open(gateway, "topic=t", lastEventId(t.get(0))));
        sentIds.put("evicted successors", t.get(0));
        resets.put("evicted, with limit", open(gateway, "topic=t&limit=5", lastEventId(t.get(0))));
        sentIds.put("evicted, with limit", t.get(0));
        SseTestClient boundary = open(gateway, "topic=t", lastEventId(t.get(1)));

        for (Map.Entry<String, SseTestClient> e : resets.entrySet()) {
            SseEvent reset = e.getValue().awaitEvent(WAIT);
            assertEquals(new SseEvent(null, "", "reset", resetData(sentIds.get(e.getKey()))), reset, e.getKey());
            assertTrue(e.getValue().body().endsWith("\n\nevent: reset\ndata: " + resetData(sentIds.get(e.getKey()))
                    + "\n\n"), e.getKey() + ": " + e.getValue().body());
        }
        List<SseEvent> replay = boundary.awaitEvents(3, WAIT);
        for (int i = 0; i < 3; i++) {
            assertEvent(t.get(i + 2), "message", "t" + (i + 3), replay.get(i));
        }

        String live = publish(gateway, "t", "after:reset", "\"live\"");
        for (Map.Entry<String, SseTestClient> e : resets.entrySet()) {
            assertEquals(new SseEvent(live, live, "after:reset", "live"), e.getValue().awaitEvent(WAIT), e.getKey());
        }
        assertEvent(live, "after:reset", "live", boundary.awaitEvent(WAIT));
    }

    // ---- heartbeats ------------------------------------------------------------------------------------------

    @Test
    void idleStreamGetsHeartbeatComments() {
        GatewayFixture gateway = start("--heartbeat-interval=300ms");
        long before = System.nanoTime();
        SseTestClient client = open(gateway, "topic=quiet");
        assertEquals(" heartbeat", client.awaitComment(WAIT));
        long firstAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);
        assertTrue(firstAfterMillis >= 290, "first heartbeat after " + firstAfterMillis + " ms, before the interval");
        assertEquals(" heartbeat", client.awaitComment(WAIT));
        assertTrue(client.body().contains("\n\n: heartbeat\n\n: heartbeat\n\n"), client.body());
        assertEquals(List.of(), client.events().subList(1, client.events().size()), "comments dispatch no event");
    }

    // ---- errors ----------------------------------------------------------------------------------------------

    static Stream<Arguments> badStreamRequests() {
        String mustBe = "' must be " + TOPIC_RULE;
        String typesMustBe = "' must be 1-64 characters from A-Z a-z 0-9 - _ . : and * (any run)";
        String limitRange = "' must be a whole number from 0 to 1000000";
        return Stream.of(
                Arguments.of("missing topic", STREAM_PATH, "topic: at least one is required, e.g. ?topic=orders"),
                Arguments.of("only other parameters", STREAM_PATH + "?limit=3&types=a",
                        "topic: at least one is required, e.g. ?topic=orders"),
                Arguments.of("empty topic", STREAM_PATH + "?topic=", "topic: '" + mustBe),
                Arguments.of("topic with a space", STREAM_PATH + "?topic=a%20b", "topic: 'a b" + mustBe),
                Arguments.of("topic of 201 characters", STREAM_PATH + "?topic=" + "x".repeat(201),
                        "topic: '" + "x".repeat(64) + "\u2026" + mustBe),
                Arguments.of("topic with an encoded LF", STREAM_PATH + "?topic=a%0Ab", "topic: 'a?b" + mustBe),
                Arguments.of("bad second topic", STREAM_PATH + "?topic=ok&topic=no%23pe", "topic: 'no#pe" + mustBe),
                Arguments.of("types glob with a slash", STREAM_PATH + "?topic=t&types=deploy/*", "types: 'deploy/*"
                        + typesMustBe),
                Arguments.of("types glob of 65 characters", STREAM_PATH + "?topic=t&types=ok," + "y".repeat(65),
                        "types: '" + "y".repeat(64) + "\u2026" + typesMustBe),
                Arguments.of("limit -1", STREAM_PATH + "?topic=t&limit=-1", "limit: '-1" + limitRange),
                Arguments.of("limit abc", STREAM_PATH + "?topic=t&limit=abc", "limit: 'abc" + limitRange),
                Arguments.of("limit 1000001", STREAM_PATH + "?topic=t&limit=1000001", "limit: '1000001" + limitRange),
                Arguments.of("three topics, at most two", STREAM_PATH + "?topic=a&topic=b&topic=c",
                        "topic: 3 given, at most 2 (maxTopicsPerConnection) per request"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badStreamRequests")
    void badStreamRequestIs400AndTheConnectionStaysUsable(String name, String pathAndQuery, String message) {
        GatewayFixture gateway = start("--max-topics-per-connection=2");
        assertErrorThenHealthy(gateway, "GET", pathAndQuery, Map.of("Accept", "text/event-stream"), null, 400,
                "invalid_request", message);
        assertEquals(0, gateway.server().metrics().openStreams(), "no stream was opened");
    }

    @Test
    void unknownPathIs404() {
        GatewayFixture gateway = start();
        assertErrorThenHealthy(gateway, "GET", "/v1/events/streams?topic=t", Map.of("Accept", "text/event-stream"), null,
                404, "not_found", "no endpoint at /v1/events/streams");
        assertErrorThenHealthy(gateway, "GET", STREAM_PATH + "/?topic=t", Map.of("Accept", "text/event-stream"), null,
                404, "not_found", "no endpoint at /v1/events/stream/");
    }

    @Test
    void postToTheStreamPathIs405WithAllowGet() {
        GatewayFixture gateway = start();
        RawResponse r = assertErrorThenHealthy(gateway, "POST", STREAM_PATH + "?topic=t",
                Map.of("Content-Type", "application/json"), "{\"topic\":\"t\",\"data\":1}", 405, "method_not_allowed",
                "POST is not allowed on /v1/events/stream; use GET");
        assertEquals(List.of("GET"), r.headerValues("Allow"));
    }
}
