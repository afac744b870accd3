package io.sluice.stream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.sluice.api.CloseReason;
import io.sluice.api.Json;
import io.sluice.sse.SseFrames;

/**
 * The ways the gateway ends a stream on purpose, side by side. Each writes a last frame (a {@code retry:} line and a
 * comment saying why, or a {@code disconnect} event), marks the {@link CloseReason} and closes the connection (CONTRACT
 * §8: ending a stream always closes it), so the client reconnects, to this node or another, or stops. They differ only
 * in when the connection closes:
 * <ul>
 *   <li>{@link #afterRetryIsWritten}: once the frame is on the socket. For a stream the gateway lets go of though
 *       nothing is wrong with it (drain, lifetime): its client must learn the retry delay, or it would reconnect at
 *       once, all together.</li>
 *   <li>{@link #atOnce} and {@link #disconnected}: now, whether or not the frame got out. For a stream that must not
 *       read one more event (its token expired, its user was disconnected): a socket that stopped draining would
 *       otherwise hold the connection open until the frame was written. A client that is reading still gets the frame
 *       (the flush writes it before the FIN); one that is not falls back on the {@code retry:} it got with
 *       {@code connected}.</li>
 * </ul>
 * Call on the stream's event loop with the stream handler's context; a stream already closed is left alone.
 */
final class StreamEnd {
    /** The event a disconnected stream gets last (CONTRACT §11). */
    static final String DISCONNECT_EVENT = "disconnect";

    private StreamEnd() {
    }

    static void afterRetryIsWritten(ChannelHandlerContext streamCtx, long retryMillis, String why, CloseReason reason) {
        if (!streamCtx.channel().isActive()) {
            return;
        }
        CloseReason.mark(streamCtx.channel(), reason);
        streamCtx.writeAndFlush(SseFrames.retryAndComment(streamCtx.alloc(), retryMillis, why))
                .addListener(ChannelFutureListener.CLOSE);
    }

    static void atOnce(ChannelHandlerContext streamCtx, long retryMillis, String why, CloseReason reason) {
        if (streamCtx.channel().isActive()) {
            closeAfter(streamCtx, SseFrames.retryAndComment(streamCtx.alloc(), retryMillis, why), reason);
        }
    }

    /**
     * The stream's user was disconnected (CONTRACT §11): {@code event: disconnect} with
     * {@code data: {"reason":…,"reconnect":…}} and no id, after a {@code retry:} line when the client may reconnect;
     * then the connection closes at once, as {@link #atOnce}. Close reason {@link CloseReason#DISCONNECTED}.
     *
     * @param retryMillis the delay to reconnect after when {@code reconnect}; ignored otherwise
     */
    static void disconnected(ChannelHandlerContext streamCtx, String why, boolean reconnect, long retryMillis) {
        if (!streamCtx.channel().isActive()) {
            return;
        }
        String json = Json.writeString(g -> {
            g.writeStartObject();
            g.writeStringField("reason", why);
            g.writeBooleanField("reconnect", reconnect);
            g.writeEndObject();
        });
        closeAfter(streamCtx, SseFrames.systemEvent(streamCtx.alloc(), reconnect ? retryMillis : -1, DISCONNECT_EVENT,
                json), CloseReason.DISCONNECTED);
    }

    private static void closeAfter(ChannelHandlerContext streamCtx, ByteBuf lastFrame, CloseReason reason) {
        CloseReason.mark(streamCtx.channel(), reason);
        streamCtx.writeAndFlush(lastFrame, streamCtx.voidPromise());
        streamCtx.channel().close();
    }
}
