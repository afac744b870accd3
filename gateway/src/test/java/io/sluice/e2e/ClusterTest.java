package io.sluice.e2e;

import io.sluice.testing.Await;
import io.sluice.testing.FreePort;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpConnection;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.RawResponse;
import io.sluice.testing.RedisServer;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.sluice.e2e.PublishTestSupport.WAIT;
import static io.sluice.e2e.PublishTestSupport.accepted;
import static io.sluice.e2e.PublishTestSupport.openStream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cluster mode end to end: two (or three) gateways in this JVM on one real {@code redis-server}, each test with
 * its own Redis. Streams and publishes over real sockets; any node publishes, every node delivers, ids are
 * global, and Last-Event-ID resumes on any node.
 */
class ClusterTest {

    @Test
    void eventPublishedOnOneNodeArrivesOnTheOtherWithTheIdThePublisherGot() {
        try (RedisServer redis = RedisServer.start();
             GatewayFixture a = ClusterSupport.node(redis);
             GatewayFixture b = ClusterSupport.node(redis);
             SseTestClient onA = openStream(a, "/v1/events/stream?topic=orders");
             SseTestClient onB = openStream(b, "/v1/events/stream?topic=orders")) {
            long fromB = accepted(b.publishJson("{\"topic\":\"orders\",\"type\":\"order:created\",\"data\":{\"n\":1}}"),
                    1, 1).get(0);
            SseEvent seenOnA = onA.awaitEvent(WAIT);
            assertEquals(new SseEvent(Long.toString(fromB), Long.toString(fromB), "order:created", "{\"n\":1}"), seenOnA);
            assertEquals(seenOnA, onB.awaitEvent(WAIT));

            long fromA = accepted(a.publishJson("{\"topic\":\"orders\",\"data\":\"line one\\nline two\"}"), 1, 1).get(0);
            assertTrue(fromA > fromB, "ids are global and increasing: " + fromB + " then " + fromA);
            SseEvent second = new SseEvent(Long.toString(fromA), Long.toString(fromA), "message", "line one\nline two");
            assertEquals(second, onB.awaitEvent(WAIT));
            assertEquals(second, onA.awaitEvent(WAIT));
        }
    }

    @Test
    void clientMovingToTheOtherNodeWithLastEventIdGetsExactlyTheEventsItMissed() {
        try (RedisServer redis = RedisServer.start();
             GatewayFixture a = ClusterSupport.node(redis);
             GatewayFixture b = ClusterSupport.node(redis)) {
            String lastSeen;
            try (SseTestClient onA = openStream(a, "/v1/events/stream?topic=t")) {
                for (int i = 1; i <= 3; i++) {
                    accepted(a.publishJson("{\"topic\":\"t\",\"data\":\"before " + i + "\"}"), 1, 1);
                }
                List<SseEvent> seen = onA.awaitEvents(3, WAIT);
                assertEquals("before 3", seen.get(2).data());
                lastSeen = seen.get(2).id();
            }
            List<String> missedIds = new ArrayList<>();
            for (int i = 1; i <= 5; i++) {
                GatewayFixture publisher = i % 2 == 0 ? a : b;
                missedIds.add(Long.toString(accepted(publisher.publishJson(
                        "{\"topic\":\"t\",\"data\":\"missed " + i + "\"}")).ids().get(0)));
            }
            try (SseTestClient onB = b.stream("/v1/events/stream?topic=t", Map.of("Last-Event-ID", lastSeen))) {
                assertEquals("connected", onB.awaitEvent(WAIT).type());
                List<SseEvent> replayed = onB.awaitEvents(5, WAIT);
                for (int i = 0; i < 5; i++) {
                    assertEquals(new SseEvent(missedIds.get(i), missedIds.get(i), "message", "missed " + (i + 1)),
                            replayed.get(i));
                }
                long live = accepted(a.publishJson("{\"topic\":\"t\",\"data\":\"live\"}")).ids().get(0);
                SseEvent next = onB.awaitEvent(WAIT);
                assertEquals(Long.toString(live), next.id(), () -> "after the replay, live: " + onB.events());
                assertEquals("live", next.data());
            }
        }
    }

    /** CONTRACT §12 in cluster mode: the key travels in the Redis entry and every node compacts its own history. */
    @Test
    void keyedEventsSupersedeEarlierOnesInEveryNodesHistory() {
        try (RedisServer redis = RedisServer.start();
             GatewayFixture a = ClusterSupport.node(redis);
             GatewayFixture b = ClusterSupport.node(redis)) {
            List<Long> ids = new ArrayList<>();
            for (String[] e : new String[][] {{"cpu", "1"}, {"mem", "2"}, {"cpu", "3"}, {"", "4"}, {"cpu", "5"}}) {
                String key = e[0].isEmpty() ? "" : ",\"key\":\"" + e[0] + "\"";
                ids.add(accepted((ids.size() % 2 == 0 ? a : b).publishJson("{\"topic\":\"gauge\"" + key
                        + ",\"data\":" + e[1] + "}")).ids().get(0));
            }
            // each node's reader commits the other node's publishes a moment later: resume once both hold the last one
            long last = ids.get(ids.size() - 1);
            Await.until(() -> a.server().fanout().lastAssignedId() >= last && b.server().fanout().lastAssignedId() >= last,
                    WAIT, () -> "both nodes to commit " + last);
            for (GatewayFixture node : List.of(a, b)) {
                try (SseTestClient resumed = node.stream("/v1/events/stream?topic=gauge",
                        Map.of("Last-Event-ID", Long.toString(ids.get(0))))) {
                    assertEquals("connected", resumed.awaitEvent(WAIT).type());
                    List<SseEvent> got = resumed.awaitEvents(3, WAIT);
                    assertEquals(List.of(ids.get(1), ids.get(3), ids.get(4)),
                            got.stream().map(ev -> Long.parseLong(ev.id())).toList(), got::toString);
                    assertEquals(List.of("2", "4", "5"), got.stream().map(SseEvent::data).toList());
                }
                RawResponse snapshot = HttpTestClient.get(GatewayFixture.HOST, node.port(), "/v1/events?topic=gauge");
                assertTrue(snapshot.body().contains("\"key\":\"cpu\""), snapshot::toString);
                assertTrue(!snapshot.body().contains("\"data\":1,") && !snapshot.body().contains("\"data\":3,"),
                        snapshot::toString);
            }
        }
    }

    @Test
    void nodeStartedLaterResumesFromRedisRetentionAndResetsBeyondIt() {
        // small stream nodes, so MAXLEN ~ trims close to the configured length
        try (RedisServer redis = RedisServer.start("--stream-node-max-entries", "4");
             GatewayFixture a = ClusterSupport.node(redis, "--redis-stream-max-len=10")) {
            List<String> ids = new ArrayList<>();
            for (int i = 1; i <= 40; i++) {
                ids.add(Long.toString(accepted(a.publishJson("{\"topic\":\"t\",\"data\":\"e" + i + "\"}")).ids().get(0)));
            }
            long retained = Long.parseLong(redis.command("XLEN", "sluice:events"));
            assertTrue(retained >= 10 && retained < 20, "the stream keeps about 10 entries: " + retained);
            try (GatewayFixture late = ClusterSupport.node(redis, "--redis-stream-max-len=10")) {
                try (SseTestClient within = late.stream("/v1/events/stream?topic=t",
                        Map.of("Last-Event-ID", ids.get(34)))) {
                    assertEquals("connected", within.awaitEvent(WAIT).type());
                    List<SseEvent> replayed = within.awaitEvents(5, WAIT);
                    for (int i = 0; i < 5; i++) {
                        assertEquals(ids.get(35 + i), replayed.get(i).id());
                        assertEquals("e" + (36 + i), replayed.get(i).data());
                    }
                }
                try (SseTestClient beyond = late.stream("/v1/events/stream?topic=t",
                        Map.of("Last-Event-ID", ids.get(4)))) {
                    assertEquals("connected", beyond.awaitEvent(WAIT).type());
                    SseEvent reset = beyond.awaitEvent(WAIT);
                    assertEquals("reset", reset.type());
                    assertEquals("{\"reason\":\"history-unavailable\",\"lastEventId\":\"" + ids.get(4) + "\"}",
                            reset.data());
                }
                // the node that saw every event still has them in its own history
                try (SseTestClient onA = a.stream("/v1/events/stream?topic=t", Map.of("Last-Event-ID", ids.get(4)))) {
                    assertEquals("connected", onA.awaitEvent(WAIT).type());
                    assertEquals(ids.get(5), onA.awaitEvents(35, WAIT).get(0).id());
                }
            }
        }
    }

    @Test
    void nodeThatMissedTrimmedEntriesClosesItsStreamsAndResetsOlderIds() {
        try (RedisServer redis = RedisServer.start();
             GatewayFixture a = ClusterSupport.node(redis)) {
            long first;
            try (SseTestClient onA = openStream(a, "/v1/events/stream?topic=t")) {
                first = accepted(a.publishJson("{\"topic\":\"t\",\"data\":\"one\"}")).ids().get(0);
                assertEquals(Long.toString(first), onA.awaitEvent(WAIT).id());
                // as if entries 2..4 had been trimmed before this node read them: the counter jumps from 1 to 5
                String after = redis.command("XADD", "sluice:events", "*", "t", "t", "y", "message", "d", "\"five\"",
                        "n", "5");
                assertTrue(onA.awaitClosed(WAIT), "streams are closed so their clients learn of the gap");
                // the entry after the gap may or may not have been written before the close
                List<SseEvent> all = onA.events();
                assertTrue(all.size() == 2 || all.size() == 3 && all.get(2).data().equals("five"), all::toString);
                assertEquals(after, redis.command("XREVRANGE", "sluice:events", "+", "-", "COUNT", "1").split("\n")[0]);
            }
            try (SseTestClient resumed = a.stream("/v1/events/stream?topic=t",
                    Map.of("Last-Event-ID", Long.toString(first)))) {
                assertEquals("connected", resumed.awaitEvent(WAIT).type());
                assertEquals("reset", resumed.awaitEvent(WAIT).type(), "an id from before the gap cannot be resumed");
            }
        }
    }

    @Test
    void nodeStartsWithoutRedisButIsNotReadyAndRefusesPublishesAndNewStreams() {
        try (GatewayFixture a = GatewayFixture.start("--backplane=redis://127.0.0.1:" + FreePort.find())) {
            assertEquals(503, HttpTestClient.get(GatewayFixture.HOST, a.port(), "/readyz").status());
            PublishTestSupport.assertError(a.publishJson("{\"topic\":\"t\",\"data\":1}"), 503, "unavailable",
                    "publish not accepted:");
            // CONTRACT §6: backplane down is a temporary refusal; 503 for plain clients, retry: for an EventSource
            RawResponse plain = HttpTestClient.get(GatewayFixture.HOST, a.port(), "/v1/events/stream?topic=t");
            PublishTestSupport.assertError(plain, 503, "unavailable", "this node is backplane");
            assertTrue(Integer.parseInt(plain.header("Retry-After")) >= 1, plain::toString);
            try (SseTestClient browser = a.stream("/v1/events/stream?topic=t", Map.of("Accept", "text/event-stream"))) {
                assertEquals(200, browser.status());
                assertTrue(browser.awaitClosed(WAIT), "refused at once");
                assertTrue(browser.retry() != null && browser.retry() > 0, browser::toString);
            }
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderThoughRedisAnswersPublishesLater() {
        try (RedisServer redis = RedisServer.start();
             GatewayFixture a = ClusterSupport.node(redis);
             HttpConnection connection = HttpConnection.open(GatewayFixture.HOST, a.port())) {
            String publish = "{\"topic\":\"pipe\",\"data\":1}";
            String post = "POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + publish.length() + "\r\n\r\n" + publish;
            // one write: a publish (answered once Redis has it), a health check (answerable at once), a publish
            connection.send(post + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + post);
            RawResponse first = connection.readResponse();
            RawResponse second = connection.readResponse();
            RawResponse third = connection.readResponse();
            assertTrue(first.body().contains("\"ids\""), () -> "first answer is the first publish's: " + first);
            assertTrue(second.body().contains("\"status\""), () -> "second answer is the health check's: " + second);
            assertTrue(third.body().contains("\"ids\""), () -> "third answer is the second publish's: " + third);
        }
    }

    @Test
    void readyOnlyWithRedisAndPublishesRefusedWithoutIt() {
        try (RedisServer redis = RedisServer.start();
             GatewayFixture a = ClusterSupport.node(redis)) {
            redis.kill();
            ClusterSupport.awaitDown(a);
            RawResponse refused = a.publishJson("{\"topic\":\"t\",\"data\":1}");
            PublishTestSupport.assertError(refused, 503, "unavailable", "publish not accepted:");
            assertEquals("1", refused.header("Retry-After"));
            RawResponse readyz = HttpTestClient.get(GatewayFixture.HOST, a.managementPort(), "/readyz");
            assertEquals(503, readyz.status(), readyz::toString);
            redis.restart();
            ClusterSupport.awaitReady(a, Duration.ofSeconds(15));
            accepted(a.publishJson("{\"topic\":\"t\",\"data\":1}"), 1, 0);
        }
    }
}
