package io.sluice.bench.load;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The client socket transport, chosen once per process: native epoll when it loads, else NIO.
 *
 * @param name what the summary reports
 */
record ClientTransport(String name, IoHandlerFactory ioHandlerFactory, Class<? extends SocketChannel> channelClass) {

    boolean epoll() {
        return name.equals("epoll");
    }

    static ClientTransport select(String wanted) {
        boolean epoll = Epoll.isAvailable();
        if (wanted.equals("epoll") && !epoll) {
            throw new IllegalArgumentException("--transport: epoll is not available here (" + Epoll.unavailabilityCause()
                    + "); use auto or nio");
        }
        if (wanted.equals("nio") || !epoll) {
            return new ClientTransport("nio", NioIoHandler.newFactory(), NioSocketChannel.class);
        }
        return new ClientTransport("epoll", EpollIoHandler.newFactory(), EpollSocketChannel.class);
    }
}
