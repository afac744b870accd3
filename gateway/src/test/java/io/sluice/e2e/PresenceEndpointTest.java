package io.sluice.e2e;

import io.sluice.testing.Await;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import io.sluice.testing.TestTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.sluice.e2e.StreamTestSupport.WAIT;
import static io.sluice.testing.TestTokens.PUBLISH_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CONTRACT §11 presence on one node over real sockets: {@code GET /v1/presence} (its JSON, its rights, zeros for an
 * untracked topic), and the {@code presence:join} / {@code presence:leave} events a {@code presence=true} stream gets
 * when a user's first stream on a tracked topic opens and their last one closes, exactly as on the wire.
 */
class PresenceEndpointTest {
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeEverything() {
        StreamTestSupport.closeAll(resources);
    }

    private GatewayFixture start(String... extraFlags) {
        List<String> flags = new ArrayList<>(List.of("--public-topics=lobby/*", "--presence-topics=rooms/*,lobby/*"));
        flags.addAll(List.of(extraFlags));
        return StreamTestSupport.startWithAuth(resources, flags.toArray(new String[0]));
    }

    static String token(String sub, List<String> subscribe, List<String> publish, boolean admin) {
        return TestTokens.hs256(sub, subscribe, publish, admin, Instant.now().plusSeconds(600));
    }

    /** A token of {@code sub} that may read every {@code rooms/*} topic and {@code news}, and publish nowhere. */
    static String reader(String sub) {
        return token(sub, List.of("rooms/*", "news"), List.of(), false);
    }

    static Map<String, String> bearer(String credential) {
        return Map.of("Authorization", "Bearer " + credential);
    }

    private SseTestClient open(GatewayFixture gateway, String query, String token) {
        return StreamTestSupport.openStream(gateway, query, token == null ? Map.of() : bearer(token), resources);
    }

    static RawResponse presence(GatewayFixture gateway, String topic, Map<String, String> headers) {
        return HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/v1/presence?topic=" + topic, headers);
    }

    static SseEvent joined(String topic, String user) {
        return new SseEvent(null, "", "presence:join", "{\"topic\":\"" + topic + "\",\"user\":\"" + user + "\"}");
    }

    static SseEvent left(String topic, String user) {
        return new SseEvent(null, "", "presence:leave", "{\"topic\":\"" + topic + "\",\"user\":\"" + user + "\"}");
    }

    @Test
    void aWatcherHearsFirstStreamsJoinAndLastStreamsLeaveExactlyOnTheWire() {
        GatewayFixture gateway = start();
        SseTestClient watcher = open(gateway, "topic=rooms/1&presence=true", reader("carol"));
        assertEquals(joined("rooms/1", "carol"), watcher.awaitEvent(WAIT), "its own user's join");

        SseTestClient alice1 = open(gateway, "topic=rooms/1", reader("alice"));
        assertEquals(joined("rooms/1", "alice"), watcher.awaitEvent(WAIT));
        SseTestClient alice2 = open(gateway, "topic=rooms/1&topic=rooms/2", reader("alice"));
        alice1.close();
        // bob marks the spot: alice's second stream and the close of her first announced nothing before it
        SseTestClient bob = open(gateway, "topic=rooms/1", reader("bob"));
        assertEquals(joined("rooms/1", "bob"), watcher.awaitEvent(WAIT));
        alice2.close();
        assertEquals(left("rooms/1", "alice"), watcher.awaitEvent(WAIT));
        bob.close();
        assertEquals(left("rooms/1", "bob"), watcher.awaitEvent(WAIT));
        assertTrue(watcher.body().contains("\n\nevent: presence:join\ndata: {\"topic\":\"rooms/1\",\"user\":\"bob\"}\n\n"),
                watcher::body);
        assertEquals("", watcher.lastEventId(), "presence events carry no id");
    }

    @Test
    void anonymousStreamsAreCountedNeverAnnouncedAndUntrackedTopicsAreQuiet() {
        GatewayFixture gateway = start();
        SseTestClient watcher = open(gateway, "topic=lobby/1&topic=news&presence=true", reader("carol"));
        assertEquals(joined("lobby/1", "carol"), watcher.awaitEvent(WAIT), "news is not tracked: no join there");
        open(gateway, "topic=lobby/1", null);
        open(gateway, "topic=lobby/1", null);
        open(gateway, "topic=lobby/1", reader("dave"));
        assertEquals(joined("lobby/1", "dave"), watcher.awaitEvent(WAIT), "the anonymous streams said nothing before");
        RawResponse r = presence(gateway, "lobby/1", bearer(PUBLISH_KEY));
        assertEquals(200, r.status(), r::toString);
        assertEquals("application/json", r.header("Content-Type"));
        assertEquals("{\"topic\":\"lobby/1\",\"connections\":4,\"users\":[\"carol\",\"dave\"],\"anonymous\":2}", r.body());
    }

    @Test
    void presenceOfAnUntrackedOrEmptyTopicIsZeros() {
        GatewayFixture gateway = start();
        open(gateway, "topic=news", reader("alice"));
        assertEquals("{\"topic\":\"news\",\"connections\":0,\"users\":[],\"anonymous\":0}",
                presence(gateway, "news", bearer(PUBLISH_KEY)).body());
        assertEquals("{\"topic\":\"rooms/9\",\"connections\":0,\"users\":[],\"anonymous\":0}",
                presence(gateway, "rooms/9", bearer(PUBLISH_KEY)).body());
    }

    @Test
    void presenceIsForPublishKeysAdminsPublishersAndOnTrackedTopicsReaders() {
        GatewayFixture gateway = start();
        open(gateway, "topic=rooms/1", reader("alice"));
        String aliceOnly = "{\"topic\":\"rooms/1\",\"connections\":1,\"users\":[\"alice\"],\"anonymous\":0}";
        assertEquals(aliceOnly, presence(gateway, "rooms/1", bearer(PUBLISH_KEY)).body());
        assertEquals(aliceOnly, presence(gateway, "rooms/1", bearer(token("root", List.of(), List.of(), true))).body());
        assertEquals(aliceOnly, presence(gateway, "rooms/1", bearer(token("pub", List.of(), List.of("rooms/*"), false)))
                .body(), "may publish to it");
        assertEquals(aliceOnly, presence(gateway, "rooms/1", bearer(reader("eve"))).body(), "tracked, and may read it");
        assertEquals(200, presence(gateway, "news", bearer(token("pub", List.of(), List.of("news"), false))).status(),
                "untracked, but may publish to it");

        RawResponse readerOfUntracked = presence(gateway, "news", bearer(token("eve", List.of("news"), List.of(), false)));
        PublishTestSupport.assertError(readerOfUntracked, 403, "forbidden", "presence of topic 'news': the token of user eve");
        RawResponse neither = presence(gateway, "rooms/1", bearer(token("eve", List.of("news"), List.of(), false)));
        PublishTestSupport.assertError(neither, 403, "forbidden", "presence of topic 'rooms/1'");
        RawResponse anonymous = presence(gateway, "lobby/1", Map.of());
        PublishTestSupport.assertError(anonymous, 401, "unauthorized", "presence of topic 'lobby/1'");
        assertEquals("Bearer", anonymous.header("WWW-Authenticate"));
        RawResponse badToken = presence(gateway, "rooms/1", bearer("not.a.token"));
        assertEquals(401, badToken.status(), badToken::toString);
        PublishTestSupport.assertError(HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/v1/presence",
                bearer(PUBLISH_KEY)), 400, "invalid_request", "topic: required");
        PublishTestSupport.assertError(presence(gateway, "a%20b", bearer(PUBLISH_KEY)), 400, "invalid_request",
                "topic: 'a b' must be");
    }

    @Test
    void presenceMustBeTrueOrFalseAndIsOpenToAnyoneInDevelopmentMode() {
        GatewayFixture open = GatewayFixture.start("--presence-topics=*");
        resources.add(open);
        RawResponse bad = HttpTestClient.get(GatewayFixture.HOST, open.port(), "/v1/events/stream?topic=t&presence=yes");
        PublishTestSupport.assertError(bad, 400, "invalid_request", "presence: 'yes' must be true or false");
        open(open, "topic=t&presence=false", null);
        assertEquals("{\"topic\":\"t\",\"connections\":1,\"users\":[],\"anonymous\":1}",
                presence(open, "t", Map.of()).body());
    }

    @Test
    void presenceStateIsGoneOnceItsStreamsClose() {
        GatewayFixture gateway = start();
        List<SseTestClient> streams = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            streams.add(open(gateway, "topic=rooms/" + (i % 4) + "&presence=" + (i % 2 == 0), reader("u" + i)));
        }
        assertEquals(4, gateway.server().presence().topicCount());
        streams.forEach(SseTestClient::close);
        Await.until(() -> gateway.server().presence().topicCount() == 0 && gateway.server().presence().entryCount() == 0
                        && gateway.server().fanout().connectionCount() == 0 && gateway.server().streamDirectory().users() == 0,
                WAIT, "presence and the stream directories to let go of closed streams");
    }
}
