package io.sluice.api;

import io.netty.channel.ChannelHandlerContext;

/**
 * Closing a connection whose client may still be sending (CONTRACT §6): an answer sent before the request body was
 * read must still reach a client busy writing that body. Closing at once with unread input makes the kernel send a
 * reset, which can destroy the answer in flight; so, as nginx's lingering close, the connection's output is shut
 * down after the answer and whatever the client still sends is read and discarded for a bounded time and size before
 * the connection closes. Implemented by the pipeline's first handler ({@code http}); found through the pipeline.
 */
public interface LingeringClose {
    /** How long a closing connection keeps reading and discarding at most. */
    long LINGER_MILLIS = 5_000;
    /** How many bytes a closing connection reads and discards at most. */
    long LINGER_BYTES = 16L * 1024 * 1024;

    /**
     * Once the answer has been flushed: shuts the output down and discards input until the client closes, or until
     * {@link #LINGER_MILLIS} or {@link #LINGER_BYTES}, then closes. Call on the channel's event loop.
     */
    void lingerThenClose(ChannelHandlerContext ctx);
}
