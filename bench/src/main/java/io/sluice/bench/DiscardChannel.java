package io.sluice.bench;

import io.netty.channel.AbstractChannel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.EventLoop;

import java.net.ConnectException;
import java.net.SocketAddress;

/**
 * A channel whose socket accepts everything instantly: writes pass through the real pipeline and
 * {@link ChannelOutboundBuffer} and are released on flush. It registers with any event loop, so many of them
 * can share one {@code EmbeddedEventLoop} and the benchmark thread is that loop's thread. Loop thread only.
 */
final class DiscardChannel extends AbstractChannel {
    private static final ChannelMetadata METADATA = new ChannelMetadata(false);

    private final ChannelConfig config = new DefaultChannelConfig(this);
    private boolean open = true;
    private long bytesDiscarded;

    DiscardChannel() {
        super(null);
    }

    long bytesDiscarded() {
        return bytesDiscarded;
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new AbstractUnsafe() {
            @Override
            public void connect(SocketAddress remote, SocketAddress local, ChannelPromise promise) {
                promise.setFailure(new ConnectException("a discard channel never connects"));
            }
        };
    }

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return true;
    }

    @Override
    protected SocketAddress localAddress0() {
        return null;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return null;
    }

    @Override
    protected void doBind(SocketAddress localAddress) {
        // nothing to bind
    }

    @Override
    protected void doDisconnect() {
        open = false;
    }

    @Override
    protected void doClose() {
        open = false;
    }

    @Override
    protected void doBeginRead() {
        // never reads
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) {
        Object msg;
        while ((msg = in.current()) != null) {
            if (msg instanceof io.netty.buffer.ByteBuf buf) {
                bytesDiscarded += buf.readableBytes();
            }
            in.remove();
        }
    }

    @Override
    public ChannelConfig config() {
        return config;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isActive() {
        return open;
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }
}
