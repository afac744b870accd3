package io.sluice;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.sluice.config.ConfigException;
import io.sluice.config.SluiceConfig;

/**
 * The I/O transport, chosen once at start: native epoll on Linux when it loads, NIO elsewhere.
 *
 * @param name what the start-up log says
 */
record Transports(String name, IoHandlerFactory ioHandlerFactory, Class<? extends ServerChannel> serverChannel) {

    static Transports select(SluiceConfig.Transport wanted) {
        boolean epoll = Epoll.isAvailable();
        switch (wanted) {
            case EPOLL -> {
                if (!epoll) {
                    throw new ConfigException("transport 'epoll' is not available on this machine ("
                            + Epoll.unavailabilityCause() + "); allowed here: auto, nio");
                }
                return epoll();
            }
            case NIO -> {
                return nio();
            }
            default -> {
                return epoll ? epoll() : nio();
            }
        }
    }

    private static Transports epoll() {
        return new Transports("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class);
    }

    private static Transports nio() {
        return new Transports("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class);
    }
}
