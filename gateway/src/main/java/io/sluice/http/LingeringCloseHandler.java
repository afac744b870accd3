package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.api.LingeringClose;

import java.util.concurrent.TimeUnit;

/**
 * The request phase's first handler: transparent until the connection is to close, then {@link LingeringClose}:
 * output shut down (the client reads the answer, then end of stream), input read and discarded before it reaches
 * the codec, and the connection closed when the client closes its side, after {@link #LINGER_MILLIS}, or after
 * {@link #LINGER_BYTES}. On a channel that cannot half-close (an embedded one in tests) it closes at once.
 *
 * <p>Stateful, one per channel; event-loop thread only. Removed with the rest of the request phase when a connection
 * becomes a stream (ending a stream closes it outright).
 */
final class LingeringCloseHandler extends ChannelDuplexHandler implements LingeringClose {
    private boolean lingering;
    private long discarded;
    private ScheduledFuture<?> deadline;

    @Override
    public void lingerThenClose(ChannelHandlerContext caller) {
        ChannelHandlerContext ctx = caller.pipeline().context(this);
        if (lingering || ctx == null) {
            return;
        }
        if (!(ctx.channel() instanceof DuplexChannel duplex) || !ctx.channel().isActive()) {
            ctx.close();
            return;
        }
        lingering = true;
        ctx.channel().config().setAutoRead(true); // a paused publish must not stop the discarding
        deadline = ctx.executor().schedule(() -> ctx.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
        duplex.shutdownOutput().addListener(f -> {
            if (!f.isSuccess()) {
                ctx.close();
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!lingering) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (msg instanceof ByteBuf bytes) {
            discarded += bytes.readableBytes();
        }
        ReferenceCountUtil.release(msg);
        if (discarded >= LINGER_BYTES) {
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!lingering) {
            ctx.fireChannelReadComplete();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel(false);
        }
        ctx.fireChannelInactive();
    }
}
