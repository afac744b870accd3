package io.sluice.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;

import java.nio.charset.StandardCharsets;

/**
 * An embedded channel for fan-out tests: its context is where subscribers write, its writability is the test's to
 * set (the outbound buffer's user-defined bit), and, like the stream handler, it resumes a lagging subscriber when it
 * turns writable again. Its event loop is the fan-out's.
 */
final class FanoutChannel {
    final EmbeddedChannel channel;
    private ChannelHandlerContext ctx;
    private Subscriber resumed;

    FanoutChannel() {
        channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext c) {
                ctx = c;
            }

            @Override
            public void channelWritabilityChanged(ChannelHandlerContext c) {
                if (c.channel().isWritable() && resumed != null) {
                    resumed.catchUp();
                }
            }
        });
    }

    ChannelHandlerContext ctx() {
        return ctx;
    }

    /** The subscriber to resume when the channel turns writable. */
    void resume(Subscriber subscriber) {
        this.resumed = subscriber;
    }

    void setWritable(boolean writable) {
        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, writable);
        channel.runPendingTasks();
    }

    /** Runs pending tasks, then reads and releases everything written, as one string. */
    String drainWire() {
        channel.runPendingTasks();
        StringBuilder wire = new StringBuilder();
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            wire.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return wire.toString();
    }

    /** Closes the channel and releases whatever is still in it. */
    void close() {
        channel.close();
        drainWire();
        channel.finishAndReleaseAll();
    }
}
