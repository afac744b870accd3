package io.sluice;

import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.collection.IntObjectMap;
import io.netty.util.concurrent.ThreadAwareExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Netty's epoll {@link IoHandler}, with its channel registrations (a map from file descriptor to channel) kept in a
 * {@link DescriptorTable} instead of Netty's {@code IntObjectHashMap}, whose removal is O(open connections) for dense
 * descriptors: 7-10 µs per close at 10,000 connections and 25 µs at 50,000, on the event loop (bench/ANALYSIS.md).
 *
 * <p>The map is a private field of {@link EpollIoHandler} (Netty 4.2), replaced right after the handler is created,
 * in the event loop's constructor, before any channel is registered. If a Netty version no longer has the field, or
 * it cannot be set, the handler keeps its own map: the gateway works the same, only closes cost more, and a warning
 * says so once. {@link #replacing()} tells tests which happened.
 *
 * <p>Threading: {@link #newHandler} runs on the thread that builds the event loop group.
 */
final class EpollHandlerFactory implements IoHandlerFactory {
    private static final Logger log = LoggerFactory.getLogger(EpollHandlerFactory.class);
    /** The field of {@link EpollIoHandler} that holds the registrations. */
    static final String REGISTRATIONS_FIELD = "registrations";
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private final IoHandlerFactory netty;
    private final Field registrations;

    EpollHandlerFactory() {
        this(EpollIoHandler.newFactory(), EpollIoHandler.class);
    }

    /** A factory around {@code netty}'s, whose handlers are of {@code handlerClass} (tests pass others). */
    EpollHandlerFactory(IoHandlerFactory netty, Class<?> handlerClass) {
        this.netty = netty;
        this.registrations = registrationsField(handlerClass);
    }

    private static Field registrationsField(Class<?> handlerClass) {
        try {
            Field field = handlerClass.getDeclaredField(REGISTRATIONS_FIELD);
            if (field.getType() != IntObjectMap.class) {
                throw new NoSuchFieldException(REGISTRATIONS_FIELD + " is a " + field.getType().getName());
            }
            field.setAccessible(true);
            return field;
        } catch (NoSuchFieldException | RuntimeException e) {
            if (WARNED.compareAndSet(false, true)) {
                log.warn("epoll: keeping Netty's registration map ({}); closing a connection costs O(open connections)"
                        + " on this Netty version", e.toString());
            }
            return null;
        }
    }

    /** Whether this factory's handlers get a {@link DescriptorTable}. */
    boolean replacing() {
        return registrations != null;
    }

    @Override
    public IoHandler newHandler(ThreadAwareExecutor executor) {
        IoHandler handler = netty.newHandler(executor);
        if (registrations != null) {
            try {
                IntObjectMap<?> own = (IntObjectMap<?>) registrations.get(handler);
                if (own.isEmpty()) { // nothing registered yet: nothing to carry over
                    registrations.set(handler, new DescriptorTable<>(4096));
                }
            } catch (IllegalAccessException | RuntimeException e) {
                if (WARNED.compareAndSet(false, true)) {
                    log.warn("epoll: keeping Netty's registration map ({})", e.toString());
                }
            }
        }
        return handler;
    }

    @Override
    public boolean isChangingThreadSupported() {
        return netty.isChangingThreadSupported();
    }
}
