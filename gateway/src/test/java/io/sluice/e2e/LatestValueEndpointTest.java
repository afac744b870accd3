package io.sluice.e2e;

import io.sluice.metrics.CountingMetrics;
import io.sluice.testing.Await;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpConnection;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.JsonTree;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.sluice.e2e.PublishTestSupport.WAIT;
import static io.sluice.e2e.PublishTestSupport.accepted;
import static io.sluice.e2e.PublishTestSupport.openStream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CONTRACT §12 over real sockets: keyed events supersede earlier ones of their key in a topic's history, so
 * snapshots, {@code limit} replay and Last-Event-ID replay give the newest state of each key (snapshots show the
 * key), and a stream that falls behind on a keyed ticker catches up with the newest value of each key instead of
 * being cut off; a stream that keeps up gets every event.
 */
class LatestValueEndpointTest {
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final String PAD = "x".repeat(8000);
    private final List<AutoCloseable> resources = new ArrayList<>();
    private GatewayFixture gateway;

    @AfterEach
    void stop() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T resource) {
        resources.add(resource);
        return resource;
    }

    private String keyed(String topic, String key, Object data) {
        return "{\"topic\":\"" + topic + "\",\"type\":\"progress\",\"key\":\"" + key + "\",\"data\":" + data + "}";
    }

    @Test
    void snapshotsAndReplaysGiveTheNewestValueOfEachKeyAndShowTheKey() {
        gateway = GatewayFixture.start();
        List<Long> ids = new ArrayList<>();
        ids.add(accepted(gateway.publishJson(keyed("jobs/1", "build", 10)), 1, 0).get(0));
        ids.add(accepted(gateway.publishJson(keyed("jobs/1", "test", 5)), 1, 0).get(0));
        ids.add(accepted(gateway.publishJson("{\"topic\":\"jobs/1\",\"type\":\"log\",\"data\":\"started\"}"), 1, 0)
                .get(0));
        ids.add(accepted(gateway.publishJson(keyed("jobs/1", "build", 80)), 1, 0).get(0));
        ids.add(accepted(gateway.publishJson(keyed("jobs/1", "build", 100)), 1, 0).get(0));

        RawResponse snapshot = HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/v1/events?topic=jobs/1");
        assertEquals(200, snapshot.status(), snapshot::toString);
        List<?> events = (List<?>) JsonTree.object(snapshot.body()).get("events");
        assertEquals(List.of(ids.get(1).toString(), ids.get(2).toString(), ids.get(4).toString()),
                events.stream().map(e -> ((Map<?, ?>) e).get("id")).toList(), snapshot.body());
        assertEquals("test", ((Map<?, ?>) events.get(0)).get("key"));
        assertFalse(((Map<?, ?>) events.get(1)).containsKey("key"), "an event without a key shows none");
        assertEquals("build", ((Map<?, ?>) events.get(2)).get("key"));

        SseTestClient limited = closeLater(openStream(gateway, "/v1/events/stream?topic=jobs/1&limit=10"));
        assertEquals(List.of("5", "started", "100"), limited.awaitEvents(3, WAIT).stream().map(SseEvent::data).toList());
        SseTestClient resumed = closeLater(gateway.stream("/v1/events/stream?topic=jobs/1",
                Map.of("Last-Event-ID", ids.get(0).toString())));
        assertEquals("connected", resumed.awaitEvent(WAIT).type());
        assertEquals(List.of("5", "started", "100"), resumed.awaitEvents(3, WAIT).stream().map(SseEvent::data).toList(),
                "a resume from before superseded events gets the newest values, not reset");
    }

    @Test
    void aKeyThatIsNotATopicNameIsRefusedNamingTheField() {
        gateway = GatewayFixture.start();
        RawResponse r = gateway.publishJson(keyed("jobs/1", "bad key", 1));
        assertEquals(400, r.status(), r::toString);
        assertTrue(r.body().contains("\"message\":\"key: must be 1-200 characters"), r.body());
    }

    /**
     * A client stops reading while a ticker updates five keys far more often than its lag bound allows: it is not
     * cut off, and once it reads again it gets what was in flight, then the newest value of each key, never an older
     * value after a newer one. The stream beside it that keeps up gets every tick.
     */
    @Test
    void aSlowStreamOnAKeyedTickerCatchesUpWithTheNewestValuesInsteadOfBeingCutOff() {
        gateway = GatewayFixture.start("--history-size=1000", "--max-stream-lag=50");
        CountingMetrics metrics = gateway.server().metrics();
        HttpConnection publisher = closeLater(HttpConnection.open(GatewayFixture.HOST, gateway.port()));
        SseTestClient fast = closeLater(openStream(gateway, "/v1/events/stream?topic=ticker"));
        SseTestClient slow = closeLater(SseTestClient.builder(GatewayFixture.HOST, gateway.port(),
                "/v1/events/stream?topic=ticker").receiveBufferSize(4096).startPaused().connect());
        Await.until(() -> metrics.openStreams() == 2, WAIT, "both streams subscribed");

        // 1,200 ticks of ~8 KiB: 10 MB, more than loopback buffers and the watermark can hold for the slow stream;
        // in batches of 4 (32 KiB), within the fast stream's 64 KiB watermark, so that one always keeps up
        int ticks = 1200;
        for (int seq = 0; seq < ticks; seq += 4) {
            StringBuilder body = new StringBuilder("[");
            for (int i = seq; i < seq + 4; i++) {
                body.append(i > seq ? "," : "").append(keyed("ticker", "k" + i % 5, "\"" + i + ":" + PAD + "\""));
            }
            accepted(publisher.request("POST", "/v1/publish", Map.of("Content-Type", "application/json"),
                    body.append(']').toString()));
            fast.awaitEvents(4, WAIT);
        }
        assertEquals(ticks, fast.events().size() - 1, "the stream that keeps up gets every tick");
        assertEquals(0, metrics.slowConsumerDisconnects(), "lagging only in superseded ticks is within the bound");

        slow.resumeReading();
        Await.until(() -> newestByKey(slow).size() == 5 && newestByKey(slow).values().stream()
                .allMatch(seq -> seq >= ticks - 5), DEADLINE, () -> "the newest of each key; got " + newestByKey(slow));
        List<SseEvent> got = slow.events().subList(1, slow.events().size());
        assertTrue(got.size() < ticks, "it skipped superseded ticks: got " + got.size() + " of " + ticks);
        Map<String, Integer> last = new HashMap<>();
        long lastId = 0;
        for (SseEvent e : got) {
            long id = Long.parseLong(e.id());
            assertTrue(id > lastId, "ids increase");
            lastId = id;
            int seq = seqOf(e);
            String key = "k" + seq % 5;
            assertTrue(last.getOrDefault(key, -1) < seq, () -> key + " went back from " + last.get(key) + " to " + seq);
            last.put(key, seq);
        }
        assertEquals(null, slow.closeReason(), "the slow stream is still open");
        assertEquals(0, metrics.slowConsumerDisconnects());
    }

    private static int seqOf(SseEvent e) {
        return Integer.parseInt(e.data().substring(0, e.data().indexOf(':')));
    }

    private static Map<String, Integer> newestByKey(SseTestClient client) {
        Map<String, Integer> newest = new HashMap<>();
        for (SseEvent e : client.events()) {
            if ("progress".equals(e.type())) {
                int seq = seqOf(e);
                newest.merge("k" + seq % 5, seq, Math::max);
            }
        }
        return newest;
    }
}
