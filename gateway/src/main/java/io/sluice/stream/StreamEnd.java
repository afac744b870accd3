package io.sluice.stream;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.sluice.api.CloseReason;
import io.sluice.sse.SseFrames;

/**
 * The two ways the gateway ends a stream on purpose, side by side. Both write {@code retry: <millis>} and a comment
 * saying why, mark the {@link CloseReason} and close the connection (CONTRACT §8: ending a stream always closes it),
 * so the client reconnects, to this node or another. They differ only in when the connection closes:
 * <ul>
 *   <li>{@link #afterRetryIsWritten}: once the frame is on the socket. For a stream the gateway lets go of though
 *       nothing is wrong with it (drain, lifetime): its client must learn the retry delay, or it would reconnect at
 *       once, all together.</li>
 *   <li>{@link #atOnce}: now, whether or not the frame got out. For a stream that must not read one more event
 *       (its token expired): a socket that stopped draining would otherwise hold the connection open until the
 *       frame was written. A client that is reading still gets the frame (the flush writes it before the FIN); one
 *       that is not falls back on the {@code retry:} it got with {@code connected}.</li>
 * </ul>
 * Call on the stream's event loop with the stream handler's context; a stream already closed is left alone.
 */
final class StreamEnd {
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
        if (!streamCtx.channel().isActive()) {
            return;
        }
        CloseReason.mark(streamCtx.channel(), reason);
        streamCtx.writeAndFlush(SseFrames.retryAndComment(streamCtx.alloc(), retryMillis, why),
                streamCtx.voidPromise());
        streamCtx.channel().close();
    }
}
