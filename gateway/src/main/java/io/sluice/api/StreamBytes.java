package io.sluice.api;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/**
 * The event-stream body bytes a stream handed to its socket, left on the channel when the stream leaves the fan-out
 * (before the channel's inactive event reaches the access log, which reports them). Loop thread of the channel.
 */
public final class StreamBytes {
    private static final AttributeKey<Long> KEY = AttributeKey.valueOf(StreamBytes.class, "streamBytes");

    private StreamBytes() {
    }

    /** Records the stream's total; called once, when the stream ends. */
    public static void record(Channel channel, long bytes) {
        channel.attr(KEY).set(bytes);
    }

    /** The recorded total, or -1 when the connection never became a stream in the fan-out. */
    public static long of(Channel channel) {
        Long bytes = channel.attr(KEY).get();
        return bytes == null ? -1 : bytes;
    }
}
