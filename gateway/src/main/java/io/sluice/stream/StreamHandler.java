package io.sluice.stream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.sluice.fanout.Subscriber;
import io.sluice.metrics.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * The only handler of a channel once it is a stream: it sits right after the pipeline's head, so fan-out
 * writes through its context reach the socket without passing any other handler.
 *
 * <p>Stateful, one per stream channel. Reacts to writability (resume a lagging subscriber), to the channel
 * closing (leave fan-out), and discards anything the client sends (an EventSource sends nothing).
 */
final class StreamHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(StreamHandler.class);

    private final GatewayMetrics metrics;
    private Subscriber subscriber;

    StreamHandler(GatewayMetrics metrics) {
        this.metrics = metrics;
    }

    void attach(Subscriber subscriber) {
        this.subscriber = subscriber;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (subscriber != null && ctx.channel().isWritable()) {
            subscriber.catchUp();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        leave();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        leave();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("stream {} closed by I/O error: {}", ctx.channel(), cause.toString());
        } else {
            log.warn("stream {} failed", ctx.channel(), cause);
        }
        ctx.close();
    }

    private void leave() {
        if (subscriber != null) {
            subscriber.unregister();
            subscriber = null;
            metrics.streamClosed();
        }
    }
}
