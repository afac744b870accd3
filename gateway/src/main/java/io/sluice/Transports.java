package io.sluice;

import io.netty.channel.ChannelOption;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.sluice.config.ConfigException;
import io.sluice.config.SluiceConfig;

/**
 * The I/O transport, chosen once at start: native epoll on Linux when it loads, NIO elsewhere; io_uring when asked
 * for and the kernel allows it.
 *
 * @param name what the start-up log says
 * @param deferAcceptOption the listener option that keeps a connection in the kernel until its first bytes arrive
 *                          (Linux {@code TCP_DEFER_ACCEPT}, in seconds), or null where the transport has none (nio)
 * @param fallbackReason why the transport asked for is not the one chosen (io_uring unavailable), or null; the server
 *                       logs it as a warning
 */
record Transports(String name, IoHandlerFactory ioHandlerFactory, Class<? extends ServerChannel> serverChannel,
                  ChannelOption<Integer> deferAcceptOption, String fallbackReason) {

    static Transports select(SluiceConfig.Transport wanted) {
        // io_uring is probed (its native library loaded, a ring set up) only when asked for
        return select(wanted, Epoll.isAvailable(), wanted == SluiceConfig.Transport.IO_URING && IoUring.isAvailable());
    }

    /** {@link #select(SluiceConfig.Transport)} given what this machine offers (tests pass the unavailable cases). */
    static Transports select(SluiceConfig.Transport wanted, boolean epollAvailable, boolean ioUringAvailable) {
        switch (wanted) {
            case EPOLL -> {
                if (!epollAvailable) {
                    throw new ConfigException("transport 'epoll' is not available on this machine ("
                            + Epoll.unavailabilityCause() + "); allowed here: auto, nio");
                }
                return epoll(null);
            }
            case NIO -> {
                return nio(null);
            }
            case IO_URING -> {
                if (ioUringAvailable) {
                    return new Transports("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class,
                            IoUringChannelOption.TCP_DEFER_ACCEPT, null);
                }
                String reason = "transport 'io_uring' is not available here (" + ioUringCause() + ")";
                return epollAvailable ? epoll(reason + "; running on epoll") : nio(reason + "; running on nio");
            }
            default -> {
                return epollAvailable ? epoll(null) : nio(null);
            }
        }
    }

    /** Why io_uring cannot run: the kernel's or the sandbox's refusal as Netty saw it, or that it was never tried. */
    private static String ioUringCause() {
        Throwable cause = IoUring.unavailabilityCause();
        return cause == null ? "not tried" : cause.toString();
    }

    private static Transports epoll(String fallbackReason) {
        return new Transports("epoll", new EpollHandlerFactory(), EpollServerSocketChannel.class,
                EpollChannelOption.TCP_DEFER_ACCEPT, fallbackReason);
    }

    private static Transports nio(String fallbackReason) {
        return new Transports("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, null, fallbackReason);
    }
}
