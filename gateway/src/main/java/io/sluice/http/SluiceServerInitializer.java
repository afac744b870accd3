package io.sluice.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;

import java.time.Duration;

/**
 * Assembles the HTTP-phase pipeline of a listener, in the order {@link PipelineNames} documents. The router
 * is shared; the codec and the aggregator hold per-connection state and are created per channel.
 */
public final class SluiceServerInitializer extends ChannelInitializer<Channel> {
    /** Body bytes decoded per chunk; bounds a single read's allocation, not the body (see BODY_LIMIT). */
    private static final int MAX_CHUNK_SIZE = 64 * 1024;

    private final ChannelGroup connections;
    private final RequestRouter router;
    private final int maxInitialLineLength;
    private final int maxHeaderSize;
    private final int maxBodyBytes;
    private final Duration requestHeaderTimeout;
    private final Duration idleTimeout;

    /**
     * @param connections every accepted channel joins it (and leaves it on close), so the server can close
     *                    them itself on stop rather than leave it to event-loop termination
     * @param requestHeaderTimeout and {@code idleTimeout}: see {@link RequestTimeoutHandler}
     */
    public SluiceServerInitializer(ChannelGroup connections, RequestRouter router, int maxInitialLineLength,
                                   int maxHeaderSize, int maxBodyBytes, Duration requestHeaderTimeout,
                                   Duration idleTimeout) {
        this.connections = connections;
        this.router = router;
        this.maxInitialLineLength = maxInitialLineLength;
        this.maxHeaderSize = maxHeaderSize;
        this.maxBodyBytes = maxBodyBytes;
        this.requestHeaderTimeout = requestHeaderTimeout;
        this.idleTimeout = idleTimeout;
    }

    @Override
    protected void initChannel(Channel ch) {
        connections.add(ch);
        HttpDecoderConfig decoderConfig = new HttpDecoderConfig()
                .setMaxInitialLineLength(maxInitialLineLength)
                .setMaxHeaderSize(maxHeaderSize)
                .setMaxChunkSize(MAX_CHUNK_SIZE)
                .setValidateHeaders(true);
        ChannelPipeline p = ch.pipeline();
        p.addLast(PipelineNames.HTTP_CODEC, new HttpServerCodec(decoderConfig));
        p.addLast(PipelineNames.REQUEST_TIMEOUT, new RequestTimeoutHandler(requestHeaderTimeout, idleTimeout));
        p.addLast(PipelineNames.BODY_LIMIT, new BodyLimitAggregator(maxBodyBytes));
        p.addLast(PipelineNames.ROUTER, router);
    }
}
