package io.sluice;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.collection.IntObjectMap;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The epoll event loop with its registrations in a {@link DescriptorTable}: real sockets registered, served and
 * closed through it, and the fallback when the handler has no such field.
 */
class EpollHandlerFactoryTest {
    /** Every connection's only handler: it reads and ignores. */
    private static final ChannelHandler IDLE = new Idle();

    @ChannelHandler.Sharable
    private static final class Idle extends ChannelInboundHandlerAdapter {
    }

    @Test
    void epollLoopsKeepTheirChannelsInADescriptorTableAndServeAndCloseConnectionsThroughIt() throws Exception {
        assertTrue(Epoll.isAvailable(), "native epoll is part of the build on Linux: " + Epoll.unavailabilityCause());
        EpollHandlerFactory factory = new EpollHandlerFactory();
        assertTrue(factory.replacing());
        List<IoHandler> handlers = new CopyOnWriteArrayList<>();
        IoHandlerFactory watched = executor -> {
            IoHandler handler = factory.newHandler(executor);
            handlers.add(handler);
            return handler;
        };
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, watched);
        try {
            Channel server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                    .childHandler(IDLE).bind("127.0.0.1", 0).sync().channel();
            IntObjectMap<?> registrations = registrationsOf(handlers.get(0));
            assertInstanceOf(DescriptorTable.class, registrations);
            int base = registrations.size(); // the listener
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            for (int round = 0; round < 2; round++) {
                List<Channel> clients = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    clients.add(new Bootstrap().group(group).channel(EpollSocketChannel.class)
                            .handler(IDLE).connect("127.0.0.1", port).sync().channel());
                }
                awaitSize(group, registrations, base + 400); // each connection's two ends
                for (Channel client : clients) {
                    client.close().sync();
                }
                awaitSize(group, registrations, base); // the server side saw each close and deregistered
            }
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void aHandlerWithoutTheFieldKeepsItsOwnMapAndStillWorks() throws Exception {
        EpollHandlerFactory factory = new EpollHandlerFactory(NioIoHandler.newFactory(), NioIoHandler.class);
        assertFalse(factory.replacing());
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, factory);
        try {
            assertEquals(42, group.next().submit(() -> 42).get(5, TimeUnit.SECONDS));
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    private static IntObjectMap<?> registrationsOf(IoHandler handler) throws ReflectiveOperationException {
        Field field = EpollIoHandler.class.getDeclaredField(EpollHandlerFactory.REGISTRATIONS_FIELD);
        field.setAccessible(true);
        return (IntObjectMap<?>) field.get(handler);
    }

    /** Reads the loop's map on the loop (it is not thread-safe) until it holds {@code size} entries, for 10 s at most. */
    private static void awaitSize(EventLoopGroup group, IntObjectMap<?> map, int size) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int seen;
        while ((seen = group.next().submit(map::size).get(5, TimeUnit.SECONDS)) != size) {
            assertTrue(System.nanoTime() < deadline, "registrations: " + seen + ", expected " + size + ": "
                    + group.next().submit(() -> map.keySet().toString()).get(5, TimeUnit.SECONDS));
            Thread.onSpinWait();
        }
    }
}
