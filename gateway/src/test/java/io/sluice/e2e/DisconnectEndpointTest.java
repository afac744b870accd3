package io.sluice.e2e;

import io.sluice.api.CloseReason;
import io.sluice.http.AccessLogHandler;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.LogCapture;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.sluice.e2e.PresenceEndpointTest.bearer;
import static io.sluice.e2e.PresenceEndpointTest.token;
import static io.sluice.e2e.StreamTestSupport.WAIT;
import static io.sluice.testing.TestTokens.PUBLISH_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CONTRACT §11 {@code POST /v1/users/{userId}/disconnect} on one node over real sockets: every stream of the user
 * gets {@code event: disconnect} (after a {@code retry:} when it may reconnect) and its connection closes, logged and
 * counted as {@code disconnected}; other users' streams go on; only publish keys and admins may do it.
 */
class DisconnectEndpointTest {
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeEverything() {
        StreamTestSupport.closeAll(resources);
    }

    private GatewayFixture start(String... extraFlags) {
        List<String> flags = new ArrayList<>(List.of("--reconnect-millis=2000"));
        flags.addAll(List.of(extraFlags));
        return StreamTestSupport.startWithAuth(resources, flags.toArray(new String[0]));
    }

    private SseTestClient stream(GatewayFixture gateway, String user) {
        return StreamTestSupport.openStream(gateway, "topic=broadcast",
                bearer(token(user, List.of(), List.of(), false)), resources);
    }

    static RawResponse disconnect(GatewayFixture gateway, String user, String body, Map<String, String> headers) {
        return HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/users/" + user + "/disconnect",
                "application/json", body, headers);
    }

    @Test
    void everyStreamOfTheUserGetsTheEventAndClosesAndOthersGoOn() {
        GatewayFixture gateway = start();
        try (LogCapture log = LogCapture.of(AccessLogHandler.LOGGER_NAME)) {
            SseTestClient alice1 = stream(gateway, "alice");
            SseTestClient alice2 = stream(gateway, "alice");
            SseTestClient bob = stream(gateway, "bob");
            RawResponse r = disconnect(gateway, "alice", "{\"reason\":\"logged out\",\"reconnect\":false}",
                    bearer(PUBLISH_KEY));
            assertEquals(200, r.status(), r::toString);
            assertEquals("{\"disconnected\":2}", r.body());
            for (SseTestClient alice : List.of(alice1, alice2)) {
                assertEquals(new SseEvent(null, "", "disconnect", "{\"reason\":\"logged out\",\"reconnect\":false}"),
                        alice.awaitEvent(WAIT));
                assertTrue(alice.awaitClosed(WAIT), alice::toString);
                assertTrue(alice.body().endsWith("\n\nevent: disconnect\ndata: {\"reason\":\"logged out\","
                        + "\"reconnect\":false}\n\n"), alice::body);
            }
            log.await(l -> l.contains("user=alice") && l.endsWith(" close=disconnected"), WAIT, "the stream's log line");
            RawResponse published = HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/broadcast",
                    "application/json", "{\"data\":\"still here\"}", bearer(PUBLISH_KEY));
            assertEquals(200, published.status(), published::toString);
            assertEquals("still here", bob.awaitEvent(WAIT).data());
            assertFalse(bob.awaitClosed(Duration.ZERO));
            assertEquals(2, gateway.server().metrics().streamsClosed(CloseReason.DISCONNECTED));
            assertEquals(0, gateway.server().streamDirectory().streamsOf("alice").size());
        }
    }

    @Test
    void reconnectTrueSendsARetryFirstAndNoBodyMeansTheDefaults() {
        GatewayFixture gateway = start();
        SseTestClient alice = stream(gateway, "alice");
        RawResponse r = disconnect(gateway, "alice", "{\"reconnect\":true,\"reason\":\"moving you\"}", bearer(PUBLISH_KEY));
        assertEquals("{\"disconnected\":1}", r.body());
        assertEquals(new SseEvent(null, "", "disconnect", "{\"reason\":\"moving you\",\"reconnect\":true}"),
                alice.awaitEvent(WAIT));
        assertTrue(alice.awaitClosed(WAIT));
        int retry = alice.retry();
        assertTrue(retry >= 1000 && retry < 3000, "a jittered reconnectMillis: " + retry);
        assertTrue(alice.body().endsWith("\n\nretry: " + retry + "\nevent: disconnect\ndata: {\"reason\":\"moving you\","
                + "\"reconnect\":true}\n\n"), alice::body);

        SseTestClient again = stream(gateway, "alice");
        RawResponse plain = HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/users/alice/disconnect",
                "application/json", "", bearer(PUBLISH_KEY));
        assertEquals("{\"disconnected\":1}", plain.body());
        assertEquals(new SseEvent(null, "", "disconnect", "{\"reason\":\"disconnected\",\"reconnect\":false}"),
                again.awaitEvent(WAIT));
        assertEquals("{\"disconnected\":0}", disconnect(gateway, "nobody", "{}", bearer(PUBLISH_KEY)).body());
    }

    @Test
    void onlyPublishKeysAndAdminsMayDisconnectAndTheBodyIsChecked() {
        GatewayFixture gateway = start();
        SseTestClient alice = stream(gateway, "alice");
        RawResponse anonymous = disconnect(gateway, "alice", "{}", Map.of());
        PublishTestSupport.assertError(anonymous, 401, "unauthorized", "disconnecting a user needs a publish key");
        assertEquals("Bearer", anonymous.header("WWW-Authenticate"));
        String publisher = token("pub", List.of(), List.of("*"), false);
        PublishTestSupport.assertError(disconnect(gateway, "alice", "{}", bearer(publisher)), 403, "forbidden",
                "the token of user pub may not disconnect users");
        PublishTestSupport.assertError(disconnect(gateway, "alice", "{\"reason\":\"x\",\"why\":1}", bearer(PUBLISH_KEY)),
                400, "invalid_request", "why: unknown field");
        PublishTestSupport.assertError(disconnect(gateway, "alice", "{\"reconnect\":\"yes\"}", bearer(PUBLISH_KEY)),
                400, "invalid_request", "reconnect: must be true or false");
        PublishTestSupport.assertError(disconnect(gateway, "alice", "{\"reason\":\"" + "x".repeat(257) + "\"}",
                bearer(PUBLISH_KEY)), 400, "invalid_request", "reason: must be 1 to 256 characters");
        PublishTestSupport.assertError(disconnect(gateway, "alice", "[1]", bearer(PUBLISH_KEY)), 400, "invalid_request",
                "body: expected");
        PublishTestSupport.assertError(disconnect(gateway, "a%20b", "{}", bearer(PUBLISH_KEY)), 400, "invalid_request",
                "userId: must make a topic");
        assertFalse(alice.awaitClosed(Duration.ZERO), "nothing was done by a refused request");
        RawResponse admin = disconnect(gateway, "alice", "{}", bearer(token("root", List.of(), List.of(), true)));
        assertEquals("{\"disconnected\":1}", admin.body());
        assertTrue(alice.awaitClosed(WAIT));
    }

    @Test
    void anyoneMayDisconnectInOpenDevelopmentMode() {
        GatewayFixture open = GatewayFixture.start();
        resources.add(open);
        assertEquals("{\"disconnected\":0}", disconnect(open, "alice", "{}", Map.of()).body());
    }
}
