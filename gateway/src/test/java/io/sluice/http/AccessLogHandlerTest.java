package io.sluice.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.sluice.api.CloseReason;
import io.sluice.auth.Principal;
import io.sluice.config.SluiceConfig;
import io.sluice.testing.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link AccessLogHandler} in an {@link EmbeddedChannel}, with requests and responses as Netty objects: which
 * response goes with which request, what counts as the end, whose user is logged, and what a close logs.
 */
class AccessLogHandlerTest {
    private final LogCapture log = LogCapture.of(AccessLogHandler.LOGGER_NAME);
    /** Requests the "endpoint" behind the handler received, unanswered; it answers when the test says. */
    private final List<FullHttpRequest> received = new ArrayList<>();
    private final EmbeddedChannel channel = new EmbeddedChannel(new AccessLogHandler(SluiceConfig.AccessLog.TEXT),
            new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    received.add((FullHttpRequest) msg);
                }
            });

    @AfterEach
    void tearDown() {
        received.forEach(ReferenceCountUtil::release);
        channel.finishAndReleaseAll();
        log.close();
    }

    private static FullHttpRequest request(HttpMethod method, String uri) {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri);
    }

    private static DefaultFullHttpResponse response(HttpResponseStatus status, String body) {
        return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
    }

    private void writeResponse(Object msg) {
        channel.writeOutbound(msg);
        Object out;
        while ((out = channel.readOutbound()) != null) {
            ReferenceCountUtil.release(out);
        }
    }

    private String field(String line, String key) {
        for (String pair : line.split(" ")) {
            if (pair.startsWith(key + "=")) {
                return pair.substring(key.length() + 1);
            }
        }
        throw new AssertionError("no " + key + " in " + line);
    }

    @Test
    void pipelinedRequestsAreMatchedToTheirResponsesInOrder() {
        channel.writeInbound(request(HttpMethod.GET, "/a"));
        channel.writeInbound(request(HttpMethod.POST, "/b"));
        assertEquals(List.of(), log.messages());
        writeResponse(response(HttpResponseStatus.OK, "12345"));
        writeResponse(response(HttpResponseStatus.NOT_FOUND, "xy"));
        List<String> lines = log.messages();
        assertEquals(2, lines.size(), lines::toString);
        assertEquals(List.of("GET", "/a", "200", "5"), List.of(field(lines.get(0), "method"), field(lines.get(0), "path"),
                field(lines.get(0), "status"), field(lines.get(0), "bytes")));
        assertEquals(List.of("POST", "/b", "404", "2"), List.of(field(lines.get(1), "method"), field(lines.get(1), "path"),
                field(lines.get(1), "status"), field(lines.get(1), "bytes")));
    }

    @Test
    void chunkedResponseEndsAtItsLastContentAndCountsEveryPart() {
        channel.writeInbound(request(HttpMethod.GET, "/a"));
        writeResponse(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        writeResponse(new DefaultHttpContent(Unpooled.copiedBuffer("abc", StandardCharsets.UTF_8)));
        assertEquals(List.of(), log.messages());
        writeResponse(LastHttpContent.EMPTY_LAST_CONTENT);
        assertEquals("3", field(log.messages().get(0), "bytes"));
    }

    @Test
    void interimResponsesAreNotTheAnswer() {
        channel.writeInbound(request(HttpMethod.POST, "/p"));
        writeResponse(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        assertEquals(List.of(), log.messages());
        writeResponse(response(HttpResponseStatus.OK, "{}"));
        assertEquals("200", field(log.messages().get(0), "status"));
    }

    @Test
    void userIsTheOneAuthenticatedForThisRequest() {
        channel.writeInbound(request(HttpMethod.GET, "/a"));
        channel.attr(Principal.CHANNEL_ATTRIBUTE).set(new Principal("alice", false));
        writeResponse(response(HttpResponseStatus.OK, ""));
        channel.writeInbound(request(HttpMethod.GET, "/b"));
        writeResponse(response(HttpResponseStatus.UNAUTHORIZED, ""));
        List<String> lines = log.messages();
        assertEquals("alice", field(lines.get(0), "user"));
        assertEquals("-", field(lines.get(1), "user"), "the next request on the connection is not alice's");
    }

    @Test
    void responseWithoutRequestIsLoggedWithoutMethodOrPath() {
        writeResponse(response(HttpResponseStatus.REQUEST_TIMEOUT, ""));
        String line = log.messages().get(0);
        assertEquals(List.of("-", "-", "408"), List.of(field(line, "method"), field(line, "path"), field(line, "status")));
    }

    @Test
    void requestUnansweredWhenTheConnectionClosesIsLoggedWithTheReason() {
        channel.writeInbound(request(HttpMethod.POST, "/slow"));
        channel.close();
        String line = log.messages().get(0);
        assertEquals(List.of("/slow", "-", "client-closed"),
                List.of(field(line, "path"), field(line, "status"), field(line, "close")));
    }

    @Test
    void streamIsLoggedWhenItClosesWithTheMarkedReasonAndNoByteCount() {
        channel.writeInbound(request(HttpMethod.GET, "/v1/events/stream?topic=t&access_token=x"));
        DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set("Content-Type", "text/event-stream; charset=utf-8");
        writeResponse(head);
        assertEquals(List.of(), log.messages());
        CloseReason.mark(channel, CloseReason.TOKEN_EXPIRED);
        CloseReason.mark(channel, CloseReason.SERVER_CLOSED);
        channel.close();
        String line = log.messages().get(0);
        assertEquals(List.of("/v1/events/stream?topic=t&access_token=[redacted]", "200", "-", "token-expired"),
                List.of(field(line, "path"), field(line, "status"), field(line, "bytes"), field(line, "close")));
        assertFalse(line.contains("=x"), line);
        assertTrue(line.startsWith("time="), line);
    }
}
