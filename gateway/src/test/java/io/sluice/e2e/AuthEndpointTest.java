package io.sluice.e2e;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import io.sluice.testing.TestTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.sluice.e2e.StreamTestSupport.SNAPSHOT_PATH;
import static io.sluice.e2e.StreamTestSupport.STREAM_PATH;
import static io.sluice.e2e.StreamTestSupport.WAIT;
import static io.sluice.e2e.StreamTestSupport.assertErrorThenHealthy;
import static io.sluice.e2e.StreamTestSupport.eventJson;
import static io.sluice.testing.TestTokens.PUBLISH_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CONTRACT §5 against a real gateway over real sockets: who may open which stream, read which snapshot and publish
 * where; 401 with its {@code WWW-Authenticate} challenge, 403 naming the topic; the three token sources; the
 * implicit user topic; a stream ending when its token expires; no token in any log line.
 */
class AuthEndpointTest {
    private static final String NOT_PUBLIC = " is not public: send a token (Authorization: Bearer, cookie sluice_token or"
            + " ?access_token=)";

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeEverything() {
        StreamTestSupport.closeAll(resources);
    }

    private GatewayFixture start(String... extraFlags) {
        List<String> flags = new ArrayList<>(List.of("--public-topics=news/*"));
        flags.addAll(List.of(extraFlags));
        return StreamTestSupport.startWithAuth(resources, flags.toArray(new String[0]));
    }

    private static String token(String sub, List<String> subscribe, List<String> publish, boolean admin) {
        return TestTokens.hs256(sub, subscribe, publish, admin, Instant.now().plusSeconds(600));
    }

    private static Map<String, String> bearer(String credential) {
        return Map.of("Authorization", "Bearer " + credential);
    }

    private SseTestClient open(GatewayFixture gateway, String query, Map<String, String> headers) {
        return StreamTestSupport.openStream(gateway, query, headers, resources);
    }

    private static RawResponse post(GatewayFixture gateway, String path, String body, Map<String, String> headers) {
        return HttpTestClient.post(GatewayFixture.HOST, gateway.port(), path, "application/json", body, headers);
    }

    /** Publishes {@code data} (a JSON string of the text given) to {@code topic} with the publish key. */
    private static void publish(GatewayFixture gateway, String topic, String data) {
        RawResponse r = post(gateway, "/v1/publish", eventJson(topic, null, StreamTestSupport.quote(data)), bearer(PUBLISH_KEY));
        assertEquals(200, r.status(), () -> "publish to " + topic + ": " + r);
    }

    private static void assertError(GatewayFixture gateway, String method, String path, Map<String, String> headers,
                                    String body, int status, String code, String message, String challenge) {
        RawResponse r = assertErrorThenHealthy(gateway, method, path, headers, body, status, code, message);
        assertEquals(challenge, r.header("WWW-Authenticate"), () -> method + " " + path + ": " + r);
    }

    // ---- streams -------------------------------------------------------------------------------------------

    @Test
    void anonymousStreamOfAPrivateTopicIs401WithABearerChallenge() {
        GatewayFixture gateway = start();

        assertError(gateway, "GET", STREAM_PATH + "?topic=orders", Map.of(), null, 401, "unauthorized",
                "topic 'orders'" + NOT_PUBLIC, "Bearer");
        assertError(gateway, "GET", STREAM_PATH + "?topic=news/a&topic=user/alice", Map.of(), null, 401, "unauthorized",
                "topic 'user/alice'" + NOT_PUBLIC, "Bearer");
    }

    @Test
    void badTokenIs401InvalidTokenFromEverySource() {
        GatewayFixture gateway = start();
        String forged = TestTokens.hs256("another-secret-of-at-least-32-bytes!!",
                TestTokens.claims("alice", List.of("*"), null, false));
        String expired = TestTokens.hs256("alice", List.of("*"), null, false, Instant.now().minusSeconds(3600));

        assertError(gateway, "GET", STREAM_PATH + "?topic=news/a", bearer(forged), null, 401, "unauthorized",
                "token: invalid signature", "Bearer error=\"invalid_token\"");
        assertError(gateway, "GET", STREAM_PATH + "?topic=news/a", Map.of("Cookie", "sluice_token=" + forged), null, 401,
                "unauthorized", "token: invalid signature", "Bearer error=\"invalid_token\"");
        assertError(gateway, "GET", STREAM_PATH + "?topic=news/a&access_token=" + forged, Map.of(), null, 401,
                "unauthorized", "token: invalid signature", "Bearer error=\"invalid_token\"");
        RawResponse r = assertErrorThenHealthy(gateway, "GET", STREAM_PATH + "?topic=news/a", bearer(expired), null, 401,
                "unauthorized", ExpectedMessages.expired(expired));
        assertEquals("Bearer error=\"invalid_token\"", r.header("WWW-Authenticate"));
    }

    @Test
    void tokenWithoutTheRightIs403NamingTheTopic() {
        GatewayFixture gateway = start();
        String alice = token("alice", List.of("orders/*"), null, false);

        assertError(gateway, "GET", STREAM_PATH + "?topic=orders/1&topic=billing", bearer(alice), null, 403, "forbidden",
                "topic 'billing': the token of user alice may not read it (no sluice.subscribe pattern matches)", null);
        assertError(gateway, "GET", STREAM_PATH + "?topic=user/bob", bearer(alice), null, 403, "forbidden",
                "topic 'user/bob' is readable only by user bob or an admin", null);
        assertError(gateway, "GET", STREAM_PATH + "?topic=orders/1", bearer(PUBLISH_KEY), null, 403, "forbidden",
                "topic 'orders/1': a publish key may only publish; read with a token", null);
    }

    @Test
    void authorisedStreamGetsItsTopicsBroadcastAndItsOwnUserTopicOnly() {
        GatewayFixture gateway = start();
        SseTestClient stream = gateway.stream(STREAM_PATH + "?topic=orders/1&topic=news/a",
                bearer(token("alice", List.of("orders/*"), null, false)));
        resources.add(stream);
        assertEquals(200, stream.status(), stream::toString);
        SseEvent connected = stream.awaitEvent(WAIT);
        assertEquals("connected", connected.type());
        assertTrue(connected.data().endsWith("\"topics\":[\"orders/1\",\"news/a\",\"broadcast\",\"user/alice\"]}"),
                connected.data());

        publish(gateway, "orders/2", "not requested");
        publish(gateway, "user/bob", "bob's");
        publish(gateway, "orders/1", "o1");
        RawResponse toUser = post(gateway, "/v1/users/alice/events", "{\"data\":\"for alice\"}", bearer(PUBLISH_KEY));
        assertEquals(200, toUser.status(), toUser::toString);
        publish(gateway, "user/alice/x", "not alice's topic");
        publish(gateway, "news/a", "news");
        RawResponse bc = post(gateway, "/v1/broadcast", "{\"data\":\"everyone\"}", bearer(PUBLISH_KEY));
        assertEquals(200, bc.status(), bc::toString);

        // one loop delivers in id order: anything unauthorised would arrive before the broadcast
        List<String> data = stream.awaitEvents(4, WAIT).stream().map(SseEvent::data).toList();
        assertEquals(List.of("o1", "for alice", "news", "everyone"), data);
    }

    @Test
    void tokenIsTakenFromTheCookieAndFromTheQueryToo() {
        GatewayFixture gateway = start();
        String alice = token("alice", List.of("orders/*"), null, false);
        SseTestClient byCookie = open(gateway, "topic=orders/1", Map.of("Cookie", "theme=dark; sluice_token=" + alice));
        SseTestClient byQuery = open(gateway, "topic=orders/1&access_token=" + alice, Map.of());

        publish(gateway, "user/alice", "private");

        assertEquals("private", byCookie.awaitEvent(WAIT).data());
        assertEquals("private", byQuery.awaitEvent(WAIT).data());
    }

    @Test
    void headerTokenWinsOverCookieAndQuery() {
        GatewayFixture gateway = start();
        String alice = token("alice", List.of("a"), null, false);
        String bob = token("bob", List.of("b"), null, false);

        open(gateway, "topic=a&access_token=" + bob, Map.of("Authorization", "Bearer " + alice, "Cookie", "sluice_token=" + bob));
        assertError(gateway, "GET", STREAM_PATH + "?topic=b&access_token=" + bob, Map.of("Cookie", "sluice_token=" + alice),
                null, 403, "forbidden", "topic 'b': the token of user alice may not read it (no sluice.subscribe pattern"
                        + " matches)", null);
    }

    @Test
    void anonymousStreamReadsPublicTopicsAndBroadcast() {
        GatewayFixture gateway = start();
        SseTestClient stream = open(gateway, "topic=news/sport", Map.of());

        publish(gateway, "user/anyone", "private");
        publish(gateway, "news/weather", "other news");
        publish(gateway, "news/sport", "goal");
        publish(gateway, "broadcast", "everyone");

        assertEquals(List.of("goal", "everyone"), stream.awaitEvents(2, WAIT).stream().map(SseEvent::data).toList());
    }

    @Test
    void adminReadsAnyUsersTopic() {
        GatewayFixture gateway = start();
        SseTestClient stream = open(gateway, "topic=user/bob&topic=secret", bearer(token("root", null, null, true)));

        publish(gateway, "user/bob", "for bob");
        publish(gateway, "secret", "s");

        assertEquals(List.of("for bob", "s"), stream.awaitEvents(2, WAIT).stream().map(SseEvent::data).toList());
    }

    // ---- snapshot ------------------------------------------------------------------------------------------

    @Test
    void snapshotFollowsTheReadRules() {
        GatewayFixture gateway = start();
        publish(gateway, "orders/1", "o1");
        publish(gateway, "user/alice", "a1");
        String alice = token("alice", List.of("orders/*"), null, false);

        assertError(gateway, "GET", SNAPSHOT_PATH + "?topic=orders/1", Map.of(), null, 401, "unauthorized",
                "topic 'orders/1'" + NOT_PUBLIC, "Bearer");
        assertError(gateway, "GET", SNAPSHOT_PATH + "?topic=user/alice", bearer(token("bob", List.of("*"), null, false)), null,
                403, "forbidden", "topic 'user/alice' is readable only by user alice or an admin", null);
        assertError(gateway, "GET", SNAPSHOT_PATH + "?topic=orders/1", bearer("x.y.z"), null, 401, "unauthorized",
                "token: malformed; expected a signed JWT (JWS compact serialization: header.payload.signature)",
                "Bearer error=\"invalid_token\"");

        RawResponse ok = HttpTestClient.get(GatewayFixture.HOST, gateway.port(),
                SNAPSHOT_PATH + "?topic=orders/1&topic=user/alice", bearer(alice));
        assertEquals(200, ok.status(), ok::toString);
        assertTrue(ok.body().contains("\"data\":\"o1\"") && ok.body().contains("\"data\":\"a1\""), ok.body());
        RawResponse anonymous = HttpTestClient.get(GatewayFixture.HOST, gateway.port(), SNAPSHOT_PATH + "?topic=news/x");
        assertEquals(200, anonymous.status(), anonymous::toString);
    }

    // ---- publish -------------------------------------------------------------------------------------------

    @Test
    void publishRoutesNeedAKeyOrAMatchingPublishPattern() {
        GatewayFixture gateway = start();
        String reader = token("alice", List.of("*"), null, false);
        String writer = token("svc", null, List.of("orders/*", "user/*"), false);
        String admin = token("root", null, null, true);
        String event = "{\"topic\":\"orders/1\",\"data\":1}";

        String anonymous = ": publishing needs a publish key or a token with sluice.publish (Authorization: Bearer)";
        assertError(gateway, "POST", "/v1/publish", Map.of("Content-Type", "application/json"), event, 401, "unauthorized",
                "topic 'orders/1'" + anonymous, "Bearer");
        assertError(gateway, "POST", "/v1/broadcast", Map.of(), "{\"data\":1}", 401, "unauthorized",
                "topic 'broadcast'" + anonymous, "Bearer");
        assertError(gateway, "POST", "/v1/users/bob/events", Map.of(), "{\"data\":1}", 401, "unauthorized",
                "topic 'user/bob'" + anonymous, "Bearer");

        assertError(gateway, "POST", "/v1/publish", bearer(reader), event, 403, "forbidden",
                "topic 'orders/1': the token of user alice may not publish to it (no sluice.publish pattern matches)", null);
        assertError(gateway, "POST", "/v1/users/alice/events", bearer(reader), "{\"data\":1}", 403, "forbidden",
                "topic 'user/alice': the token of user alice may not publish to it (no sluice.publish pattern matches)", null);
        assertError(gateway, "POST", "/v1/broadcast", bearer(writer), "{\"data\":1}", 403, "forbidden",
                "topic 'broadcast': the token of user svc may not publish to it (no sluice.publish pattern matches)", null);
        assertError(gateway, "POST", "/v1/publish", bearer(PUBLISH_KEY + "x"), event, 401, "unauthorized",
                "token: malformed; expected a signed JWT (JWS compact serialization: header.payload.signature)",
                "Bearer error=\"invalid_token\"");

        assertEquals(200, post(gateway, "/v1/publish", event, bearer(writer)).status());
        assertEquals(200, post(gateway, "/v1/users/bob/events", "{\"data\":1}", bearer(writer)).status());
        assertEquals(200, post(gateway, "/v1/publish", event, bearer(PUBLISH_KEY)).status());
        assertEquals(200, post(gateway, "/v1/broadcast", "{\"data\":1}", bearer(PUBLISH_KEY)).status());
        assertEquals(200, post(gateway, "/v1/users/bob/events", "{\"data\":1}", bearer(PUBLISH_KEY)).status());
        assertEquals(200, post(gateway, "/v1/broadcast", "{\"data\":1}", bearer(admin)).status());
        assertEquals(200, post(gateway, "/v1/publish", "{\"topic\":\"x\",\"data\":1}", bearer(admin)).status());
    }

    @Test
    void aBatchWithOneForbiddenTopicPublishesNothing() {
        GatewayFixture gateway = start();
        String writer = token("svc", null, List.of("orders/*"), false);
        String batch = "[{\"topic\":\"orders/1\",\"data\":1},{\"topic\":\"billing\",\"data\":2}]";

        assertError(gateway, "POST", "/v1/publish", bearer(writer), batch, 403, "forbidden",
                "topic 'billing': the token of user svc may not publish to it (no sluice.publish pattern matches)", null);
        RawResponse snapshot = HttpTestClient.get(GatewayFixture.HOST, gateway.port(), SNAPSHOT_PATH + "?topic=orders/1",
                bearer(token("r", List.of("*"), null, false)));
        assertEquals("{\"events\":[],\"lastEventId\":null}", snapshot.body());
    }

    // ---- token expiry --------------------------------------------------------------------------------------

    @Test
    void streamEndsWithRetryAndCloseWhenItsTokenExpires() {
        GatewayFixture gateway = start("--jwt-clock-skew=0ms", "--reconnect-millis=1500");
        long expSeconds = System.currentTimeMillis() / 1000 + 2;
        String shortLived = TestTokens.hs256("alice", List.of("a"), null, false, Instant.ofEpochSecond(expSeconds));
        SseTestClient stream = open(gateway, "topic=a", bearer(shortLived));
        publish(gateway, "a", "before expiry");
        assertEquals("before expiry", stream.awaitEvent(WAIT).data());

        assertTrue(stream.awaitClosed(WAIT), () -> "the stream should end when its token expires: " + stream);
        long closedAt = System.currentTimeMillis();

        assertTrue(closedAt >= expSeconds * 1000 - 50, () -> "closed " + (expSeconds * 1000 - closedAt) + "ms before exp");
        assertTrue(stream.body().endsWith("retry: 1500\n: token expired; reconnect with a fresh token\n\n"), stream.body());
        assertEquals(1500, stream.retry());
        // the same token is now refused: the client must come back with a fresh one
        assertError(gateway, "GET", STREAM_PATH + "?topic=a", bearer(shortLived), null, 401, "unauthorized",
                ExpectedMessages.expired(shortLived, 0), "Bearer error=\"invalid_token\"");
    }

    @Test
    void streamOfATokenWithoutExpStaysOpen() {
        GatewayFixture gateway = start("--jwt-clock-skew=0ms", "--heartbeat-interval=200ms");
        SseTestClient stream = open(gateway, "topic=a", bearer(TestTokens.hs256("alice", List.of("a"), null, false, null)));

        // heartbeats every 200ms; three of them prove the stream outlived a second without closing
        for (int i = 0; i < 3; i++) {
            assertEquals(" heartbeat", stream.awaitComment(WAIT));
        }
        assertFalse(stream.awaitClosed(Duration.ZERO));
    }

    // ---- logs ----------------------------------------------------------------------------------------------

    @Test
    void noLogLineCarriesAToken() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger sluice = (Logger) LoggerFactory.getLogger("io.sluice");
        Level previous = sluice.getLevel();
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        root.addAppender(appender);
        sluice.setLevel(Level.TRACE);
        try {
            GatewayFixture gateway = start();
            String alice = token("alice", List.of("a"), List.of("a"), false);
            String forged = TestTokens.hs256("another-secret-of-at-least-32-bytes!!", TestTokens.claims("x", null, null, false));
            try (SseTestClient stream = gateway.stream(STREAM_PATH + "?topic=a&access_token=" + alice, Map.of())) {
                assertEquals(200, stream.status());
                stream.awaitEvent(WAIT);
            }
            HttpTestClient.get(GatewayFixture.HOST, gateway.port(), STREAM_PATH + "?topic=b&access_token=" + forged);
            HttpTestClient.get(GatewayFixture.HOST, gateway.port(), SNAPSHOT_PATH + "?topic=a", bearer(alice));
            post(gateway, "/v1/publish", "{\"topic\":\"a\",\"data\":1}", bearer(PUBLISH_KEY));
            post(gateway, "/v1/publish", "{\"topic\":\"a\",\"data\":1}", bearer(forged));
            post(gateway, "/v1/publish", "not json", bearer(alice));
            gateway.close();

            assertFalse(appender.list.isEmpty(), "the gateway logged nothing: the capture is broken");
            for (ILoggingEvent e : appender.list) {
                String line = e.getFormattedMessage() + (e.getThrowableProxy() == null ? ""
                        : ThrowableProxyUtil.asString(e.getThrowableProxy()));
                for (String secret : List.of(alice, forged, PUBLISH_KEY, TestTokens.SECRET,
                        alice.substring(alice.lastIndexOf('.') + 1))) {
                    assertFalse(line.contains(secret), () -> "a log line carries a credential: " + line);
                }
            }
        } finally {
            sluice.setLevel(previous);
            root.detachAppender(appender);
        }
    }

    /** The exact messages of refusals whose text depends on the token. */
    private static final class ExpectedMessages {
        private ExpectedMessages() {
        }

        static String expired(String token) {
            return expired(token, 30_000);
        }

        static String expired(String token, long skewMillis) {
            try {
                Instant exp = com.nimbusds.jwt.SignedJWT.parse(token).getJWTClaimsSet().getExpirationTime().toInstant();
                return "token: expired at " + exp + " (clock skew allowed: " + skewMillis + "ms); get a fresh token";
            } catch (java.text.ParseException e) {
                throw new IllegalArgumentException(e);
            }
        }
    }
}
