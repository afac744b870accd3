package io.sluice.e2e;

import io.sluice.e2e.PublishTestSupport.Accepted;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpConnection;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.sluice.e2e.PublishTestSupport.accepted;
import static io.sluice.e2e.PublishTestSupport.openStream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ordering under concurrent publishers (CONTRACT §1 ids, §2 "in publish order per topic, never duplicated"):
 * 5,000 events over 5 topics from 4 publisher threads on their own kept-alive connections, in batches of
 * varying size, read by 8 streams with different topic sets. Each topic has exactly one publishing thread, which
 * numbers its events 0..n-1, so the publish order per topic is known; the ids returned to publishers say which
 * event got which id.
 */
class OrderingTest {
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final int TOPICS = 5;
    private static final int EVENTS_PER_TOPIC = 1000;
    private static final int PUBLISHERS = 4;
    /** Topic sets of the streams, by topic index: three read everything, the others two topics each. */
    private static final int[][] STREAM_TOPICS = {
        {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {0, 1}, {2, 3}, {3, 4}, {0, 4}, {1, 2},
    };

    private GatewayFixture gateway;
    private final List<SseTestClient> streams = new ArrayList<>();

    @BeforeEach
    void start() {
        gateway = GatewayFixture.start();
    }

    @AfterEach
    void stop() {
        streams.forEach(SseTestClient::close);
        if (gateway != null) {
            gateway.close();
        }
    }

    private static String topic(int index) {
        return "order/t" + index;
    }

    /** Which event an id was given to, as the publisher saw it. */
    private record Published(int topic, int seq) {
    }

    @Test
    void everyStreamGetsEveryEventOfItsTopicsOnceInPublishOrderWithIncreasingIds() throws Exception {
        int[] streamsPerTopic = new int[TOPICS];
        for (int[] topics : STREAM_TOPICS) {
            StringBuilder query = new StringBuilder("/v1/events/stream?");
            for (int t : topics) {
                query.append(query.charAt(query.length() - 1) == '?' ? "" : "&").append("topic=").append(topic(t));
                streamsPerTopic[t]++;
            }
            streams.add(openStream(gateway, query.toString()));
        }

        Map<Long, Published> byId = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(PUBLISHERS);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> publishers = new ArrayList<>();
        try {
            for (int p = 0; p < PUBLISHERS; p++) {
                List<Integer> owned = new ArrayList<>();
                for (int t = p; t < TOPICS; t += PUBLISHERS) {
                    owned.add(t);
                }
                long seed = 42 + p;
                publishers.add(pool.submit(() -> publishAll(owned, seed, streamsPerTopic, byId, go)));
            }
            go.countDown();
            int requests = 0;
            for (Future<Integer> f : publishers) {
                requests += f.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            }
            assertTrue(requests > PUBLISHERS, "publishers made " + requests + " requests");
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS), "publisher threads ended");
        }
        assertEquals(TOPICS * EVENTS_PER_TOPIC, byId.size(), "distinct ids handed out");
        assertEquals(TOPICS * EVENTS_PER_TOPIC, gateway.server().metrics().published());

        for (int s = 0; s < STREAM_TOPICS.length; s++) {
            int[] topics = STREAM_TOPICS[s];
            SseTestClient client = streams.get(s);
            List<SseEvent> got = client.awaitEvents(topics.length * EVENTS_PER_TOPIC, DEADLINE);
            int[] nextSeq = new int[TOPICS];
            long previousId = Long.MIN_VALUE;
            for (int i = 0; i < got.size(); i++) {
                SseEvent e = got.get(i);
                String where = "stream " + s + " event " + i + " " + e;
                long id = Long.parseLong(e.id());
                assertTrue(id > previousId, "ids must strictly increase along the stream: " + where);
                previousId = id;
                Published published = byId.get(id);
                assertTrue(published != null, "an id no publisher was given: " + where);
                assertEquals("seq", e.type(), where);
                assertEquals(published.topic() + ":" + published.seq(), e.data(), "data of the event given this id: " + where);
                int t = published.topic();
                assertTrue(contains(topics, t), "an event of a topic the stream does not read: " + where);
                assertEquals(nextSeq[t], published.seq(), "per-topic publish order (no gap, no duplicate): " + where);
                nextSeq[t]++;
            }
            for (int t : topics) {
                assertEquals(EVENTS_PER_TOPIC, nextSeq[t], "events of " + topic(t) + " on stream " + s);
            }
        }

        // Nothing else: the next thing every stream gets is a broadcast published after everything else.
        long end = accepted(PublishTestSupport.postJson(gateway, "/v1/broadcast", "{\"type\":\"end\",\"data\":0}"), 1,
                STREAM_TOPICS.length).get(0);
        for (int s = 0; s < STREAM_TOPICS.length; s++) {
            SseEvent next = streams.get(s).awaitEvent(DEADLINE);
            assertEquals(new SseEvent(Long.toString(end), Long.toString(end), "end", "0"), next, "stream " + s);
            assertNull(streams.get(s).closeReason(), "stream " + s + " still open");
        }
    }

    /**
     * One publisher thread: publishes {@code 0..EVENTS_PER_TOPIC-1} of each owned topic in order, in batches of
     * 1 to 12 events that interleave its topics, on one kept-alive connection, and records the ids it is given.
     *
     * @return the number of requests made
     */
    private int publishAll(List<Integer> owned, long seed, int[] streamsPerTopic, Map<Long, Published> byId,
                           CountDownLatch go) throws InterruptedException {
        Random random = new Random(seed);
        int[] next = new int[TOPICS];
        int requests = 0;
        Map<String, String> headers = new HashMap<>();
        headers.put("Content-Type", "application/json");
        go.await();
        try (HttpConnection connection = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            while (true) {
                List<Published> batch = new ArrayList<>();
                int size = 1 + random.nextInt(12);
                for (int i = 0; i < size; i++) {
                    List<Integer> open = owned.stream().filter(t -> next[t] < EVENTS_PER_TOPIC).toList();
                    if (open.isEmpty()) {
                        break;
                    }
                    int t = open.get(random.nextInt(open.size()));
                    batch.add(new Published(t, next[t]++));
                }
                if (batch.isEmpty()) {
                    return requests;
                }
                StringBuilder body = new StringBuilder(batch.size() == 1 && random.nextBoolean() ? "" : "[");
                int sent = 0;
                for (int i = 0; i < batch.size(); i++) {
                    Published p = batch.get(i);
                    body.append(i > 0 ? "," : "").append("{\"topic\":\"").append(topic(p.topic()))
                            .append("\",\"type\":\"seq\",\"data\":\"").append(p.topic()).append(':').append(p.seq())
                            .append("\"}");
                    sent += streamsPerTopic[p.topic()];
                }
                if (body.charAt(0) == '[') {
                    body.append(']');
                }
                Accepted a = PublishTestSupport.accepted(connection.request("POST", "/v1/publish", headers, body.toString()));
                requests++;
                assertEquals(batch.size(), a.ids().size(), "ids for " + body);
                assertEquals(sent, a.sent(), "sent for " + body);
                for (int i = 0; i < batch.size(); i++) {
                    assertNull(byId.put(a.ids().get(i), batch.get(i)), "id handed out twice: " + a.ids().get(i));
                }
            }
        }
    }

    private static boolean contains(int[] values, int value) {
        for (int v : values) {
            if (v == value) {
                return true;
            }
        }
        return false;
    }
}
