package io.sluice.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.sluice.config.SluiceConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * The one owner of the pipeline's shape, in the order {@link PipelineNames} documents: it assembles a listener's
 * request phase ({@link #initChannel}) and turns a connection into the stream phase ({@link #toStreamPhase}); no
 * other class adds or removes handlers. The router is shared; the codec, the access log, CORS and the aggregator
 * hold per-connection state and are created per channel.
 */
public final class SluiceServerInitializer extends ChannelInitializer<Channel> {
    /** Body bytes decoded per chunk; bounds a single read's allocation, not the body (see BODY_LIMIT). */
    private static final int MAX_CHUNK_SIZE = 64 * 1024;

    private final ChannelGroup connections;
    private final RequestRouter router;
    private final int maxInitialLineLength;
    private final int maxHeaderSize;
    private final int maxBodyBytes;
    private final CorsPolicy cors;
    private final SluiceConfig.AccessLog accessLog;
    private final Duration requestHeaderTimeout;
    private final Duration idleTimeout;
    /** The logger access-log lines go to: logger {@code sluice.access} unless the warm-up gave its own. */
    private final Logger accessLogger;

    /**
     * @param connections every accepted channel joins it (and leaves it on close), so the server can close
     *                    them itself on stop rather than leave it to event-loop termination
     * @param requestHeaderTimeout and {@code idleTimeout}: see {@link RequestTimeoutHandler}
     * @param cors the listener's CORS rules, or null for none (the management listener)
     * @param accessLog the access-log format; {@code OFF} installs no access-log handler
     */
    public SluiceServerInitializer(ChannelGroup connections, RequestRouter router, int maxInitialLineLength,
                                   int maxHeaderSize, int maxBodyBytes, Duration requestHeaderTimeout,
                                   Duration idleTimeout, CorsPolicy cors, SluiceConfig.AccessLog accessLog) {
        this(connections, router, maxInitialLineLength, maxHeaderSize, maxBodyBytes, requestHeaderTimeout, idleTimeout,
                cors, accessLog, null);
    }

    /**
     * As above, with access-log lines sent to {@code accessLogger} rather than logger {@code sluice.access} (the
     * start-up warm-up, whose requests must leave no line behind); null for that logger.
     */
    public SluiceServerInitializer(ChannelGroup connections, RequestRouter router, int maxInitialLineLength,
                                   int maxHeaderSize, int maxBodyBytes, Duration requestHeaderTimeout,
                                   Duration idleTimeout, CorsPolicy cors, SluiceConfig.AccessLog accessLog,
                                   Logger accessLogger) {
        this.accessLogger = accessLogger != null ? accessLogger : LoggerFactory.getLogger(AccessLogHandler.LOGGER_NAME);
        this.connections = connections;
        this.router = router;
        this.maxInitialLineLength = maxInitialLineLength;
        this.maxHeaderSize = maxHeaderSize;
        this.maxBodyBytes = maxBodyBytes;
        this.cors = cors;
        this.accessLog = accessLog;
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
        p.addLast(PipelineNames.LINGERING_CLOSE, new LingeringCloseHandler());
        p.addLast(PipelineNames.HTTP_CODEC, new HttpServerCodec(decoderConfig));
        if (accessLog != SluiceConfig.AccessLog.OFF) {
            p.addLast(PipelineNames.ACCESS_LOG, new AccessLogHandler(accessLog, accessLogger));
        }
        p.addLast(PipelineNames.REQUEST_TIMEOUT, new RequestTimeoutHandler(requestHeaderTimeout, idleTimeout));
        if (cors != null) {
            p.addLast(PipelineNames.CORS, new CorsHandler(cors, router.routes()));
        }
        p.addLast(PipelineNames.BODY_LIMIT, new BodyLimitAggregator(maxBodyBytes));
        p.addLast(PipelineNames.FLOW_CONTROL, new FlowControlHandler());
        p.addLast(PipelineNames.ROUTER, router);
    }

    /**
     * Turns an accepted stream's connection into the stream phase: {@code streamHandler} right after the head,
     * every request-phase handler removed, only {@link PipelineNames#ACCESS_LOG} left behind it (it sees the close,
     * never a write). Call on the channel's event loop, after the response head was written through the codec and
     * CORS (which decorated it). Implements {@code io.sluice.stream.StreamPipeline}.
     *
     * @return the stream handler's context: writes from it go straight to the socket
     */
    public static ChannelHandlerContext toStreamPhase(ChannelPipeline pipeline, ChannelHandler streamHandler) {
        pipeline.addFirst(PipelineNames.STREAM, streamHandler);
        pipeline.remove(PipelineNames.ROUTER);
        pipeline.remove(PipelineNames.FLOW_CONTROL);
        pipeline.remove(PipelineNames.BODY_LIMIT);
        if (pipeline.get(PipelineNames.CORS) != null) {
            pipeline.remove(PipelineNames.CORS);
        }
        pipeline.remove(PipelineNames.HTTP_CODEC);
        pipeline.remove(PipelineNames.REQUEST_TIMEOUT); // streams never send: no header or idle timeout
        pipeline.remove(PipelineNames.LINGERING_CLOSE); // ending a stream closes it outright
        return pipeline.context(PipelineNames.STREAM);
    }
}
