package io.sluice.stream;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;

/**
 * How a stream takes over its connection. The HTTP wiring owns the pipeline's shape and implements this
 * ({@code SluiceServerInitializer::toStreamPhase}); the stream feature only says when.
 */
@FunctionalInterface
public interface StreamPipeline {
    /**
     * Removes the request phase's handlers and puts {@code streamHandler} right after the pipeline's head. Called on
     * the channel's event loop once the response head has been written.
     *
     * @return the stream handler's context: writes from it go straight to the socket
     */
    ChannelHandlerContext toStreamPhase(ChannelPipeline pipeline, ChannelHandler streamHandler);
}
