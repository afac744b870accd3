package io.sluice.api;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;

import java.util.Map;

/**
 * Writes complete (non-stream) responses with keep-alive handled in one place. Call on the channel's loop.
 *
 * <p>Keep-alive: the connection stays open when the request allows it (HTTP/1.1 by default, HTTP/1.0 with
 * {@code Connection: keep-alive}) and {@code forceClose} is false; otherwise the response says
 * {@code Connection: close} and, once it is written, the channel closes: through the pipeline's
 * {@link LingeringClose} when it has one (a client still writing its body reads the answer, never a reset), else at
 * once.
 */
public final class HttpResponses {
    private static final CharSequence JSON = "application/json";
    /** Set once the connection is to close after the response in progress; see {@link #isClosing}. */
    private static final AttributeKey<Boolean> CLOSING = AttributeKey.valueOf("sluice.http.closing");

    private HttpResponses() {
    }

    /**
     * The head of a text/event-stream response (CONTRACT §2). The body is close-delimited: no chunk framing, so
     * each frame goes out as the shared buffer itself, and ending a stream always closes its connection
     * (CONTRACT §8).
     */
    public static HttpResponse eventStreamHead(HttpVersion version) {
        HttpResponse response = new DefaultHttpResponse(version, HttpResponseStatus.OK);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE)
                .set("X-Accel-Buffering", "no")
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return response;
    }

    public static void json(ChannelHandlerContext ctx, HttpRequest request, HttpResponseStatus status, byte[] body) {
        send(ctx, request, status, JSON, Unpooled.wrappedBuffer(body), false, null);
    }

    /** The §6 error body {@code {"error":{"code","message"}}}. */
    public static void error(ChannelHandlerContext ctx, HttpRequest request, ApiError error, String message,
                             boolean forceClose, ResponseCustomizer customizer) {
        byte[] body = errorBody(error, message);
        send(ctx, request, error.status(), JSON, Unpooled.wrappedBuffer(body), forceClose, customizer);
    }

    public static byte[] errorBody(ApiError error, String message) {
        return Json.write(g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("error");
            g.writeStringField("code", error.code());
            g.writeStringField("message", message);
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    /**
     * Sends a full response. Takes ownership of {@code content}.
     *
     * @param request the request answered, or null when it could not be decoded (then the connection closes)
     */
    public static void send(ChannelHandlerContext ctx, HttpRequest request, HttpResponseStatus status,
                            CharSequence contentType, ByteBuf content, boolean forceClose,
                            ResponseCustomizer customizer) {
        HttpVersion version = request != null ? request.protocolVersion() : HttpVersion.HTTP_1_1;
        FullHttpResponse response = new DefaultFullHttpResponse(version, status, content);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .set(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes())
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        if (customizer != null) {
            customizer.customize(response);
        }
        finish(ctx, request, response, forceClose);
    }

    /**
     * Sends {@code 204 No Content}: no body, and no Content-Type or Content-Length (RFC 9110 §8.6 forbids the
     * latter on a 204).
     */
    public static void noContent(ChannelHandlerContext ctx, HttpRequest request, boolean forceClose,
                                 ResponseCustomizer customizer) {
        withoutBody(ctx, request, HttpResponseStatus.NO_CONTENT, forceClose, customizer);
    }

    /**
     * Sends {@code 304 Not Modified}: no body, and no Content-Length, which on a 304 would describe the
     * representation not sent (RFC 9110 §15.4.5); {@code customizer} adds the validators.
     */
    public static void notModified(ChannelHandlerContext ctx, HttpRequest request, ResponseCustomizer customizer) {
        withoutBody(ctx, request, HttpResponseStatus.NOT_MODIFIED, false, customizer);
    }

    private static void withoutBody(ChannelHandlerContext ctx, HttpRequest request, HttpResponseStatus status,
                                    boolean forceClose, ResponseCustomizer customizer) {
        FullHttpResponse response = new DefaultFullHttpResponse(request.protocolVersion(), status, Unpooled.EMPTY_BUFFER);
        if (customizer != null) {
            customizer.customize(response);
        }
        finish(ctx, request, response, forceClose);
    }

    private static void finish(ChannelHandlerContext ctx, HttpRequest request, FullHttpResponse response,
                               boolean forceClose) {
        HttpVersion version = response.protocolVersion();
        boolean keepAlive = !forceClose && request != null && HttpUtil.isKeepAlive(request);
        if (keepAlive) {
            if (version.equals(HttpVersion.HTTP_1_0)) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
            ctx.writeAndFlush(response, ctx.voidPromise());
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            markClosing(ctx.channel());
            LingeringClose lingering = lingeringCloseOf(ctx.pipeline());
            ctx.writeAndFlush(response).addListener(lingering == null ? ChannelFutureListener.CLOSE : f -> {
                if (f.isSuccess()) {
                    lingering.lingerThenClose(ctx);
                } else {
                    ctx.close();
                }
            });
        }
    }

    /** The pipeline's {@link LingeringClose} handler, or null. */
    private static LingeringClose lingeringCloseOf(ChannelPipeline pipeline) {
        for (Map.Entry<String, ChannelHandler> handler : pipeline) {
            if (handler.getValue() instanceof LingeringClose lingering) {
                return lingering;
            }
        }
        return null;
    }

    /**
     * Whether {@code channel} closes after the response in progress (sent or still to come). Requests the decoder
     * still delivers after it (pipelined in the same read, or smuggled behind a refused head) must be dropped
     * unanswered and unrun: the client was told the connection ends, so it never reads their answers. Call on
     * the channel's loop.
     */
    public static boolean isClosing(Channel channel) {
        return channel.hasAttr(CLOSING);
    }

    /** Records that {@code channel} closes after the response in progress. Call on the channel's loop. */
    public static void markClosing(Channel channel) {
        channel.attr(CLOSING).set(Boolean.TRUE);
    }

    /** Adds headers to a response before it is sent (Allow, Retry-After, CORS …). */
    @FunctionalInterface
    public interface ResponseCustomizer {
        void customize(FullHttpResponse response);
    }
}
