package io.sluice.stream;

import io.netty.channel.Channel;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * This node's streams as the control endpoints need them (CONTRACT §11): it hands out connection ids, and finds the
 * open streams of a user (for a disconnect). Connection events find their stream through the fan-out, which keeps
 * streams by connection id.
 *
 * <p>Connection ids are {@code <node>-<n>}, both in base 36: the node's id from the backplane's control plane (never
 * the same for two nodes, nor for two runs of one) and a counter of this node's streams. So an id is never issued
 * twice in a deployment, and an event for an old connection can never reach a new stream.
 *
 * <p>Bound: a user's entry exists only while they have an open stream here, so the map holds at most one entry per
 * open authenticated stream. Thread-safe: streams open and close on every event loop.
 */
public final class StreamDirectory {
    private final LongSupplier nodeId;
    private final AtomicLong counter = new AtomicLong();
    private final ConcurrentHashMap<String, Set<Channel>> byUser = new ConcurrentHashMap<>();

    /** @param nodeId this node's id, positive once known (cluster mode: once the backplane connected) */
    public StreamDirectory(LongSupplier nodeId) {
        this.nodeId = nodeId;
    }

    /** A connection id never issued before in this deployment. */
    String nextConnectionId() {
        long node = nodeId.getAsLong();
        if (node <= 0) {
            throw new IllegalStateException("this node has no id yet: the backplane has not connected");
        }
        return Long.toString(node, Character.MAX_RADIX) + "-" + Long.toString(counter.incrementAndGet(), Character.MAX_RADIX);
    }

    /** Files the stream on {@code channel} under {@code user} until the channel closes. */
    void add(String user, Channel channel) {
        byUser.compute(user, (u, streams) -> {
            Set<Channel> set = streams != null ? streams : new HashSet<>();
            set.add(channel);
            return set;
        });
        channel.closeFuture().addListener(f -> byUser.computeIfPresent(user, (u, streams) -> {
            streams.remove(channel);
            return streams.isEmpty() ? null : streams;
        }));
    }

    /** The channels of {@code user}'s open streams on this node, now. */
    public List<Channel> streamsOf(String user) {
        List<Channel> copy = new ArrayList<>();
        byUser.computeIfPresent(user, (u, streams) -> {
            copy.addAll(streams);
            return streams;
        });
        return copy;
    }

    /** Users with an open stream on this node (for tests of the bound). */
    public int users() {
        return byUser.size();
    }
}
