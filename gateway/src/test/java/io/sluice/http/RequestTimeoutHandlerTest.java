package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.sluice.api.HttpResponses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link RequestTimeoutHandler} between a real {@link HttpServerCodec} and an aggregator, on an
 * {@link EmbeddedChannel} with frozen time: header timeout 300ms, idle timeout 1s. Exact response bytes.
 */
class RequestTimeoutHandlerTest {
    private static final String OK = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n"
            + "cache-control: no-store\r\n\r\n{}";
    private static final String GET = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

    private EmbeddedChannel channel;
    /** The request the responder holds back (path {@code /slow}), answered by the test. */
    private FullHttpRequest held;
    private ChannelHandlerContext heldCtx;

    @BeforeEach
    void setUp() {
        channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(PipelineNames.HTTP_CODEC, new HttpServerCodec());
        channel.pipeline().addLast(PipelineNames.REQUEST_TIMEOUT,
                new RequestTimeoutHandler(Duration.ofMillis(300), Duration.ofSeconds(1)));
        channel.pipeline().addLast(new HttpObjectAggregator(1024));
        channel.pipeline().addLast(new SimpleChannelInboundHandler<FullHttpRequest>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                if (request.uri().equals("/slow")) {
                    held = request.retain();
                    heldCtx = ctx;
                } else {
                    HttpResponses.json(ctx, request, HttpResponseStatus.OK, "{}".getBytes(StandardCharsets.UTF_8));
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                // the aggregator reports a body cut short by the close; the router logs it (RequestRouter)
                assertTrue(cause instanceof PrematureChannelClosureException, cause::toString);
            }
        });
    }

    @AfterEach
    void tearDown() {
        if (held != null) {
            held.release();
        }
        channel.close();
        readAll();
        assertFalse(channel.finish());
    }

    private void send(String bytes) {
        channel.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.US_ASCII));
    }

    /** Advances the channel's clock and runs what became due. */
    private void advance(long millis) {
        channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        channel.runPendingTasks();
    }

    private String readAll() {
        StringBuilder out = new StringBuilder();
        Object o;
        while ((o = channel.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) o;
            out.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return out.toString();
    }

    private static String timeout408(String message) {
        String body = "{\"error\":{\"code\":\"request_timeout\",\"message\":\"" + message + "\"}}";
        return "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: " + body.length()
                + "\r\ncache-control: no-store\r\nconnection: close\r\n\r\n" + body;
    }

    private static final String HEAD_408 = timeout408(
            "request headers: not complete within requestHeaderTimeout (300ms); the connection is closed");

    @Test
    void silentNewConnectionIsAnswered408AtTheHeaderTimeout() {
        advance(299);
        assertTrue(channel.isOpen());
        assertEquals("", readAll());
        advance(1);
        assertEquals(HEAD_408, readAll());
        assertFalse(channel.isOpen());
    }

    @Test
    void tricklingHeaderBytesDoNotExtendTheDeadline() {
        send("GET / HTTP/1.1\r\n");
        advance(200);
        send("Host: x\r\n");
        advance(99);
        send("X-A: 1\r\n");
        assertTrue(channel.isOpen());
        advance(1);
        assertEquals(HEAD_408, readAll());
        assertFalse(channel.isOpen());
    }

    @Test
    void idleKeepAliveConnectionClosesSilentlyAfterIdleTimeoutFromTheResponse() {
        advance(250);
        send(GET);
        assertEquals(OK, readAll());
        advance(999);
        assertTrue(channel.isOpen(), "the header timeout from connect no longer applies; idle time runs from the response");
        advance(1);
        assertFalse(channel.isOpen());
        assertEquals("", readAll(), "closed without a response");
    }

    @Test
    void secondRequestHeadGetsTheHeaderTimeoutFromItsFirstBytes() {
        send(GET);
        assertEquals(OK, readAll());
        advance(900);
        send("GET / HT");
        advance(299);
        assertTrue(channel.isOpen(), "the idle deadline (1s) passed, but a request head is arriving");
        advance(1);
        assertEquals(HEAD_408, readAll());
        assertFalse(channel.isOpen());
    }

    @Test
    void keepAliveServesManyRequestsEachWithinItsTimeouts() {
        send(GET);
        assertEquals(OK, readAll());
        for (int i = 0; i < 5; i++) {
            advance(900);
            send(GET);
            assertEquals(OK, readAll());
        }
        send(GET + GET);
        assertEquals(OK + OK, readAll(), "pipelined requests in one read");
        advance(999);
        assertTrue(channel.isOpen());
        advance(1);
        assertFalse(channel.isOpen());
    }

    @Test
    void bodyBytesKeepARequestAliveAndAStalledBodyGets408() {
        send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
        advance(900);
        send("def");
        advance(900);
        assertTrue(channel.isOpen(), "body bytes arrived within each idle timeout");
        advance(99);
        assertTrue(channel.isOpen());
        advance(1);
        assertEquals(timeout408("body: no bytes received for idleTimeout (1s); the connection is closed"), readAll());
        assertFalse(channel.isOpen());
    }

    @Test
    void noTimeoutWhileTheServerWorksOnARequest() {
        send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        advance(10_000);
        assertTrue(channel.isOpen());
        assertEquals("", readAll());
        HttpResponses.json(heldCtx, held, HttpResponseStatus.OK, "{}".getBytes(StandardCharsets.UTF_8));
        assertEquals(OK, readAll());
        advance(999);
        assertTrue(channel.isOpen());
        advance(1);
        assertFalse(channel.isOpen());
    }

    @Test
    void partialHeadArrivingWhileTheServerWorksGetsTheHeaderTimeoutOnceAnswered() {
        send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        send("GET / HTTP/1.1\r\n");
        advance(5_000);
        HttpResponses.json(heldCtx, held, HttpResponseStatus.OK, "{}".getBytes(StandardCharsets.UTF_8));
        assertEquals(OK, readAll());
        advance(299);
        assertTrue(channel.isOpen());
        advance(1);
        assertEquals(HEAD_408, readAll());
    }

    @Test
    void removingTheHandlerCancelsItsTimer() {
        channel.pipeline().remove(PipelineNames.REQUEST_TIMEOUT);
        advance(60_000);
        assertTrue(channel.isOpen());
        assertEquals("", readAll());
    }

    @Test
    void nothingIsServedAfterATimeoutFired() {
        send("GET / HTTP/1.1\r\n");
        advance(300);
        assertEquals(HEAD_408, readAll());
        assertFalse(channel.isOpen());
    }

    @Test
    void durationsAreShownInConfigSyntax() {
        assertEquals("300ms", RequestTimeoutHandler.format(Duration.ofMillis(300)));
        assertEquals("10s", RequestTimeoutHandler.format(Duration.ofSeconds(10)));
        assertEquals("1500ms", RequestTimeoutHandler.format(Duration.ofMillis(1500)));
    }
}
