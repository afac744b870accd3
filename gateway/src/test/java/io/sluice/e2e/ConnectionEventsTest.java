package io.sluice.e2e;

import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.sluice.e2e.PresenceEndpointTest.bearer;
import static io.sluice.e2e.PresenceEndpointTest.token;
import static io.sluice.e2e.PublishTestSupport.accepted;
import static io.sluice.e2e.StreamTestSupport.WAIT;
import static io.sluice.testing.TestTokens.PUBLISH_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CONTRACT §11 {@code POST /v1/connections/{connectionId}/events} on one node over real sockets: the event reaches
 * only the stream whose {@code connected} event carried that id, in id order with its other events, is never
 * retained, and counts {@code sent} 0 or 1; connection ids never repeat, not even across a restart.
 */
class ConnectionEventsTest {
    static final Pattern CONNECTION_ID = Pattern.compile("\\{\"connectionId\":\"([0-9a-z]+-[0-9a-z]+)\",");

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeEverything() {
        StreamTestSupport.closeAll(resources);
    }

    /** Opens a stream and returns it with the connection id its {@code connected} event carried. */
    static Opened open(GatewayFixture gateway, String query, Map<String, String> headers, List<AutoCloseable> resources) {
        SseTestClient stream = gateway.stream(StreamTestSupport.STREAM_PATH + "?" + query, headers);
        resources.add(stream);
        assertEquals(200, stream.status(), stream::toString);
        SseEvent connected = stream.awaitEvent(WAIT);
        Matcher m = CONNECTION_ID.matcher(connected.data());
        assertTrue(connected.type().equals("connected") && m.lookingAt(), connected::toString);
        return new Opened(stream, m.group(1));
    }

    record Opened(SseTestClient stream, String connectionId) {
    }

    static RawResponse toConnection(GatewayFixture gateway, String connectionId, String body, Map<String, String> headers) {
        return HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/connections/" + connectionId + "/events",
                "application/json", body, headers);
    }

    @Test
    void reachesOnlyItsStreamInIdOrderAndIsNeverRetained() {
        GatewayFixture gateway = GatewayFixture.start();
        resources.add(gateway);
        Opened a = open(gateway, "topic=t", Map.of(), resources);
        Opened b = open(gateway, "topic=t", Map.of(), resources);
        String before = StreamTestSupport.publish(gateway, "t", null, "\"before\"");
        long own = accepted(toConnection(gateway, a.connectionId(), "[{\"type\":\"note\",\"data\":{\"n\":1}},"
                + "{\"data\":\"two\"}]", Map.of()), 2, 1).get(0);
        String after = StreamTestSupport.publish(gateway, "t", null, "\"after\"");

        StreamTestSupport.assertEvent(before, "message", "before", a.stream().awaitEvent(WAIT));
        StreamTestSupport.assertEvent(Long.toString(own), "note", "{\"n\":1}", a.stream().awaitEvent(WAIT));
        StreamTestSupport.assertEvent(Long.toString(own + 1), "message", "two", a.stream().awaitEvent(WAIT));
        StreamTestSupport.assertEvent(after, "message", "after", a.stream().awaitEvent(WAIT));
        StreamTestSupport.assertEvent(before, "message", "before", b.stream().awaitEvent(WAIT));
        // b never got a's events
        StreamTestSupport.assertEvent(after, "message", "after", b.stream().awaitEvent(WAIT));

        RawResponse snapshot = HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/v1/events?topic=t&limit=100");
        assertTrue(snapshot.body().contains("\"after\"") && !snapshot.body().contains("two"), snapshot::body);
        try (SseTestClient resumed = gateway.stream(StreamTestSupport.STREAM_PATH + "?topic=t",
                Map.of("Last-Event-ID", before))) {
            assertEquals("connected", resumed.awaitEvent(WAIT).type());
            // a resume replays the topic's events only
            StreamTestSupport.assertEvent(after, "message", "after", resumed.awaitEvent(WAIT));
        }
    }

    @Test
    void anUnknownConnectionCountsZeroAndAMalformedIdIsRefused() {
        GatewayFixture gateway = GatewayFixture.start();
        resources.add(gateway);
        Opened a = open(gateway, "topic=t", Map.of(), resources);
        String[] parts = a.connectionId().split("-");
        String gone = parts[0] + "-" + Long.toString(Long.parseLong(parts[1], 36) + 1000, 36);
        accepted(toConnection(gateway, gone, "{\"data\":1}", Map.of()), 1, 0);
        PublishTestSupport.assertError(toConnection(gateway, "NOT-AN-ID", "{\"data\":1}", Map.of()), 400,
                "invalid_request", "connectionId: 'NOT-AN-ID' is not a connection id");
        PublishTestSupport.assertError(toConnection(gateway, a.connectionId(), "{\"topic\":\"t\",\"data\":1}", Map.of()),
                400, "invalid_request", "topic: not allowed here");
    }

    @Test
    void rightsAreAUserPublishsCheckedOnTheConnectionsAddress() {
        GatewayFixture gateway = StreamTestSupport.startWithAuth(resources);
        Opened alice = open(gateway, "topic=broadcast", bearer(token("alice", List.of(), List.of(), false)), resources);
        String id = alice.connectionId();
        RawResponse anonymous = toConnection(gateway, id, "{\"data\":1}", Map.of());
        PublishTestSupport.assertError(anonymous, 401, "unauthorized", "topic 'connection/" + id + "'");
        PublishTestSupport.assertError(toConnection(gateway, id, "{\"data\":1}",
                bearer(token("bob", List.of(), List.of("user/*"), false))), 403, "forbidden", "topic 'connection/" + id + "'");
        accepted(toConnection(gateway, id, "{\"data\":\"by key\"}", bearer(PUBLISH_KEY)), 1, 1);
        accepted(toConnection(gateway, id, "{\"data\":\"by a publisher\"}",
                bearer(token("app", List.of(), List.of("connection/*"), false))), 1, 1);
        assertEquals("by key", alice.stream().awaitEvent(WAIT).data());
        assertEquals("by a publisher", alice.stream().awaitEvent(WAIT).data());
    }

    @Test
    void connectionIdsNeverRepeatOnANodeNorAcrossARestart() {
        Set<String> ids = new HashSet<>();
        long node;
        try (GatewayFixture first = GatewayFixture.start()) {
            for (int i = 0; i < 50; i++) {
                try (SseTestClient s = open(first, "topic=t", Map.of(), new ArrayList<>()).stream()) {
                    assertTrue(ids.add(CONNECTION_ID.matcher(s.events().get(0).data()).results().findFirst()
                            .orElseThrow().group(1)));
                }
            }
            node = Long.parseLong(ids.iterator().next().split("-")[0], 36);
            assertEquals(node, first.server().backplane().control().nodeId());
        }
        try (GatewayFixture second = GatewayFixture.start()) {
            String id = open(second, "topic=t", Map.of(), resources).connectionId();
            assertFalse(ids.contains(id));
            assertTrue(Long.parseLong(id.split("-")[0], 36) > node, "a later node id: " + id);
        }
    }
}
