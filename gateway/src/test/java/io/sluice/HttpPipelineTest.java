package io.sluice;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.sluice.auth.OpenAccessPolicy;
import io.sluice.backplane.LocalBackplane;
import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import io.sluice.fanout.FanoutCore;
import io.sluice.http.AccessLogHandler;
import io.sluice.http.PipelineNames;
import io.sluice.metrics.CountingMetrics;
import io.sluice.presence.PresenceHub;
import io.sluice.presence.PresenceTopics;
import io.sluice.testing.IdleDashboard;
import io.sluice.testing.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The production pipeline ({@link Endpoints#publicInitializer()}) on {@link EmbeddedChannel}s: exact
 * response bytes for routing, errors and limits, the switch to the stream pipeline, and flow control
 * through the stream handler. Streams and publishers share one fan-out on the stream channel's loop.
 */
class HttpPipelineTest {
    private final CountingMetrics metrics = new CountingMetrics();
    private SluiceConfig config;
    private EmbeddedChannel streamChannel;
    private FanoutCore core;
    private Endpoints endpoints;
    private String notReady;

    @BeforeEach
    void setUp() {
        config = ConfigLoader.load(new String[] {"--max-body-bytes=256", "--max-event-bytes=128",
            "--max-header-size=1KiB", "--max-initial-line-length=256", "--history-size=4", "--max-stream-lag=3"},
                Map.of()).config();
        streamChannel = new EmbeddedChannel();
        core = new FanoutCore(streamChannel.eventLoop(), config.historySize(), 1024,
                config.heartbeatInterval().toNanos(), metrics);
        LocalBackplane backplane = new LocalBackplane(core);
        endpoints = new Endpoints(config, core, OpenAccessPolicy.INSTANCE, backplane, metrics,
                () -> notReady, () -> notReady, new DefaultChannelGroup(ImmediateEventExecutor.INSTANCE),
                IdleDashboard.on(streamChannel.eventLoop()),
                PresenceHub.start(PresenceTopics.of(List.of()), streamChannel.eventLoop(), PooledByteBufAllocator.DEFAULT,
                        backplane.control()));
        streamChannel.pipeline().addLast(endpoints.publicInitializer());
    }

    @AfterEach
    void tearDown() {
        streamChannel.close();
        readAll(streamChannel);
        assertFalse(streamChannel.finish());
        core.release();
    }

    private EmbeddedChannel newHttpChannel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(endpoints.publicInitializer());
        return ch;
    }

    private static String exchange(EmbeddedChannel ch, String request) {
        ch.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.UTF_8));
        return readAll(ch);
    }

    private static String readAll(EmbeddedChannel ch) {
        ch.runPendingTasks();
        StringBuilder out = new StringBuilder();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) o;
            out.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return out.toString();
    }

    private static String jsonResponse(String status, String body, boolean close) {
        return "HTTP/1.1 " + status + "\r\ncontent-type: application/json\r\ncontent-length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\ncache-control: no-store\r\n"
                + (close ? "connection: close\r\n" : "") + "\r\n" + body;
    }

    private static String post(String path, String contentType, String body) {
        return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: " + contentType + "\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    private String publish(String body) {
        EmbeddedChannel publisher = newHttpChannel();
        try {
            return exchange(publisher, post("/v1/publish", "application/json", body));
        } finally {
            publisher.finishAndReleaseAll();
        }
    }

    private String openStream(String query) {
        String head = exchange(streamChannel, "GET /v1/events/stream?" + query + " HTTP/1.1\r\nHost: x\r\n"
                + "Accept: text/event-stream\r\n\r\n");
        // the stream handler first, so fan-out writes reach the socket directly; the access log only watches the close
        assertEquals(List.of(PipelineNames.STREAM, PipelineNames.ACCESS_LOG, "DefaultChannelPipeline$TailContext#0"),
                streamChannel.pipeline().names());
        return head;
    }

    @Test
    void streamResponseHeadThenRetryAndConnectedWithoutId() {
        String head = openStream("topic=orders&topic=orders&topic=b");
        String expectedHead = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
                + "cache-control: no-cache\r\nX-Accel-Buffering: no\r\nconnection: close\r\n\r\n"
                + "retry: 3000\nevent: connected\ndata: {\"connectionId\":\"";
        assertTrue(head.startsWith(expectedHead), head);
        assertTrue(head.endsWith("\",\"topics\":[\"orders\",\"b\",\"broadcast\"]}\n\n"), head);
        assertEquals(1, metrics.openStreams());
    }

    @Test
    void publishedEventReachesTheStreamWithExactBytes() {
        openStream("topic=orders");
        String response = publish("{\"topic\":\"orders\",\"type\":\"order:created\",\"data\":{\"n\":1}}");
        long id = core.lastAssignedId();
        assertEquals(jsonResponse("200 OK", "{\"ids\":[\"" + id + "\"],\"sent\":1}", false), response);
        assertEquals("id: " + id + "\nevent: order:created\ndata: {\"n\":1}\n\n", readAll(streamChannel));
    }

    @Test
    void streamHandlerLagsWhileUnwritableAndCatchesUpInOrder() {
        openStream("topic=t");
        streamChannel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        publish("[{\"topic\":\"t\",\"data\":\"a\"},{\"topic\":\"t\",\"data\":\"b\"}]");
        long last = core.lastAssignedId();
        assertEquals("", readAll(streamChannel));
        streamChannel.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        assertEquals("id: " + (last - 1) + "\ndata: a\n\nid: " + last + "\ndata: b\n\n", readAll(streamChannel));
        assertTrue(streamChannel.isOpen());
    }

    @Test
    void streamBeyondItsLagIsClosedAsSlowConsumer() {
        try (LogCapture access = LogCapture.of(AccessLogHandler.LOGGER_NAME)) {
            openStream("topic=t");
            streamChannel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
            publish("[{\"topic\":\"t\",\"data\":1},{\"topic\":\"t\",\"data\":2},{\"topic\":\"t\",\"data\":3},"
                    + "{\"topic\":\"t\",\"data\":4}]");
            readAll(streamChannel);
            assertFalse(streamChannel.isOpen());
            assertEquals(1, metrics.slowConsumerDisconnects());
            assertEquals(0, metrics.openStreams());
            String streamLine = access.messages().stream().filter(l -> l.contains("path=/v1/events/stream"))
                    .findFirst().orElseThrow(() -> new AssertionError("no stream line in " + access.messages()));
            assertTrue(streamLine.endsWith(" close=slow-consumer"), streamLine);
        }
    }

    @Test
    void lastEventIdReplaysRetainedEventsAfterIt() {
        publish("[{\"topic\":\"t\",\"data\":1},{\"topic\":\"t\",\"data\":2},{\"topic\":\"t\",\"data\":3}]");
        long last = core.lastAssignedId();
        readAll(streamChannel);
        String replay = exchange(streamChannel, "GET /v1/events/stream?topic=t HTTP/1.1\r\nLast-Event-ID: "
                + (last - 2) + "\r\n\r\n");
        assertTrue(replay.endsWith("\n\nid: " + (last - 1) + "\ndata: 2\n\nid: " + last + "\ndata: 3\n\n"), replay);
        assertEquals(2, metrics.replayed());
    }

    @Test
    void garbageLastEventIdGetsResetAndNoReplay() {
        publish("{\"topic\":\"t\",\"data\":1}");
        readAll(streamChannel);
        String out = exchange(streamChannel, "GET /v1/events/stream?topic=t&lastEventId=nope HTTP/1.1\r\n\r\n");
        assertTrue(out.endsWith("\n\nevent: reset\ndata: {\"reason\":\"history-unavailable\",\"lastEventId\":\"nope\"}\n\n"),
                out);
    }

    @Test
    void errorsAreJsonNamingTheField() {
        EmbeddedChannel ch = newHttpChannel();
        assertEquals(jsonResponse("404 Not Found",
                "{\"error\":{\"code\":\"not_found\",\"message\":\"no endpoint at /nope\"}}", false),
                exchange(ch, "GET /nope HTTP/1.1\r\n\r\n"));
        String notAllowed = exchange(ch, "DELETE /v1/events HTTP/1.1\r\n\r\n");
        assertTrue(notAllowed.startsWith("HTTP/1.1 405 Method Not Allowed\r\n"), notAllowed);
        assertTrue(notAllowed.contains("\r\nallow: GET\r\n"), notAllowed);
        assertEquals(jsonResponse("400 Bad Request", "{\"error\":{\"code\":\"invalid_request\",\"message\":"
                + "\"limit: '-1' must be a whole number from 0 to 1000\"}}", false),
                exchange(ch, "GET /v1/events?topic=a&limit=-1 HTTP/1.1\r\n\r\n"));
        assertEquals(jsonResponse("400 Bad Request", "{\"error\":{\"code\":\"invalid_request\",\"message\":"
                + "\"topic: at least one is required, e.g. ?topic=orders\"}}", false),
                exchange(ch, "GET /v1/events/stream HTTP/1.1\r\n\r\n"));
        assertEquals(jsonResponse("413 Request Entity Too Large", "{\"error\":{\"code\":\"too_large\",\"message\":"
                + "\"data: 129 bytes exceeds maxEventBytes (128)\"}}", false),
                exchange(ch, post("/v1/publish", "application/json",
                        "{\"topic\":\"t\",\"data\":\"" + "x".repeat(129) + "\"}")));
        assertTrue(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void bodyOverMaxBodyBytesIsRefusedBeforeItArrivesAndTheConnectionCloses() {
        EmbeddedChannel ch = newHttpChannel();
        String response = exchange(ch, "POST /v1/publish HTTP/1.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100000\r\n\r\n");
        assertEquals(jsonResponse("413 Request Entity Too Large", "{\"error\":{\"code\":\"too_large\",\"message\":"
                + "\"body: larger than maxBodyBytes (256 bytes)\"}}", true), response);
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void oversizedHeadersAre431AndLongRequestLineIs400ThenClose() {
        EmbeddedChannel ch = newHttpChannel();
        String r = exchange(ch, "GET /healthz HTTP/1.1\r\nX-Big: " + "a".repeat(2000) + "\r\n\r\n");
        assertEquals(jsonResponse("431 Request Header Fields Too Large", "{\"error\":{\"code\":\"invalid_request\","
                + "\"message\":\"headers: larger than maxHeaderSize (1024 bytes)\"}}", true), r);
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();

        EmbeddedChannel ch2 = newHttpChannel();
        String r2 = exchange(ch2, "GET /" + "a".repeat(400) + " HTTP/1.1\r\n\r\n");
        assertEquals(jsonResponse("400 Bad Request", "{\"error\":{\"code\":\"invalid_request\","
                + "\"message\":\"request line: longer than maxInitialLineLength (256 bytes)\"}}", true), r2);
        assertFalse(ch2.isOpen());
        ch2.finishAndReleaseAll();
    }

    /** RequestHead: a body framing the gateway cannot trust is refused, and what follows it never runs. */
    @Test
    void smuggledRequestBehindARefusedTransferEncodingIsNeverRun() {
        EmbeddedChannel ch = newHttpChannel();
        long published = metrics.published();
        String r = exchange(ch, "POST /v1/publish HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"
                + post("/v1/publish", "application/json", "{\"topic\":\"t\",\"data\":1}"));
        assertEquals(jsonResponse("400 Bad Request", "{\"error\":{\"code\":\"invalid_request\",\"message\":"
                + "\"Transfer-Encoding: 'gzip' is not accepted; send the body with Content-Length or as one chunked coding\"}}",
                true), r);
        assertEquals(published, metrics.published(), "nothing published");
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void unsupportedVersionIs505AndARequestBehindConnectionCloseIsDropped() {
        EmbeddedChannel ch = newHttpChannel();
        assertEquals(jsonResponse("505 HTTP Version Not Supported", "{\"error\":{\"code\":\"invalid_request\","
                + "\"message\":\"request line: HTTP/2.0 is not supported; use HTTP/1.1\"}}", true),
                exchange(ch, "GET /healthz HTTP/2.0\r\n\r\n"));
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();

        EmbeddedChannel pipelined = newHttpChannel();
        long published = metrics.published();
        String r = exchange(pipelined, post("/v1/publish", "application/json", "{\"topic\":\"t\",\"data\":1}")
                .replace("Host: x\r\n", "Host: x\r\nConnection: close\r\n")
                + post("/v1/publish", "application/json", "{\"topic\":\"t\",\"data\":2}"));
        assertEquals(jsonResponse("200 OK", "{\"ids\":[\"" + core.lastAssignedId() + "\"],\"sent\":0}", true), r);
        assertEquals(published + 1, metrics.published(), "only the first publish ran");
        pipelined.finishAndReleaseAll();
    }

    @Test
    void fullFanoutQueueRefusesThePublishWith503AndRetryAfterThenRecovers() {
        EmbeddedChannel publisher = newHttpChannel();
        String event = post("/v1/publish", "application/json", "{\"topic\":\"t\",\"data\":1}");
        for (int i = 0; i < 1024; i++) {
            assertTrue(exchange(publisher, event).startsWith("HTTP/1.1 200 OK\r\n"), "publish " + i);
        }
        long lastAccepted = core.lastAssignedId();
        String refused = exchange(publisher, event);
        assertTrue(refused.startsWith("HTTP/1.1 503 Service Unavailable\r\n"), refused);
        assertTrue(refused.contains("\r\nretry-after: 1\r\n"), refused);
        assertTrue(refused.endsWith("{\"error\":{\"code\":\"unavailable\",\"message\":"
                + "\"publish not accepted: fan-out queues are full; retry shortly\"}}"), refused);
        assertEquals(lastAccepted, core.lastAssignedId(), "a refused publish is not committed");
        streamChannel.runPendingTasks();
        assertTrue(exchange(publisher, event).startsWith("HTTP/1.1 200 OK\r\n"), "accepted again once drained");
        assertTrue(publisher.isOpen());
        publisher.finishAndReleaseAll();
    }

    @Test
    void readinessFollowsTheSupplier() {
        EmbeddedChannel ch = newHttpChannel();
        assertEquals(jsonResponse("200 OK", "{\"status\":\"ready\"}", false), exchange(ch, "GET /readyz HTTP/1.1\r\n\r\n"));
        notReady = "draining";
        String r = exchange(ch, "GET /readyz HTTP/1.1\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 503 Service Unavailable\r\n"), r);
        assertTrue(r.contains("retry-after: 1\r\n"), r);
        assertTrue(r.endsWith("{\"error\":{\"code\":\"unavailable\",\"message\":\"not ready: draining\"}}"), r);
        ch.finishAndReleaseAll();
    }
}
