package io.sluice.e2e;

import io.sluice.testing.Await;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.GatewayProcess;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.RawResponse;
import io.sluice.testing.RedisServer;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import io.sluice.testing.TcpProxy;
import io.sluice.testing.TestTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.sluice.e2e.ConnectionEventsTest.toConnection;
import static io.sluice.e2e.PresenceEndpointTest.joined;
import static io.sluice.e2e.PresenceEndpointTest.left;
import static io.sluice.e2e.PublishTestSupport.accepted;
import static io.sluice.e2e.StreamTestSupport.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CONTRACT §11 across a cluster, with real {@code redis-server}s: presence counted and announced cluster-wide (first
 * and last stream on any node), a killed node's presence gone within seconds, a disconnect reaching every node within
 * a second, a connection event published on the node that does not hold the stream, and a disconnect sent while a node
 * was cut off from Redis never acted on later. Nodes run with a JWT secret (streams are users) and a publish key.
 */
class ClusterControlTest {
    private static final String PRESENCE = "--presence-topics=rooms/*";
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeEverything() {
        StreamTestSupport.closeAll(resources);
    }

    private RedisServer redis() {
        RedisServer redis = RedisServer.start();
        resources.add(redis);
        return redis;
    }

    private GatewayFixture node(RedisServer redis) {
        GatewayFixture node = ClusterSupport.node(redis, StreamTestSupport.authFlags(PRESENCE));
        resources.add(node);
        return node;
    }

    private SseTestClient stream(GatewayFixture node, String query, String user) {
        return StreamTestSupport.openStream(node, query, PresenceEndpointTest.bearer(PresenceEndpointTest.reader(user)),
                resources);
    }

    private static String presenceOf(int port, String topic) {
        RawResponse r = HttpTestClient.get(GatewayFixture.HOST, port, "/v1/presence?topic=" + topic,
                PresenceEndpointTest.bearer(TestTokens.PUBLISH_KEY));
        assertEquals(200, r.status(), r::toString);
        return r.body();
    }

    private static void awaitPresence(int port, String topic, String expected) {
        Await.until(() -> presenceOf(port, topic).equals(expected), Duration.ofSeconds(5),
                () -> "presence " + expected + " on port " + port + ", got " + presenceOf(port, topic));
    }

    @Test
    void presenceIsCountedAndAnnouncedAcrossNodes() {
        RedisServer redis = redis();
        GatewayFixture a = node(redis);
        GatewayFixture b = node(redis);
        SseTestClient watcher = stream(a, "topic=rooms/1&presence=true", "carol");
        assertEquals(joined("rooms/1", "carol"), watcher.awaitEvent(WAIT));

        SseTestClient aliceOnB = stream(b, "topic=rooms/1", "alice");
        assertEquals(joined("rooms/1", "alice"), watcher.awaitEvent(WAIT), "a join on the other node");
        SseTestClient aliceOnA = stream(a, "topic=rooms/1", "alice");
        SseTestClient daveOnB = stream(b, "topic=rooms/1", "dave");
        assertEquals(joined("rooms/1", "dave"), watcher.awaitEvent(WAIT), "alice's stream on A was not a first");
        String all = "{\"topic\":\"rooms/1\",\"connections\":4,\"users\":[\"alice\",\"carol\",\"dave\"],\"anonymous\":0}";
        awaitPresence(a.port(), "rooms/1", all);
        awaitPresence(b.port(), "rooms/1", all);

        aliceOnB.close();
        daveOnB.close();
        assertEquals(left("rooms/1", "dave"), watcher.awaitEvent(WAIT), "alice still streams on A: no leave for her");
        aliceOnA.close();
        assertEquals(left("rooms/1", "alice"), watcher.awaitEvent(WAIT), "her last stream, on either node");
        awaitPresence(b.port(), "rooms/1",
                "{\"topic\":\"rooms/1\",\"connections\":1,\"users\":[\"carol\"],\"anonymous\":0}");
    }

    @Test
    void aKilledNodesPresenceIsGoneWithinSeconds() throws Exception {
        RedisServer redis = redis();
        GatewayFixture a = node(redis);
        SseTestClient watcher = stream(a, "topic=rooms/1&presence=true", "carol");
        assertEquals(joined("rooms/1", "carol"), watcher.awaitEvent(WAIT));

        GatewayProcess child = GatewayProcess.start(Map.of(), StreamTestSupport.authFlags(PRESENCE, redis.backplaneFlag(),
                "--port=0", "--management-port=0", "--bind-address=" + GatewayFixture.HOST, "--dev-clock=false"));
        resources.add(child::kill);
        int port = child.awaitPort();
        Await.until(() -> HttpTestClient.get(GatewayFixture.HOST, port, "/readyz").status() == 200, ClusterSupport.READY,
                "the child node to be ready");
        try (SseTestClient dave = SseTestClient.connect(GatewayFixture.HOST, port, "/v1/events/stream?topic=rooms/1",
                PresenceEndpointTest.bearer(PresenceEndpointTest.reader("dave")))) {
            assertEquals("connected", dave.awaitEvent(WAIT).type());
            assertEquals(joined("rooms/1", "dave"), watcher.awaitEvent(WAIT));
            awaitPresence(a.port(), "rooms/1",
                    "{\"topic\":\"rooms/1\",\"connections\":2,\"users\":[\"carol\",\"dave\"],\"anonymous\":0}");

            long killed = System.nanoTime();
            child.kill();
            SseEvent gone = watcher.awaitEvent(Duration.ofSeconds(15));
            Duration took = Duration.ofNanos(System.nanoTime() - killed);
            assertEquals(left("rooms/1", "dave"), gone);
            assertTrue(took.compareTo(Duration.ofSeconds(8)) < 0, "gone within seconds: " + took);
            awaitPresence(a.port(), "rooms/1",
                    "{\"topic\":\"rooms/1\",\"connections\":1,\"users\":[\"carol\"],\"anonymous\":0}");
        }
    }

    @Test
    void aDisconnectReachesEveryNodeWithinASecond() {
        RedisServer redis = redis();
        GatewayFixture a = node(redis);
        GatewayFixture b = node(redis);
        SseTestClient onA = stream(a, "topic=broadcast", "alice");
        SseTestClient onB = stream(b, "topic=broadcast", "alice");
        SseTestClient bob = stream(b, "topic=broadcast", "bob");
        long sent = System.nanoTime();
        RawResponse r = DisconnectEndpointTest.disconnect(a, "alice", "{\"reason\":\"bye\"}",
                PresenceEndpointTest.bearer(TestTokens.PUBLISH_KEY));
        assertEquals("{\"disconnected\":1}", r.body(), "this node's streams");
        SseEvent expected = new SseEvent(null, "", "disconnect", "{\"reason\":\"bye\",\"reconnect\":false}");
        assertEquals(expected, onA.awaitEvent(WAIT));
        assertEquals(expected, onB.awaitEvent(WAIT));
        assertTrue(onB.awaitClosed(WAIT));
        Duration took = Duration.ofNanos(System.nanoTime() - sent);
        assertTrue(took.compareTo(Duration.ofSeconds(1)) < 0, "within a second: " + took);
        assertTrue(onA.awaitClosed(WAIT));
        accepted(HttpTestClient.post(GatewayFixture.HOST, a.port(), "/v1/broadcast", "application/json",
                "{\"data\":\"still here\"}", PresenceEndpointTest.bearer(TestTokens.PUBLISH_KEY)));
        assertEquals("still here", bob.awaitEvent(WAIT).data());
    }

    @Test
    void aNodeCutOffFromRedisWhenADisconnectWasSentNeverActsOnItLater() {
        RedisServer redis = redis();
        TcpProxy path = TcpProxy.to(redis.port());
        resources.add(path);
        GatewayFixture a = node(redis);
        GatewayFixture b = ClusterSupport.node(redis,
                StreamTestSupport.authFlags(PRESENCE, "--backplane=redis://127.0.0.1:" + path.port()));
        resources.add(b);
        SseTestClient onB = stream(b, "topic=broadcast", "alice");
        path.cut();
        ClusterSupport.awaitDown(b);
        RawResponse r = DisconnectEndpointTest.disconnect(a, "alice", "{}",
                PresenceEndpointTest.bearer(TestTokens.PUBLISH_KEY));
        assertEquals("{\"disconnected\":0}", r.body());
        path.restore();
        ClusterSupport.awaitReady(b, Duration.ofSeconds(15));
        accepted(HttpTestClient.post(GatewayFixture.HOST, a.port(), "/v1/broadcast", "application/json",
                "{\"data\":\"after\"}", PresenceEndpointTest.bearer(TestTokens.PUBLISH_KEY)));
        assertEquals("after", onB.awaitEvent(WAIT).data(), "the stream on B is still open, and nothing came before");
        // and B refuses a disconnect while it cannot reach the others
        path.cut();
        ClusterSupport.awaitDown(b);
        RawResponse refused = DisconnectEndpointTest.disconnect(b, "alice", "{}",
                PresenceEndpointTest.bearer(TestTokens.PUBLISH_KEY));
        PublishTestSupport.assertError(refused, 503, "unavailable", "disconnect not sent:");
    }

    @Test
    void aConnectionEventPublishedOnTheOtherNodeReachesOnlyItsStream() {
        RedisServer redis = redis();
        GatewayFixture a = node(redis);
        GatewayFixture b = node(redis);
        ConnectionEventsTest.Opened target = ConnectionEventsTest.open(b, "topic=news",
                PresenceEndpointTest.bearer(PresenceEndpointTest.reader("alice")), resources);
        ConnectionEventsTest.Opened other = ConnectionEventsTest.open(b, "topic=news",
                PresenceEndpointTest.bearer(PresenceEndpointTest.reader("alice")), resources);
        ConnectionEventsTest.Opened onA = ConnectionEventsTest.open(a, "topic=news",
                PresenceEndpointTest.bearer(PresenceEndpointTest.reader("alice")), resources);
        assertTrue(!target.connectionId().split("-")[0].equals(onA.connectionId().split("-")[0]),
                "each node has its own id: " + target.connectionId() + ", " + onA.connectionId());
        long id = accepted(toConnection(a, target.connectionId(), "{\"type\":\"note\",\"data\":\"just you\"}",
                PresenceEndpointTest.bearer(TestTokens.PUBLISH_KEY)), 1, 0).get(0);
        StreamTestSupport.assertEvent(Long.toString(id), "note", "just you", target.stream().awaitEvent(WAIT));
        long later = accepted(HttpTestClient.post(GatewayFixture.HOST, a.port(), "/v1/publish", "application/json",
                "{\"topic\":\"news\",\"data\":\"everyone\"}",
                PresenceEndpointTest.bearer(TestTokens.PUBLISH_KEY))).ids().get(0);
        for (ConnectionEventsTest.Opened o : List.of(target, other, onA)) {
            StreamTestSupport.assertEvent(Long.toString(later), "message", "everyone", o.stream().awaitEvent(WAIT));
        }
    }
}
