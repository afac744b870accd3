package io.sluice.e2e;

import io.sluice.http.AccessLogHandler;
import io.sluice.testing.Await;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HeadlessChromium;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.RawResponse;
import io.sluice.testing.LogCapture;
import io.sluice.testing.PageServer;
import io.sluice.testing.TestTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Cookie;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.IntStream;

import static io.sluice.e2e.PublishTestSupport.accepted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JavaScript client end to end (issue 13, CONTRACT §14): {@code SluiceClient} in real headless Chromium, imported
 * from the gateway's {@code /v1/client.js} by a page on another origin ({@link PageServer}, listed in
 * {@code allowedOrigins}), against a real gateway on loopback. The page's harness ({@code client-harness.js}) records
 * what handlers, status listeners and token functions see; the gateway's access log shows what reached it. After
 * every test, no request line the gateway logged carries a token.
 */
class ClientEndToEndTest {
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    /** The gateway's {@code retry:}: short, so a reconnect after a healthy stream is quick. */
    private static final int RECONNECT_MILLIS = 200;
    private static final String STREAM_GET = "method=GET path=/v1/events/stream?";

    private LogCapture accessLog;
    private PageServer page;
    private GatewayFixture gateway;
    private HeadlessChromium chromium;
    /** Every token a test handed to the page; none may show up in a request line. */
    private final List<String> tokens = new ArrayList<>();
    private boolean publishWithKey;

    @BeforeEach
    void setUp() {
        accessLog = LogCapture.of(AccessLogHandler.LOGGER_NAME);
        page = PageServer.start();
    }

    @AfterEach
    void tearDown() {
        try {
            if (chromium != null) {
                chromium.close();
            }
        } finally {
            try {
                if (gateway != null) {
                    gateway.close();
                }
                noTokenInAnyRequestLine();
            } finally {
                page.close();
                accessLog.close();
            }
        }
    }

    /** (f) The gateway logs every request line with its path and query (tokens there would show, or be redacted). */
    private void noTokenInAnyRequestLine() {
        for (String line : accessLog.messages()) {
            assertFalse(line.contains("access_token") || line.contains("[redacted]"), () -> "a token in the URL: " + line);
            for (String token : tokens) {
                assertFalse(line.contains(token), () -> "a token in the log: " + line);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    @Test
    void eventArrivesWithItsDataParsed() {
        startGateway();
        openPage();
        start("a", Map.of("topics", List.of("orders")));
        awaitStatus("a", "open");
        String paid = publish("{\"topic\":\"orders\",\"type\":\"order:paid\",\"data\":{\"total\":42,\"items\":[\"a\",\"b\"]}}");
        String text = publish("{\"topic\":\"orders\",\"data\":\"disk 91% on db-2\"}");
        String count = publish("{\"topic\":\"orders\",\"type\":\"order:count\",\"data\":7}");

        List<Map<String, Object>> events = awaitEvents("a", 3);
        assertEquals(List.of(paid, text, count), field(events, "id"));
        assertEquals(List.of("order:paid", "message", "order:count"), field(events, "type"));
        assertEquals(List.of("{\"total\":42,\"items\":[\"a\",\"b\"]}", "\"disk 91% on db-2\"", "7"), field(events, "json"));
        assertEquals(List.of("object", "string", "number"), field(events, "dataType"));
        assertEquals(Collections.nCopies(3, null), field(events, "topic"), "a live event carries no topic");
    }

    @Test
    void restartedGatewayIsFollowedWithoutMissingAnEventPublishedAfterTheRestart() {
        startGateway();
        int port = gateway.port();
        openPage();
        start("r", Map.of("topics", List.of("jobs"), "patterns", List.of("*", "reset")));
        awaitStatus("r", "open");
        String before = publish("{\"topic\":\"jobs\",\"data\":{\"n\":0}}");
        awaitEvents("r", 1);

        gateway.close();
        Await.until(() -> statuses("r").stream().anyMatch(s -> "reconnecting".equals(s.get("status"))), DEADLINE,
                () -> "the client reconnecting once the gateway stopped, saw " + statuses("r"));
        gateway = GatewayFixture.start("--port=" + port, "--allowed-origins=" + page.origin(),
                "--reconnect-millis=" + RECONNECT_MILLIS);
        List<String> after = new ArrayList<>();
        for (int n = 1; n <= 3; n++) {
            after.add(publish("{\"topic\":\"jobs\",\"data\":{\"n\":" + n + "}}")); // most likely before it is back
        }
        Await.until(() -> statuses("r").stream().filter(s -> "open".equals(s.get("status"))).count() == 2, DEADLINE,
                () -> "the client open again on the new gateway, saw " + statuses("r"));
        for (int n = 4; n <= 5; n++) {
            after.add(publish("{\"topic\":\"jobs\",\"data\":{\"n\":" + n + "}}"));
        }

        awaitEvents("r", 1 + 1 + 5); // before, reset, after
        List<Map<String, Object>> events = events("r");
        assertEquals(before, events.get(0).get("id"));
        // the new process does not know the old id, so the client was told to refetch (CONTRACT §2)
        assertEquals("reset", events.get(1).get("type"));
        assertEquals("{\"reason\":\"history-unavailable\",\"lastEventId\":\"" + before + "\"}", events.get(1).get("json"));
        List<Map<String, Object>> data = events.subList(2, events.size());
        assertEquals(after, field(data, "id"), "every event published after the restart, once, in order");
        assertEquals(IntStream.rangeClosed(1, 5).mapToObj(n -> "{\"n\":" + n + "}").toList(), field(data, "json"));
    }

    @Test
    void resetHandsTheSnapshotToHandlersBeforeLiveEvents() {
        startGateway("--jwt-secret=" + TestTokens.SECRET, "--publish-keys=" + TestTokens.PUBLISH_KEY,
                "--jwt-clock-skew=0s", "--history-size=3");
        openPage();
        // the first token ends the stream within three seconds (the gateway closes it at exp); the second lasts
        String shortLived = mint("alice", Instant.now().plusSeconds(3));
        String fresh = mint("alice", Instant.now().plusSeconds(3600));
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("topics", List.of("feed"));
        options.put("patterns", List.of("*", "reset"));
        options.put("tokens", List.of(shortLived, fresh));
        options.put("holdTokenCall", 2);
        start("c", options);
        awaitStatus("c", "open");
        String first = publish("{\"topic\":\"feed\",\"data\":{\"n\":1}}");
        awaitEvents("c", 1);

        // the stream ends at the token's expiry; the client asks for a fresh token, which waits while the client is
        // away long enough for history (3 events) to lose the events right after the one it will resume from
        Await.until(() -> Boolean.TRUE.equals(chromium.script("return harness.holding('c')")), DEADLINE,
                () -> "the client asking for a token after the gateway ended the stream, saw " + record("c"));
        List<String> missed = new ArrayList<>();
        for (int n = 2; n <= 6; n++) {
            missed.add(publish("{\"topic\":\"feed\",\"data\":{\"n\":" + n + "}}"));
        }
        chromium.script("harness.release('c')");
        awaitEvents("c", 1 + 1 + 3);
        String live = publish("{\"topic\":\"feed\",\"data\":{\"n\":7}}");
        List<Map<String, Object>> events = awaitEvents("c", 1 + 1 + 3 + 1);

        assertEquals(List.of(first, "reset"), List.of(events.get(0).get("id"), events.get(1).get("type")));
        assertEquals("{\"reason\":\"history-unavailable\",\"lastEventId\":\"" + first + "\"}", events.get(1).get("json"));
        List<Map<String, Object>> snapshot = events.subList(2, 5);
        assertEquals(missed.subList(2, 5), field(snapshot, "id"), "the snapshot: what history still held");
        assertEquals(List.of("feed", "feed", "feed"), field(snapshot, "topic"), "snapshot events carry their topic");
        assertEquals(List.of("{\"n\":4}", "{\"n\":5}", "{\"n\":6}"), field(snapshot, "json"));
        assertEquals(live, events.get(5).get("id"));
        assertNull(events.get(5).get("topic"), "then the live event");
        assertEquals(List.of(false, false), field(list(record("c").get("tokenCalls")), "rejected"),
                "a fresh token before the reconnect; none was refused");
        // what reached the gateway: both streams and the snapshot, as alice, by the Authorization header
        awaitAccessLines(l -> l.contains("path=/v1/events?topic=feed ") && l.contains("status=200 ")
                && l.contains("user=alice "), 1);
        awaitAccessLines(l -> l.startsWith("time=") && l.contains(STREAM_GET + "topic=feed")
                && l.contains("user=alice ") && l.contains("close=token-expired"), 1);
        for (Map<String, Object> request : list(record("c").get("requests"))) {
            assertFalse(String.valueOf(request.get("url")).contains(shortLived)
                    || String.valueOf(request.get("url")).contains(fresh), () -> "a token in " + request);
        }
    }

    @Test
    void expiredTokenEndsUnauthorizedWithoutARetryLoop() {
        startGateway("--jwt-secret=" + TestTokens.SECRET, "--jwt-clock-skew=0s");
        String expired = mint("alice", Instant.now().minusSeconds(60));
        openPage();
        start("string", Map.of("topics", List.of("once"), "token", expired));
        start("function", Map.of("topics", List.of("twice"), "tokens", List.of(expired)));
        awaitStatus("string", "unauthorized");
        awaitStatus("function", "unauthorized");

        Map<String, Object> last = lastStatus("string");
        assertEquals(401L, detail(last).get("httpStatus"));
        assertEquals("unauthorized", detail(last).get("code"));
        assertEquals(List.of("connecting", "unauthorized"), field(statuses("string"), "status"));
        assertEquals(List.of("connecting", "reconnecting", "unauthorized"), field(statuses("function"), "status"),
                "one more try with a fresh token, then stop");
        assertEquals("unauthorized", detail(statuses("function").get(1)).get("cause"));
        assertEquals(List.of(false, true), field(list(record("function").get("tokenCalls")), "rejected"));

        Predicate<String> once = l -> l.contains(STREAM_GET + "topic=once ") && l.contains("status=401 ");
        Predicate<String> twice = l -> l.contains(STREAM_GET + "topic=twice ") && l.contains("status=401 ");
        awaitAccessLines(once, 1);
        awaitAccessLines(twice, 2);
        // no retry loop: nothing more reaches the gateway, for longer than the first backoff could wait (1 s)
        Await.holds(() -> count(once) == 1 && count(twice) == 2 && count(l -> l.contains(STREAM_GET)) == 3,
                Duration.ofMillis(2500), () -> "exactly three stream requests, saw " + accessLog.messages());
        assertEquals("unauthorized", record("function").get("status"));
    }

    /**
     * CONTRACT §11 and §14: a backend logs a user out everywhere; the client that gets {@code disconnect} with
     * {@code reconnect: false} stops with {@code closed} and never comes back, while one told {@code reconnect: true}
     * reconnects after the server's {@code retry:}.
     */
    @Test
    void disconnectWithoutReconnectClosesTheClientAndWithReconnectItComesBack() {
        startGateway("--jwt-secret=" + TestTokens.SECRET, "--publish-keys=" + TestTokens.PUBLISH_KEY);
        openPage();
        // each reads only what every user may: broadcast (and, implicitly, user/<sub>)
        start("alice", Map.of("topics", List.of("broadcast"), "token", mint("alice", Instant.now().plusSeconds(600))));
        start("bob", Map.of("topics", List.of("broadcast"), "token", mint("bob", Instant.now().plusSeconds(600))));
        awaitStatus("alice", "open");
        awaitStatus("bob", "open");

        disconnect("alice", "{\"reason\":\"logged out\",\"reconnect\":false}");
        awaitStatus("alice", "closed");
        assertEquals("disconnected", detail(lastStatus("alice")).get("reason"));
        Predicate<String> aliceStreams = l -> l.contains(STREAM_GET) && l.contains(" user=alice ");
        Await.holds(() -> count(aliceStreams) == 1, Duration.ofMillis(2 * RECONNECT_MILLIS + 500),
                () -> "alice's client must not reconnect; saw " + accessLog.messages());

        disconnect("bob", "{\"reason\":\"moved\",\"reconnect\":true}");
        Await.until(() -> field(statuses("bob"), "status").equals(List.of("connecting", "open", "reconnecting", "open")),
                DEADLINE, () -> "bob reconnects after the retry: and is open again: " + statuses("bob"));
        assertEquals(1L, count(l -> l.contains(STREAM_GET) && l.contains(" user=bob ") && l.contains("close=disconnected")));
    }

    /** {@code POST /v1/users/{user}/disconnect} with the publish key; asserts it ended at least one stream. */
    private void disconnect(String user, String body) {
        RawResponse r = HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/users/" + user + "/disconnect",
                "application/json", body, Map.of("Authorization", "Bearer " + TestTokens.PUBLISH_KEY));
        assertEquals(200, r.status(), r::toString);
        assertEquals("{\"disconnected\":1}", r.body());
    }

    @Test
    void backoffGrowsAndIsJitteredWhileTheGatewayRefusesConnections() {
        startGateway();
        String base = "http://" + GatewayFixture.HOST + ":" + gateway.port();
        openPage();
        gateway.close(); // nothing listens any more: every attempt is refused at once
        gateway = null;
        int clients = 10;
        int attempts = 4;
        for (int i = 0; i < clients; i++) {
            start("b" + i, Map.of("topics", List.of("b")));
        }
        // connecting, then one reconnecting per failed attempt (the fourth announced after at most 1 + 2 + 4 s)
        Await.until(() -> IntStream.range(0, clients).allMatch(i -> statuses("b" + i).size() > attempts), DEADLINE,
                () -> attempts + " failed attempts of each client against " + base);

        long[][] delays = new long[clients][attempts];
        for (int i = 0; i < clients; i++) {
            List<Map<String, Object>> statuses = statuses("b" + i);
            assertEquals("connecting", statuses.get(0).get("status"));
            for (int n = 1; n <= attempts; n++) {
                Map<String, Object> status = statuses.get(n);
                assertEquals("reconnecting", status.get("status"), status::toString);
                assertEquals("network", detail(status).get("cause"), status::toString);
                long delay = ((Number) detail(status).get("delay")).longValue();
                long ceiling = 1000L << (n - 1); // full jitter: uniform in [0, min(30 s, 1 s × 2^(n-1)))
                assertTrue(delay >= 0 && delay < ceiling, () -> "attempt " + status + " waits below " + ceiling);
                if (n + 1 < statuses.size()) {
                    // the next failure comes only after the wait: the client really waited what it announced
                    double waited = ((Number) statuses.get(n + 1).get("at")).doubleValue()
                            - ((Number) status.get("at")).doubleValue();
                    assertTrue(waited >= delay - 1, () -> "the next attempt failed " + waited + " ms after a wait of "
                            + delay + " ms was announced");
                }
                delays[i][n - 1] = delay;
            }
        }
        long[] firstWaits = IntStream.range(0, clients).mapToLong(i -> delays[i][0]).toArray();
        long[] fourthWaits = IntStream.range(0, clients).mapToLong(i -> delays[i][attempts - 1]).toArray();
        // grows: a fourth wait above 2 s is impossible without growth (chance of none among ten: 0.25^10)
        assertTrue(max(fourthWaits) > 2000 && mean(fourthWaits) > mean(firstWaits),
                () -> "first waits " + Arrays.toString(firstWaits) + ", fourth waits " + Arrays.toString(fourthWaits));
        // jittered: ten clients failing together do not come back together (chance of a range under 200 ms: 1e-5)
        assertTrue(max(firstWaits) - min(firstWaits) > 200, () -> "first waits " + Arrays.toString(firstWaits));
    }

    @Test
    void cookieModeSendsTheSluiceTokenCookieAndFiltersTypes() {
        startGateway("--jwt-secret=" + TestTokens.SECRET, "--publish-keys=" + TestTokens.PUBLISH_KEY);
        String token = mint("alice", Instant.now().plusSeconds(3600));
        chromium = HeadlessChromium.start();
        // the gateway's cookie, as an auth server on the gateway's domain would set it
        chromium.driver().get("http://" + GatewayFixture.HOST + ":" + gateway.port() + "/healthz");
        chromium.driver().manage().addCookie(new Cookie("sluice_token", token, "/"));
        openPage();
        start("k", Map.of("topics", List.of("orders/42"), "types", List.of("order:*"), "patterns",
                List.of("order:*", "*")));
        awaitStatus("k", "open");
        String paid = publish("{\"topic\":\"orders/42\",\"type\":\"order:paid\",\"data\":{\"total\":42}}");
        publish("{\"topic\":\"orders/42\",\"type\":\"note:added\",\"data\":\"not for this stream\"}");
        String shipped = publish("{\"topic\":\"orders/42\",\"type\":\"order:shipped\",\"data\":{\"carrier\":\"x\"}}");
        List<Map<String, Object>> events = awaitEvents("k", 4);
        assertEquals(List.of(paid, paid, shipped, shipped), field(events, "id"), "each to both handlers, no note");
        assertEquals(List.of("order:*", "*", "order:*", "*"), field(events, "pattern"));

        Map<String, Object> request = list(record("k").get("requests")).get(0);
        assertEquals("include", request.get("credentials"));
        assertFalse(((Map<?, ?>) request.get("headers")).containsKey("Authorization"), "no token: the cookie");
        chromium.script("harness.close('k')");
        awaitAccessLines(l -> l.contains(STREAM_GET + "topic=orders%2F42&types=order%3A* ") && l.contains("status=200 ")
                && l.contains("user=alice ") && l.contains("close=client-closed"), 1);
    }

    // --- the gateway ----------------------------------------------------------------------------------------------

    /** A gateway that allows the page's origin and asks for quick reconnects; any other flags added. */
    private void startGateway(String... flags) {
        List<String> all = new ArrayList<>(List.of("--allowed-origins=" + page.origin(),
                "--reconnect-millis=" + RECONNECT_MILLIS));
        all.addAll(List.of(flags));
        publishWithKey = all.stream().anyMatch(f -> f.startsWith("--publish-keys="));
        gateway = GatewayFixture.start(all.toArray(new String[0]));
    }

    /** Publishes one event (with the publish key when the gateway has one) and returns its id. */
    private String publish(String json) {
        Map<String, String> headers = publishWithKey ? Map.of("Authorization", "Bearer " + TestTokens.PUBLISH_KEY)
                : Map.of();
        return String.valueOf(accepted(HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/publish",
                "application/json", json, headers)).ids().get(0));
    }

    private String mint(String user, Instant exp) {
        String token = TestTokens.hs256(user, List.of("feed", "once", "twice", "orders/*"), null, false, exp);
        tokens.add(token);
        return token;
    }

    private long count(Predicate<String> line) {
        return accessLog.messages().stream().filter(line).count();
    }

    private void awaitAccessLines(Predicate<String> line, int expected) {
        Await.until(() -> count(line) == expected, DEADLINE, () -> expected + " matching access log lines among "
                + accessLog.messages());
    }

    // --- the page -------------------------------------------------------------------------------------------------

    /** Loads the page on its own origin; it imports the client from the gateway's /v1/client.js. */
    private void openPage() {
        if (chromium == null) {
            chromium = HeadlessChromium.start();
        }
        chromium.driver().get(page.pageUrl("http://" + GatewayFixture.HOST + ":" + gateway.port()));
        Await.until(() -> Boolean.TRUE.equals(chromium.script("return typeof window.harness === 'object'")), DEADLINE,
                "the page's module loaded: the client imported cross-origin from the gateway");
    }

    private void start(String name, Map<String, Object> options) {
        chromium.script("harness.start(arguments[0], arguments[1])", name, options);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> record(String name) {
        return (Map<String, Object>) chromium.script("return harness.record(arguments[0])", name);
    }

    private List<Map<String, Object>> events(String name) {
        return list(record(name).get("events"));
    }

    private List<Map<String, Object>> statuses(String name) {
        return list(record(name).get("statuses"));
    }

    private Map<String, Object> lastStatus(String name) {
        List<Map<String, Object>> all = statuses(name);
        return all.get(all.size() - 1);
    }

    private void awaitStatus(String name, String status) {
        Await.until(() -> status.equals(record(name).get("status")), DEADLINE,
                () -> "client " + name + " " + status + ", saw " + statuses(name));
    }

    /** Waits until client {@code name}'s handlers got exactly {@code n} events; returns them. */
    private List<Map<String, Object>> awaitEvents(String name, int n) {
        Await.until(() -> events(name).size() >= n, DEADLINE, () -> n + " events for " + name + ", saw " + record(name));
        List<Map<String, Object>> events = events(name);
        assertEquals(n, events.size(), () -> "exactly " + n + " events: " + events);
        return events;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object value) {
        return (List<Map<String, Object>>) value;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> detail(Map<String, Object> status) {
        return (Map<String, Object>) status.get("detail");
    }

    private static List<Object> field(List<Map<String, Object>> records, String name) {
        return records.stream().map(r -> r.get(name)).toList();
    }

    private static long max(long[] values) {
        return Arrays.stream(values).max().orElseThrow();
    }

    private static long min(long[] values) {
        return Arrays.stream(values).min().orElseThrow();
    }

    private static double mean(long[] values) {
        return Arrays.stream(values).average().orElseThrow();
    }
}
