package io.sluice.e2e;

import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.RawResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.sluice.e2e.StreamTestSupport.SNAPSHOT_PATH;
import static io.sluice.e2e.StreamTestSupport.TOPIC_RULE;
import static io.sluice.e2e.StreamTestSupport.assertErrorThenHealthy;
import static io.sluice.e2e.StreamTestSupport.broadcast;
import static io.sluice.e2e.StreamTestSupport.eventJson;
import static io.sluice.e2e.StreamTestSupport.publish;
import static io.sluice.e2e.StreamTestSupport.publishTo;
import static io.sluice.e2e.StreamTestSupport.quote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /v1/events} (CONTRACT §3 and §6) against a real gateway over real sockets. Bodies are compared as
 * exact text; only each event's {@code time} is replaced by a placeholder after it is checked on its own
 * (RFC 3339 with milliseconds in UTC, taken while the test ran).
 */
class SnapshotEndpointTest {
    private static final Pattern TIME = Pattern.compile("\"time\":\"([^\"]*)\"");
    private static final Pattern RFC3339_MILLIS = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z");
    private static final String TIME_PLACEHOLDER = "\"time\":\"<time>\"";

    private final List<AutoCloseable> resources = new ArrayList<>();
    private Instant testStart;

    @AfterEach
    void closeEverything() {
        StreamTestSupport.closeAll(resources);
    }

    private GatewayFixture start(String... flags) {
        testStart = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        GatewayFixture gateway = GatewayFixture.start(flags);
        resources.add(gateway);
        return gateway;
    }

    /** One expected event of a snapshot body, its time left as the placeholder. */
    private record Expected(String id, String topic, String type, String dataJson) {
        String json() {
            return "{\"id\":\"" + id + "\",\"topic\":" + quote(topic) + ",\"type\":" + quote(type) + ",\"data\":"
                    + dataJson + "," + TIME_PLACEHOLDER + "}";
        }
    }

    private static String body(List<Expected> events, String lastEventId) {
        StringBuilder sb = new StringBuilder("{\"events\":[");
        for (int i = 0; i < events.size(); i++) {
            sb.append(i > 0 ? "," : "").append(events.get(i).json());
        }
        return sb.append("],\"lastEventId\":").append(lastEventId == null ? "null" : quote(lastEventId)).append('}')
                .toString();
    }

    /** GETs a snapshot, asserts 200 JSON and valid times (returned in order), and the body with times masked. */
    private String snapshot(GatewayFixture gateway, String query, List<Instant> times) {
        RawResponse r = HttpTestClient.get(GatewayFixture.HOST, gateway.port(), SNAPSHOT_PATH + "?" + query);
        assertEquals(200, r.status(), () -> query + ": " + r.body());
        assertEquals("application/json", r.header("Content-Type"), query);
        Instant now = Instant.now();
        Matcher m = TIME.matcher(r.body());
        StringBuilder masked = new StringBuilder();
        while (m.find()) {
            String time = m.group(1);
            assertTrue(RFC3339_MILLIS.matcher(time).matches(), "time " + time + " is not RFC 3339 UTC with milliseconds");
            Instant t = Instant.parse(time);
            assertFalse(t.isBefore(testStart.minusSeconds(2)) || t.isAfter(now.plusSeconds(2)),
                    "time " + time + " is not between " + testStart + " and " + now);
            times.add(t);
            m.appendReplacement(masked, Matcher.quoteReplacement(TIME_PLACEHOLDER));
        }
        m.appendTail(masked);
        return masked.toString();
    }

    private String snapshot(GatewayFixture gateway, String query) {
        return snapshot(gateway, query, new ArrayList<>());
    }

    private static List<Expected> numbered(List<String> ids, String topic, int from, int to) {
        List<Expected> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(new Expected(ids.get(i), topic, "message", Integer.toString(i)));
        }
        return out;
    }

    private static String batchOf(String topic, int count) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < count; i++) {
            sb.append(i > 0 ? "," : "").append(eventJson(topic, null, Integer.toString(i)));
        }
        return sb.append(']').toString();
    }

    @Test
    void defaultLimitIsTheNewestTwentyOldestFirst() {
        GatewayFixture gateway = start();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            ids.add(publish(gateway, "t", null, Integer.toString(i)));
        }
        List<Instant> times = new ArrayList<>();
        assertEquals(body(numbered(ids, "t", 5, 25), ids.get(24)), snapshot(gateway, "topic=t", times));
        for (int i = 1; i < times.size(); i++) {
            assertFalse(times.get(i).isBefore(times.get(i - 1)), "times follow publish order: " + times);
        }
    }

    @Test
    void limitChoosesHowManyOfTheNewest() {
        GatewayFixture gateway = start();
        List<String> ids = publishTo(gateway, "/v1/publish", batchOf("t", 25));
        String last = ids.get(24);
        assertEquals(body(numbered(ids, "t", 22, 25), last), snapshot(gateway, "topic=t&limit=3"));
        assertEquals(body(numbered(ids, "t", 24, 25), last), snapshot(gateway, "topic=t&limit=1"));
        assertEquals(body(List.of(), last), snapshot(gateway, "topic=t&limit=0"));
        assertEquals(body(numbered(ids, "t", 0, 25), last), snapshot(gateway, "topic=t&limit=1000"));
        assertEquals(body(numbered(ids, "t", 0, 25), last), snapshot(gateway, "topic=t&limit=25"));
    }

    @Test
    void newestAcrossSeveralTopicsIsMergedInIdOrder() {
        GatewayFixture gateway = start();
        String a1 = publish(gateway, "a", null, "\"a1\"");
        String b1 = publish(gateway, "b", null, "\"b1\"");
        String a2 = publish(gateway, "a", null, "\"a2\"");
        String a3 = publish(gateway, "a", null, "\"a3\"");
        String b2 = publish(gateway, "b", null, "\"b2\"");
        String c1 = publish(gateway, "c", null, "\"c1\"");
        assertEquals(body(List.of(new Expected(a2, "a", "message", "\"a2\""), new Expected(a3, "a", "message", "\"a3\""),
                new Expected(b2, "b", "message", "\"b2\"")), c1), snapshot(gateway, "topic=a&topic=b&limit=3"));
        assertEquals(body(List.of(new Expected(a1, "a", "message", "\"a1\""), new Expected(b1, "b", "message", "\"b1\""),
                new Expected(a2, "a", "message", "\"a2\""), new Expected(a3, "a", "message", "\"a3\""),
                new Expected(b2, "b", "message", "\"b2\"")), c1), snapshot(gateway, "topic=b&topic=a&topic=b"));
    }

    @Test
    void afterPagesForwardThroughEveryEventExactlyOnceInOrder() {
        GatewayFixture gateway = start();
        String marker = publish(gateway, "marker", null, "\"start here\"");
        List<Expected> all = new ArrayList<>();
        List<Expected> keepOnly = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            String topic = i % 3 == 0 ? "b" : "a";
            String type = i % 2 == 0 ? "keep" : "skip";
            String id = publish(gateway, topic, type, "{\"n\":" + i + "}");
            Expected e = new Expected(id, topic, type, "{\"n\":" + i + "}");
            all.add(e);
            if (type.equals("keep")) {
                keepOnly.add(e);
            }
            publish(gateway, "noise", type, "\"noise " + i + "\"");
        }
        String newest = publish(gateway, "noise", null, "\"newest\"");

        assertEquals(all, pageThrough(gateway, "topic=a&topic=b&limit=4", marker, 4, newest));
        assertEquals(keepOnly, pageThrough(gateway, "topic=a&topic=b&types=keep&limit=2", marker, 2, newest));
        assertEquals(all.subList(4, 11), pageThrough(gateway, "topic=a&topic=b", all.get(3).id(), 20, newest));

        assertEquals(body(all.subList(0, 3), newest), snapshot(gateway, "topic=a&topic=b&limit=3&after=" + marker),
                "after: the first limit events after the id, not the newest");
        assertEquals(body(List.of(), newest), snapshot(gateway, "topic=a&topic=b&after=" + newest));
    }

    /** Pages forward from {@code after} until an empty page; every page but the last empty one is full or final. */
    private List<Expected> pageThrough(GatewayFixture gateway, String query, String after, int limit, String newest) {
        List<Expected> seen = new ArrayList<>();
        String cursor = after;
        for (int page = 0; page < 50; page++) {
            String masked = snapshot(gateway, query + "&after=" + cursor);
            List<Expected> events = parseMasked(masked, newest);
            assertTrue(events.size() <= limit, "page larger than limit: " + masked);
            if (events.isEmpty()) {
                return seen;
            }
            seen.addAll(events);
            cursor = events.get(events.size() - 1).id();
        }
        throw new AssertionError("paging did not end; so far " + seen);
    }

    private static final Pattern MASKED_EVENT = Pattern.compile("\\{\"id\":\"([0-9]+)\",\"topic\":\"([^\"]+)\","
            + "\"type\":\"([^\"]+)\",\"data\":(\\{\"n\":[0-9]+}),\"time\":\"<time>\"}");

    /** Parses a masked page whose events all carry {@code {"n":…}} data, checking the envelope exactly. */
    private static List<Expected> parseMasked(String masked, String newest) {
        String prefix = "{\"events\":[";
        String suffix = "],\"lastEventId\":\"" + newest + "\"}";
        assertTrue(masked.startsWith(prefix) && masked.endsWith(suffix), masked);
        String list = masked.substring(prefix.length(), masked.length() - suffix.length());
        List<Expected> out = new ArrayList<>();
        Matcher m = MASKED_EVENT.matcher(list);
        int at = 0;
        while (at < list.length()) {
            assertTrue(m.find(at) && m.start() == at, "unexpected event text at " + at + ": " + list);
            out.add(new Expected(m.group(1), m.group(2), m.group(3), m.group(4)));
            at = m.end();
            if (at < list.length()) {
                assertEquals(',', list.charAt(at), list);
                at++;
            }
        }
        return out;
    }

    @Test
    void onlyTheNamedTopicsAndBroadcastOnlyWhenNamed() {
        GatewayFixture gateway = start();
        String a1 = publish(gateway, "a", null, "\"a1\"");
        String b1 = publish(gateway, "b", null, "\"b1\"");
        String bc = broadcast(gateway, "notice", "\"to all\"");
        String a2 = publish(gateway, "a", null, "\"a2\"");
        Expected ea1 = new Expected(a1, "a", "message", "\"a1\"");
        Expected ea2 = new Expected(a2, "a", "message", "\"a2\"");
        Expected ebc = new Expected(bc, "broadcast", "notice", "\"to all\"");

        assertEquals(body(List.of(ea1, ea2), a2), snapshot(gateway, "topic=a"));
        assertEquals(body(List.of(ea1, ebc, ea2), a2), snapshot(gateway, "topic=a&topic=broadcast"));
        assertEquals(body(List.of(ebc), a2), snapshot(gateway, "topic=broadcast"));
        assertEquals(body(List.of(new Expected(b1, "b", "message", "\"b1\"")), a2), snapshot(gateway, "topic=b"));
        assertEquals(body(List.of(), a2), snapshot(gateway, "topic=never-published"));
    }

    @Test
    void typesFilterSelectsEvents() {
        GatewayFixture gateway = start();
        String started = publish(gateway, "t", "deploy:started", "1");
        String built = publish(gateway, "t", "build:done", "2");
        String deployed = publish(gateway, "t", "deploy:done", "3");
        String plain = publish(gateway, "t", null, "4");
        String ab = publish(gateway, "t", "ab", "5");
        Expected eStarted = new Expected(started, "t", "deploy:started", "1");
        Expected eBuilt = new Expected(built, "t", "build:done", "2");
        Expected eDeployed = new Expected(deployed, "t", "deploy:done", "3");
        Expected ePlain = new Expected(plain, "t", "message", "4");
        Expected eAb = new Expected(ab, "t", "ab", "5");

        assertEquals(body(List.of(eStarted, eDeployed), ab), snapshot(gateway, "topic=t&types=deploy:*"));
        assertEquals(body(List.of(eBuilt, eDeployed), ab), snapshot(gateway, "topic=t&types=*:done"));
        assertEquals(body(List.of(ePlain), ab), snapshot(gateway, "topic=t&types=message"));
        assertEquals(body(List.of(eStarted, eBuilt, eAb), ab), snapshot(gateway, "topic=t&types=build:*,deploy:started,a*b"));
        assertEquals(body(List.of(eDeployed), ab), snapshot(gateway, "topic=t&types=deploy:*&limit=1"));
    }

    @Test
    void eachEventHasExactlyIdTopicTypeDataAndTime() {
        GatewayFixture gateway = start();
        String[][] cases = {
            // published data, its JSON value in the snapshot
            {"\"line1\\r\\nline2\\rline3\\nend\"", "\"line1\\r\\nline2\\rline3\\nend\""},
            {"\"caf\u00e9 \u4e2d\"", "\"caf\u00e9 \u4e2d\""},
            {"\"q\\\"b\\\\\"", "\"q\\\"b\\\\\""},
            // strings the frame gives back (read from it) and one it cannot (its literal kept)
            {"\"a\\nb\"", "\"a\\nb\""},
            {"\"\\n\\nx\\n\"", "\"\\n\\nx\\n\""},
            {"\"\"", "\"\""},
            {"\"tab\\t\\u00e9\"", "\"tab\\t\u00e9\""},
            {"\"bell\\u0007\"", "\"bell\\u0007\""},
            {"{ \"b\" : 1 , \"a\" : [ 2.50 , true , null , { } ] }", "{\"b\":1,\"a\":[2.50,true,null,{}]}"},
            {"2.50", "2.50"},
            {"null", "null"},
            {"[ ]", "[]"},
        };
        List<Expected> expected = new ArrayList<>();
        for (int i = 0; i < cases.length; i++) {
            String type = i % 2 == 0 ? null : "shape:" + i;
            String id = publish(gateway, "shape", type, cases[i][0]);
            expected.add(new Expected(id, "shape", type == null ? "message" : type, cases[i][1]));
        }
        List<Instant> times = new ArrayList<>();
        assertEquals(body(expected, expected.get(expected.size() - 1).id()), snapshot(gateway, "topic=shape", times));
        assertEquals(cases.length, times.size());
    }

    /** CONTRACT §1: data is kept as compact JSON text with non-ASCII as is, which the snapshot carries. */
    @Test
    void charactersOutsideTheBmpInDataAreKeptAsIs() {
        GatewayFixture gateway = start();
        String string = publish(gateway, "emoji", null, "\"thumbs \ud83d\udc4d\"");
        String object = publish(gateway, "emoji", null, "{\"\ud83d\ude00\":\"\ud83d\ude00\"}");
        assertEquals(body(List.of(new Expected(string, "emoji", "message", "\"thumbs \ud83d\udc4d\""),
                new Expected(object, "emoji", "message", "{\"\ud83d\ude00\":\"\ud83d\ude00\"}")), object),
                snapshot(gateway, "topic=emoji"));
    }

    @Test
    void lastEventIdIsNullBeforeAnyPublishThenTheNewestIdOfTheDeployment() {
        GatewayFixture gateway = start();
        assertEquals("{\"events\":[],\"lastEventId\":null}", snapshot(gateway, "topic=t"));
        String t1 = publish(gateway, "t", null, "\"t1\"");
        String other = publish(gateway, "other", null, "\"o1\"");
        assertEquals(body(List.of(new Expected(t1, "t", "message", "\"t1\"")), other), snapshot(gateway, "topic=t"));
        String bc = broadcast(gateway, null, "\"b\"");
        assertEquals(body(List.of(new Expected(t1, "t", "message", "\"t1\"")), bc), snapshot(gateway, "topic=t"));
        assertEquals(body(List.of(), bc), snapshot(gateway, "topic=t&limit=0"));
    }

    static Stream<Arguments> badSnapshotRequests() {
        String notAnId = "' is not an event id issued by this gateway";
        String limitRange = "' must be a whole number from 0 to 1000";
        return Stream.of(
                Arguments.of("after abc", SNAPSHOT_PATH + "?topic=t&after=abc", "after: 'abc" + notAnId),
                Arguments.of("after negative", SNAPSHOT_PATH + "?topic=t&after=-5", "after: '-5" + notAnId),
                Arguments.of("limit 1001", SNAPSHOT_PATH + "?topic=t&limit=1001", "limit: '1001" + limitRange),
                Arguments.of("limit -1", SNAPSHOT_PATH + "?topic=t&limit=-1", "limit: '-1" + limitRange),
                Arguments.of("missing topic", SNAPSHOT_PATH, "topic: at least one is required, e.g. ?topic=orders"),
                Arguments.of("missing topic with after", SNAPSHOT_PATH + "?after=1&limit=2",
                        "topic: at least one is required, e.g. ?topic=orders"),
                Arguments.of("bad topic", SNAPSHOT_PATH + "?topic=a%20b", "topic: 'a b' must be " + TOPIC_RULE),
                Arguments.of("bad types", SNAPSHOT_PATH + "?topic=t&types=a%2Cb/c",
                        "types: 'b/c' must be 1-64 characters from A-Z a-z 0-9 - _ . : and * (any run)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSnapshotRequests")
    void badSnapshotRequestIs400AndTheConnectionStaysUsable(String name, String pathAndQuery, String message) {
        GatewayFixture gateway = start();
        publish(gateway, "t", null, "1");
        assertErrorThenHealthy(gateway, "GET", pathAndQuery, Map.of(), null, 400, "invalid_request", message);
    }

    @Test
    void postIs405WithAllowGet() {
        GatewayFixture gateway = start();
        RawResponse r = assertErrorThenHealthy(gateway, "POST", SNAPSHOT_PATH + "?topic=t",
                Map.of("Content-Type", "application/json"), "{\"topic\":\"t\",\"data\":1}", 405, "method_not_allowed",
                "POST is not allowed on /v1/events; use GET");
        assertEquals(List.of("GET"), r.headerValues("Allow"));
        assertEquals("{\"events\":[],\"lastEventId\":null}", snapshot(gateway, "topic=t"), "the POST published nothing");
    }
}
