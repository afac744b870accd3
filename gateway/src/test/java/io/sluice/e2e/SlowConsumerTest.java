package io.sluice.e2e;

import io.netty.buffer.PooledByteBufAllocator;
import io.sluice.e2e.PublishTestSupport.Accepted;
import io.sluice.metrics.CountingMetrics;
import io.sluice.testing.Await;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpConnection;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.sluice.e2e.PublishTestSupport.WAIT;
import static io.sluice.e2e.PublishTestSupport.accepted;
import static io.sluice.e2e.PublishTestSupport.openStream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Flow control (CONTRACT §7) over real sockets: a stream whose client stops reading is buffered up to its write
 * watermarks, then lags up to {@code min(maxStreamLag, historySize)} events, then is closed and resumes from
 * history with Last-Event-ID; meanwhile the other streams get everything on time and memory stays bounded.
 *
 * <p>The slow client sets a 4 KiB receive buffer before connecting, so the TCP window it advertises is small,
 * and reads nothing; what the kernel holds beyond that (the gateway's send buffer) is whatever Linux grants, so
 * the tests publish until the gateway reacts rather than a fixed amount.
 */
class SlowConsumerTest {
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final int HISTORY = 200;
    private static final int MAX_LAG = 100;
    /** Events per publish request: small, so the publisher stops soon after the cut (see the missed-event bound). */
    private static final int BATCH = 4;
    /** Bound on the publish loop: far more than loopback buffers plus watermark plus lag can absorb. */
    private static final int MAX_EVENTS = 20_000;
    private static final String PAD = "x".repeat(2000);
    private static final String TOPIC = "slow/t";

    private GatewayFixture gateway;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final List<Long> publishedIds = new ArrayList<>();
    private HttpConnection publisher;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable r : resources) {
            r.close();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T resource) {
        resources.add(resource);
        return resource;
    }

    private static String data(int seq) {
        return seq + ":" + PAD;
    }

    /**
     * Publishes the next {@code count} events (sequence numbers continue from the ids so far) in one request on the
     * publisher's kept-alive connection; {@code streams} are subscribed to the topic, so {@code sent} is their product.
     */
    private void publishBatch(int count, int streams) {
        assertEquals(count * streams, publishBatch(count), "sent");
    }

    /** Same, returning {@code sent}. */
    private int publishBatch(int count) {
        StringBuilder body = new StringBuilder("[");
        for (int i = 0; i < count; i++) {
            body.append(i > 0 ? "," : "").append("{\"topic\":\"").append(TOPIC).append("\",\"data\":\"")
                    .append(data(publishedIds.size() + i)).append("\"}");
        }
        body.append(']');
        Accepted a = accepted(publisher.request("POST", "/v1/publish", Map.of("Content-Type", "application/json"),
                body.toString()));
        assertEquals(count, a.ids().size(), "ids");
        publishedIds.addAll(a.ids());
        return a.sent();
    }

    private static void assertPublished(List<SseEvent> got, List<Long> ids, int firstSeq, String who) {
        for (int i = 0; i < got.size(); i++) {
            SseEvent e = got.get(i);
            int seq = firstSeq + i;
            String id = Long.toString(ids.get(seq));
            assertEquals(new SseEvent(id, id, "message", data(seq)), e, () -> who + " event " + seq + " (of "
                    + ids.size() + " published)");
        }
    }

    private static long usedDirectMemory() {
        return PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
    }

    /** Bytes of pooled direct memory held by live buffers now (not by chunks reserved nor thread caches). */
    private static long pinnedDirectMemory() {
        return PooledByteBufAllocator.DEFAULT.pinnedDirectMemory();
    }

    @Test
    void streamThatStopsReadingIsCutAndResumesFromHistoryWhileOthersGetEverything() {
        gateway = GatewayFixture.start("--write-buffer-high-water-mark=64KiB", "--write-buffer-low-water-mark=32KiB",
                "--history-size=" + HISTORY, "--max-stream-lag=" + MAX_LAG);
        CountingMetrics metrics = gateway.server().metrics();
        publisher = closeLater(HttpConnection.open(GatewayFixture.HOST, gateway.port()));
        SseTestClient fast = closeLater(openStream(gateway, "/v1/events/stream?topic=" + TOPIC));
        SseTestClient slow = closeLater(SseTestClient.builder(GatewayFixture.HOST, gateway.port(),
                "/v1/events/stream?topic=" + TOPIC).receiveBufferSize(4096).startPaused().connect());
        Await.until(() -> metrics.openStreams() == 2, WAIT, () -> "both streams subscribed, open: " + metrics.openStreams());

        long baseline = usedDirectMemory();
        long pinnedBaseline = pinnedDirectMemory();
        long peakBeforeCut = baseline;
        long pinnedBeforeCut = pinnedBaseline;
        while (metrics.slowConsumerDisconnects() == 0) {
            assertTrue(publishedIds.size() < MAX_EVENTS, () -> "no slow-consumer disconnect after " + publishedIds.size()
                    + " events of ~2 KiB; open streams " + metrics.openStreams());
            int sent = publishBatch(BATCH);
            // both streams until the cut, which may fall in the middle of a batch
            assertTrue(sent >= BATCH && sent <= 2 * BATCH, "sent " + sent);
            fast.awaitEvents(BATCH, WAIT);
            peakBeforeCut = Math.max(peakBeforeCut, usedDirectMemory());
            pinnedBeforeCut = Math.max(pinnedBeforeCut, pinnedDirectMemory());
        }
        int publishedBeforeCut = publishedIds.size();
        assertEquals(1, metrics.slowConsumerDisconnects());
        Await.until(() -> metrics.openStreams() == 1, WAIT, () -> "the slow stream closed, open: " + metrics.openStreams());
        assertPublished(fast.events().subList(1, fast.events().size()), publishedIds, 0, "fast");

        // The slow client reads what reached it before the cut: a prefix of what was published, then the end.
        slow.resumeReading();
        assertTrue(slow.awaitClosed(DEADLINE), () -> "the gateway should have closed the slow stream: " + slow);
        assertEquals(200, slow.status());
        List<SseEvent> slowGot = slow.events();
        assertEquals("connected", slowGot.get(0).type());
        List<SseEvent> beforeCut = slowGot.subList(1, slowGot.size());
        assertPublished(beforeCut, publishedIds, 0, "slow before the cut");
        int missed = publishedIds.size() - beforeCut.size();
        assertTrue(missed > MAX_LAG && missed <= HISTORY, () -> "the numbers must make the slow client resumable: it got "
                + beforeCut.size() + " of " + publishedIds.size() + " events, history keeps " + HISTORY);
        String lastEventId = slow.lastEventId();
        assertEquals(beforeCut.get(beforeCut.size() - 1).id(), lastEventId);

        // It reconnects with Last-Event-ID and gets exactly the events it missed, in order, then live events.
        long replayedBefore = metrics.replayed();
        SseTestClient resumed = closeLater(gateway.stream("/v1/events/stream?topic=" + TOPIC,
                Map.of("Last-Event-ID", lastEventId)));
        assertEquals("connected", resumed.awaitEvent(WAIT).type());
        assertPublished(resumed.awaitEvents(missed, WAIT), publishedIds, beforeCut.size(), "resumed");
        assertEquals(missed, metrics.replayed() - replayedBefore, "events replayed from history");

        // After the cut memory does not grow: publish more than one pool chunk's worth to both readers.
        long chunk = PooledByteBufAllocator.DEFAULT.metric().chunkSize();
        int after = (int) (2 * chunk / PAD.length()) / BATCH * BATCH;
        long peakAfterCut = 0;
        long pinnedAfterCut = 0;
        for (int i = 0; i < after; i += BATCH) {
            publishBatch(BATCH, 2);
            fast.awaitEvents(BATCH, WAIT);
            resumed.awaitEvents(BATCH, WAIT);
            peakAfterCut = Math.max(peakAfterCut, usedDirectMemory());
            pinnedAfterCut = Math.max(pinnedAfterCut, pinnedDirectMemory());
        }
        assertPublished(resumed.events().subList(1 + missed, resumed.events().size()), publishedIds, publishedBeforeCut,
                "resumed, live");
        assertPublished(fast.events().subList(1, fast.events().size()), publishedIds, 0, "fast");
        assertEquals(1, metrics.slowConsumerDisconnects());

        // Bound. The gateway's working set here is small: history 200 x ~2 KiB = ~400 KiB, each stream's outbound
        // buffer at most its 64 KiB high watermark plus one frame (the lagging stream keeps only a cursor), one
        // publish body of 4 events, and the fan-out queues, drained as fast as one publisher fills them. The pool
        // reserves memory a chunk at a time (4 MiB in Netty 4.2), per arena (2 x cores of them by default), so growth
        // is at most one chunk per arena above the baseline even if every arena needed a fresh one.
        // The baseline (taken with both streams open) includes chunks left by this JVM's earlier test classes, so
        // the absolute bound is looser: 64 MiB. A gateway buffering everything a stream could not send would hold
        // up to the whole 20,000-event loop bound (~40 MiB) less what the kernel took, past the growth bound.
        // Memory held by live buffers is measured to the byte (rounded to the pool's size classes): history is
        // ~200 x 2.1 KiB; the streams' outbound buffers hold duplicates of frames history also holds, except those
        // already evicted (at most a high watermark's worth, 64 KiB, per stream); plus a publish body and the
        // channels' read buffers (at most 64 KiB each). 2 MiB covers that several times over; after the cut it must
        // not grow by more than such transient buffers (256 KiB), although twice a chunk's worth is published.
        long bound = 64L << 20;
        long growthBound = PooledByteBufAllocator.DEFAULT.metric().numDirectArenas() * chunk;
        long liveBound = 2L << 20;
        long liveSlack = 256L << 10;
        String memory = "pooled direct memory: baseline " + mib(baseline) + ", peak before the cut " + mib(peakBeforeCut)
                + ", peak after " + mib(peakAfterCut) + ", chunk " + mib(chunk) + ", growth bound " + mib(growthBound)
                + "; " + publishedBeforeCut + " events published until the cut, slow client got " + beforeCut.size()
                + ", missed " + missed + "; held by live buffers: baseline " + kib(pinnedBaseline) + ", peak before the cut "
                + kib(pinnedBeforeCut) + ", peak after " + kib(pinnedAfterCut);
        System.out.println("SlowConsumerTest: " + memory);
        assertTrue(peakBeforeCut < bound, memory);
        assertTrue(peakBeforeCut - baseline <= growthBound, memory);
        assertTrue(peakAfterCut <= peakBeforeCut + chunk, "memory grew after the cut: " + memory);
        assertTrue(pinnedBeforeCut - pinnedBaseline < liveBound, memory);
        assertTrue(pinnedAfterCut <= pinnedBeforeCut + liveSlack, "live buffers grew after the cut: " + memory);
    }

    @Test
    void streamThatStopsReadingDoesNotDelayTheOthersAndCatchesUpWhenItReadsAgain() {
        gateway = GatewayFixture.start("--history-size=5000", "--max-stream-lag=5000");
        CountingMetrics metrics = gateway.server().metrics();
        publisher = closeLater(HttpConnection.open(GatewayFixture.HOST, gateway.port()));
        SseTestClient fast = closeLater(openStream(gateway, "/v1/events/stream?topic=" + TOPIC));
        SseTestClient stuck = closeLater(SseTestClient.builder(GatewayFixture.HOST, gateway.port(),
                "/v1/events/stream?topic=" + TOPIC).receiveBufferSize(4096).startPaused().connect());
        Await.until(() -> metrics.openStreams() == 2, WAIT, () -> "both streams subscribed, open: " + metrics.openStreams());

        // Publish until the stuck stream is well behind: its live deliveries stop being counted while the fast
        // stream's go on. Every batch must reach the fast client promptly meanwhile.
        Duration prompt = Duration.ofSeconds(5);
        while (metrics.delivered() > 2L * publishedIds.size() - 50) {
            assertTrue(publishedIds.size() < MAX_EVENTS, () -> "the stuck stream never fell behind after "
                    + publishedIds.size() + " events; delivered " + metrics.delivered());
            publishBatch(BATCH, 2);
            fast.awaitEvents(BATCH, prompt);
        }
        for (int i = 0; i < 200; i += BATCH) {
            publishBatch(BATCH, 2);
            fast.awaitEvents(BATCH, prompt);
        }
        assertPublished(fast.events().subList(1, fast.events().size()), publishedIds, 0, "fast");
        assertEquals(0, metrics.slowConsumerDisconnects());
        assertEquals(2, metrics.openStreams());
        assertNull(stuck.closeReason());

        // Reading again, it catches up from history: every event once, in order, without a reconnect.
        stuck.resumeReading();
        assertEquals(200, stuck.status());
        assertEquals("connected", stuck.awaitEvent(WAIT).type());
        assertPublished(stuck.awaitEvents(publishedIds.size(), DEADLINE), publishedIds, 0, "stuck");
        assertTrue(metrics.replayed() > 0, "the stuck stream lagged and caught up from history");
        publishBatch(BATCH, 2);
        assertPublished(stuck.awaitEvents(BATCH, WAIT), publishedIds, publishedIds.size() - BATCH, "stuck, live again");
        assertNull(stuck.closeReason());
        assertEquals(0, metrics.slowConsumerDisconnects());
    }

    private static String kib(long bytes) {
        return (bytes >> 10) + " KiB";
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
