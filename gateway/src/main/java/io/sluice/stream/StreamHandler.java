package io.sluice.stream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.sluice.api.CloseReason;
import io.sluice.api.StreamBytes;
import io.sluice.fanout.Subscriber;
import io.sluice.fanout.Topic;
import io.sluice.metrics.GatewayMetrics;
import io.sluice.presence.PresenceHub;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * The only handler of a channel once it is a stream: it sits right after the pipeline's head, so fan-out
 * writes through its context reach the socket without passing any other handler.
 *
 * <p>Stateful, one per stream channel. Reacts to writability (resume a lagging subscriber), to the channel
 * closing (leave fan-out and presence), and discards anything the client sends (an EventSource sends nothing).
 *
 * <p>Close reasons ({@link CloseReason}, for the access log): a close requested through the pipeline is the
 * gateway's doing (slow consumer, or whatever reason its caller marked first); a channel that goes inactive
 * without one was closed by the client. Fan-out writes start at this handler's context and never pass through
 * it, so being an outbound handler too costs the stream nothing per event.
 */
final class StreamHandler extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(StreamHandler.class);

    private final GatewayMetrics metrics;
    private Subscriber subscriber;
    /** The stream's topics, held against being forgotten until the stream leaves the fan-out. */
    private Topic[] heldTopics;
    /** The stream's part in presence, or null when none of its topics is tracked. */
    private PresenceHub.Member presence;

    StreamHandler(GatewayMetrics metrics) {
        this.metrics = metrics;
    }

    /**
     * The stream's subscriber, its topics' holds, which this handler gives back when the stream leaves, and its part
     * in presence (null when none of its topics is tracked).
     */
    void attach(Subscriber subscriber, Topic[] heldTopics, PresenceHub.Member presence) {
        this.subscriber = subscriber;
        this.heldTopics = heldTopics;
        this.presence = presence;
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
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        boolean slow = subscriber != null && subscriber.closedAsSlowConsumer();
        CloseReason.mark(ctx.channel(), slow ? CloseReason.SLOW_CONSUMER : CloseReason.SERVER_CLOSED);
        ctx.close(promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        CloseReason.mark(ctx.channel(), CloseReason.CLIENT_CLOSED);
        leave(ctx.channel());
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        leave(ctx.channel());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            CloseReason.mark(ctx.channel(), CloseReason.CLIENT_CLOSED);
            log.debug("stream {} closed by I/O error: {}", ctx.channel(), cause.toString());
        } else {
            CloseReason.mark(ctx.channel(), CloseReason.ERROR);
            log.warn("stream {} failed", ctx.channel(), cause);
        }
        ctx.close();
    }

    private void leave(Channel channel) {
        if (subscriber != null) {
            StreamBytes.record(channel, subscriber.bytesWritten());
            subscriber.unregister();
            subscriber = null;
            for (Topic topic : heldTopics) {
                topic.release();
            }
            heldTopics = null;
            if (presence != null) {
                presence.close();
                presence = null;
            }
            metrics.streamClosed(CloseReason.of(channel));
        }
    }
}
