package io.sluice.e2e;

import io.sluice.testing.Await;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.RawResponse;
import io.sluice.testing.RedisServer;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static io.sluice.e2e.PublishTestSupport.WAIT;
import static io.sluice.e2e.PublishTestSupport.accepted;
import static io.sluice.e2e.PublishTestSupport.openStream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cluster mode under load and through Redis failures, over real sockets: publishers on both nodes, streams on
 * both nodes, and every accepted event checked at every stream: delivered once, in the one global order.
 */
class ClusterDeliveryTest {
    private static final List<String> TOPICS = List.of("load/0", "load/1", "load/2", "load/3");
    private static final String ALL_TOPICS = "topic=load/0&topic=load/1&topic=load/2&topic=load/3";
    /** Room for the whole run in history and lag, so a briefly descheduled test client is never cut off. */
    private static final String[] ROOMY = {"--history-size=20000", "--max-stream-lag=20000"};

    @Test
    void tenThousandEventsFromPublishersOnBothNodesReachStreamsOnBothNodesOnceAndInOrder() throws Exception {
        int publishersPerNode = 2;
        int batches = 50;
        int batchSize = 50;
        int total = 2 * publishersPerNode * batches * batchSize;
        assertEquals(10_000, total);
        try (RedisServer redis = RedisServer.start();
             GatewayFixture a = ClusterSupport.node(redis, ROOMY);
             GatewayFixture b = ClusterSupport.node(redis, ROOMY);
             SseTestClient onA = openStream(a, "/v1/events/stream?" + ALL_TOPICS);
             SseTestClient onB = openStream(b, "/v1/events/stream?" + ALL_TOPICS)) {
            Map<Long, String> published = new ConcurrentHashMap<>();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            List<Thread> publishers = new ArrayList<>();
            for (int p = 0; p < 2 * publishersPerNode; p++) {
                GatewayFixture node = p % 2 == 0 ? a : b;
                String name = "p" + p;
                Thread t = new Thread(() -> {
                    try {
                        int seq = 0;
                        for (int batch = 0; batch < batches; batch++) {
                            List<String> data = new ArrayList<>();
                            StringBuilder body = new StringBuilder("[");
                            for (int i = 0; i < batchSize; i++, seq++) {
                                String d = name + "-" + seq;
                                data.add(d);
                                body.append(i == 0 ? "" : ",").append("{\"topic\":\"").append(TOPICS.get(seq % 4))
                                        .append("\",\"data\":\"").append(d).append("\"}");
                            }
                            List<Long> ids = accepted(node.publishJson(body.append(']').toString())).ids();
                            for (int i = 0; i < ids.size(); i++) {
                                published.put(ids.get(i), data.get(i));
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }, "publisher-" + name);
                publishers.add(t);
                t.start();
            }
            for (Thread t : publishers) {
                t.join(TimeUnit.MINUTES.toMillis(2));
            }
            assertEquals(List.of(), failures);
            assertEquals(total, published.size(), "distinct ids handed out");

            List<SseEvent> seenOnA = onA.awaitEvents(total, Duration.ofSeconds(60));
            List<SseEvent> seenOnB = onB.awaitEvents(total, Duration.ofSeconds(60));
            assertDeliveredOnceInOrder(published, seenOnA, "stream on A");
            assertDeliveredOnceInOrder(published, seenOnB, "stream on B");
            assertEquals(seenOnA, seenOnB, "both nodes deliver the one global order");
        }
    }

    @Test
    void redisKilledMidRunRefusesPublishesKeepsStreamsAndLosesNothingAccepted() throws Exception {
        // appendfsync always: Redis acknowledges an append only once it is on disk, so a SIGKILL loses nothing it
        // acknowledged and the restarted Redis holds every accepted event (docs/scaling.md: durability)
        try (RedisServer redis = RedisServer.start("--appendonly", "yes", "--appendfsync", "always");
             GatewayFixture a = ClusterSupport.node(redis, ROOMY);
             GatewayFixture b = ClusterSupport.node(redis, ROOMY);
             SseTestClient onA = openStream(a, "/v1/events/stream?topic=k");
             SseTestClient onB = openStream(b, "/v1/events/stream?topic=k");
             Publishers publishers = new Publishers(a, b)) {
            publishers.awaitAccepted(200);

            redis.kill();
            ClusterSupport.awaitDown(a);
            ClusterSupport.awaitDown(b);
            int acceptedAtOutage = publishers.accepted();
            RawResponse refused = a.publishJson("{\"topic\":\"k\",\"data\":\"during the outage\"}");
            PublishTestSupport.assertError(refused, 503, "unavailable", "publish not accepted:");
            assertEquals("1", refused.header("Retry-After"));
            for (GatewayFixture node : List.of(a, b)) {
                assertEquals(503, HttpTestClient.get(GatewayFixture.HOST, node.port(), "/readyz").status());
                assertEquals(503, HttpTestClient.get(GatewayFixture.HOST, node.managementPort(), "/readyz").status());
            }
            int refusedBefore = publishers.refused();
            Await.until(() -> publishers.refused() > refusedBefore + 10, WAIT, "publishers to be refused");
            assertNull(onA.closeReason(), "streams stay open while Redis is down");
            assertNull(onB.closeReason(), "streams stay open while Redis is down");

            redis.restart();
            ClusterSupport.awaitReady(a, Duration.ofSeconds(15));
            ClusterSupport.awaitReady(b, Duration.ofSeconds(15));
            publishers.awaitAccepted(acceptedAtOutage + 200);
            publishers.close();

            Map<Long, String> published = publishers.acceptedEvents();
            for (SseTestClient stream : List.of(onA, onB)) {
                Await.until(() -> idsOf(stream.events()).containsAll(published.keySet()), Duration.ofSeconds(30),
                        () -> "every accepted event on " + stream);
                List<SseEvent> seen = new ArrayList<>(stream.events().subList(1, stream.events().size()));
                // a publish that failed while Redis went down may still have been appended (at most once)
                seen.removeIf(e -> !published.containsKey(Long.parseLong(e.id()))
                        && publishers.failedData().contains(e.data()));
                assertDeliveredOnceInOrder(published, seen, stream.toString());
                assertNull(stream.closeReason(), "stream still open after the outage");
            }
        }
    }

    @Test
    void redisRestartedEmptyLeavesStreamsOpenAndIdsIncreasing() {
        try (RedisServer redis = RedisServer.start();
             GatewayFixture a = ClusterSupport.node(redis);
             GatewayFixture b = ClusterSupport.node(redis);
             SseTestClient onB = openStream(b, "/v1/events/stream?topic=k")) {
            long before = accepted(a.publishJson("{\"topic\":\"k\",\"data\":\"before\"}")).ids().get(0);
            assertEquals(Long.toString(before), onB.awaitEvent(WAIT).id());
            redis.kill();
            ClusterSupport.awaitDown(a);
            redis.restart();
            ClusterSupport.awaitReady(a, Duration.ofSeconds(15));
            ClusterSupport.awaitReady(b, Duration.ofSeconds(15));
            long after = accepted(a.publishJson("{\"topic\":\"k\",\"data\":\"after\"}")).ids().get(0);
            assertTrue(after > before, "ids go on increasing after Redis lost its data: " + before + ", " + after);
            SseEvent next = onB.awaitEvent(WAIT);
            assertEquals(new SseEvent(Long.toString(after), Long.toString(after), "message", "after"), next);
            assertNull(onB.closeReason());
        }
    }

    /** Every published event exactly once, ids strictly increasing, data as published, per-topic order kept. */
    private static void assertDeliveredOnceInOrder(Map<Long, String> published, List<SseEvent> seen, String where) {
        long previous = 0;
        Set<Long> ids = new HashSet<>();
        Map<String, Integer> lastSeqByPublisherAndTopic = new HashMap<>();
        for (SseEvent e : seen) {
            long id = Long.parseLong(e.id());
            assertTrue(id > previous, () -> where + ": ids must increase, " + id + " after a larger one");
            previous = id;
            assertTrue(ids.add(id), () -> where + ": duplicate " + id);
            assertEquals(published.get(id), e.data(), () -> where + ": data of " + id);
            String[] parts = e.data().split("-");
            int seq = Integer.parseInt(parts[1]);
            String key = parts[0] + "@" + topicOf(seq, e);
            Integer last = lastSeqByPublisherAndTopic.put(key, seq);
            assertTrue(last == null || last < seq, () -> where + ": " + key + " out of order: " + last + " then " + seq);
        }
        assertEquals(published.keySet(), ids, where + ": exactly the accepted events");
    }

    private static String topicOf(int seq, SseEvent e) {
        return e.data().startsWith("k") ? "k" : TOPICS.get(seq % 4);
    }

    private static Set<Long> idsOf(List<SseEvent> events) {
        Set<Long> ids = new HashSet<>();
        for (SseEvent e : events) {
            if (e.id() != null && !e.id().isEmpty()) {
                ids.add(Long.parseLong(e.id()));
            }
        }
        return ids;
    }

    /** One publisher thread per node publishing single events to topic {@code k} until closed. */
    private static final class Publishers implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Map<Long, String> accepted = new ConcurrentHashMap<>();
        private final Set<String> failed = ConcurrentHashMap.newKeySet();
        private final AtomicInteger refused = new AtomicInteger();
        private final List<Throwable> errors = new CopyOnWriteArrayList<>();
        private final List<Thread> threads = new ArrayList<>();

        Publishers(GatewayFixture... nodes) {
            for (int p = 0; p < nodes.length; p++) {
                GatewayFixture node = nodes[p];
                String name = "k" + p;
                Thread t = new Thread(() -> run(node, name), "publisher-" + name);
                threads.add(t);
                t.start();
            }
        }

        private void run(GatewayFixture node, String name) {
            try {
                for (int seq = 0; running.get() && seq < 100_000; seq++) {
                    String data = name + "-" + seq;
                    RawResponse r;
                    try {
                        r = node.publishJson("{\"topic\":\"k\",\"data\":\"" + data + "\"}");
                    } catch (AssertionError | RuntimeException noAnswer) {
                        failed.add(data);
                        continue;
                    }
                    if (r.status() == 200) {
                        accepted.put(PublishTestSupport.accepted(r).ids().get(0), data);
                    } else {
                        assertEquals(503, r.status(), r::toString);
                        assertEquals("1", r.header("Retry-After"));
                        failed.add(data);
                        refused.incrementAndGet();
                        // pacing, not waiting for a condition: a refused publisher retries a little later
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                    }
                }
            } catch (Throwable e) {
                errors.add(e);
            }
        }

        int accepted() {
            return accepted.size();
        }

        int refused() {
            return refused.get();
        }

        void awaitAccepted(int count) {
            Await.until(() -> accepted.size() >= count || !errors.isEmpty(), Duration.ofSeconds(60),
                    () -> count + " accepted publishes (have " + accepted.size() + ")");
            assertEquals(List.of(), errors);
        }

        Map<Long, String> acceptedEvents() {
            return Collections.unmodifiableMap(accepted);
        }

        Set<String> failedData() {
            return failed;
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
            assertEquals(List.of(), errors);
        }
    }
}
