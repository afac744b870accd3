package io.sluice.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.sluice.api.CloseReason;
import io.sluice.api.StreamBytes;
import io.sluice.auth.Principal;
import io.sluice.config.SluiceConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * The access log: one line on logger {@value #LOGGER_NAME} per request once its response has been written, and
 * one per stream once its connection has closed (fields: {@link AccessLogRecord}).
 *
 * <p>It watches the HTTP exchange from right after the codec: a request head inbound starts a record (requests
 * that failed to decode included, so their 400 or 431 is logged), a final response head outbound sets its status
 * and user, body parts add their bytes, and the response's end ({@link LastHttpContent}, which a full response
 * is) writes the line. HTTP/1.1 answers in order, so records wait in a queue, oldest first. A response with no
 * request before it (a timeout answer) is logged with method and path {@code -}.
 *
 * <p>Streams: once a channel becomes a stream this handler stays in its pipeline, behind the stream handler, so
 * it never sees a fan-out write (those leave from the stream handler's context towards the socket) and costs
 * nothing per event. The stream's record is written on {@code channelInactive}, with the
 * {@link CloseReason} marked on the channel and the event-stream bytes the stream handler left in
 * {@link StreamBytes} (the fan-out counts them beside each write it already makes).
 * A request whose connection closes before its response is logged the same way.
 *
 * <p>Users: the {@link Principal#CHANNEL_ATTRIBUTE} present when the response head passes, cleared when a new
 * request arrives, so a keep-alive connection never logs one request's user against the next.
 *
 * <p>Stateful, one per channel; event-loop thread only. Not installed when {@code accessLog=off}.
 */
public final class AccessLogHandler extends ChannelDuplexHandler {
    /** The logger every access line goes to; logback.xml prints its messages bare ({@code %msg%n}). */
    public static final String LOGGER_NAME = "sluice.access";
    private static final Logger ACCESS = LoggerFactory.getLogger(LOGGER_NAME);
    private static final String STREAM_CONTENT_TYPE = "text/event-stream";
    /** Netty's stand-in for a request whose line could not be parsed (HttpRequestDecoder.createInvalidMessage). */
    private static final String UNPARSED_URI = "/bad-request";

    private final boolean json;
    /**
     * Where finished lines go: logger {@value #LOGGER_NAME}, or the start-up warm-up's, whose lines take the same
     * path (logback, {@link AccessLogAppender}) and reach no output. One call site for both, so the code the warm-up
     * compiles is the code that logs afterwards.
     */
    private final Logger logger;
    private final ArrayDeque<Entry> unanswered = new ArrayDeque<>(2);
    /** When the connection last had nothing to answer: the start of a response no request asked for. */
    private long idleSinceNanos = System.nanoTime();
    private String client;

    /** @param format {@link SluiceConfig.AccessLog#TEXT} or {@link SluiceConfig.AccessLog#JSON} */
    public AccessLogHandler(SluiceConfig.AccessLog format) {
        this(format, ACCESS);
    }

    /**
     * @param logger where lines go: logger {@value #LOGGER_NAME} or the start-up warm-up's. Chosen once per listener
     *               ({@link SluiceServerInitializer}), not here per connection: a branch here that only the warm-up's
     *               connections took sent the pipeline's set-up back to the interpreter at the first real connection
     */
    AccessLogHandler(SluiceConfig.AccessLog format, Logger logger) {
        if (format == SluiceConfig.AccessLog.OFF) {
            throw new IllegalArgumentException("accessLog=off installs no handler");
        }
        this.json = format == SluiceConfig.AccessLog.JSON;
        this.logger = Objects.requireNonNull(logger, "logger");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            ctx.channel().attr(Principal.CHANNEL_ATTRIBUTE).set(null);
            boolean unparsed = request.decoderResult().isFailure() && request instanceof FullHttpRequest
                    && UNPARSED_URI.equals(request.uri());
            unanswered.add(new Entry(System.nanoTime(), unparsed ? "-" : request.method().name(),
                    unparsed ? "-" : AccessLogRecord.target(request.uri())));
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        Entry entry = null;
        if (msg instanceof HttpResponse response) {
            if (response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
                entry = unanswered.peek();
                if (entry == null) {
                    entry = new Entry(idleSinceNanos, "-", "-");
                    unanswered.add(entry);
                }
                entry.status = response.status().code();
                entry.user = user(ctx.channel());
                String contentType = response.headers().get(HttpHeaderNames.CONTENT_TYPE);
                entry.stream = contentType != null && contentType.startsWith(STREAM_CONTENT_TYPE)
                        && !(msg instanceof LastHttpContent);
            }
        } else if (msg instanceof HttpContent) {
            entry = unanswered.peek();
        }
        boolean ends = false;
        if (entry != null && entry.status != 0 && msg instanceof HttpContent content) {
            entry.bytes += content.content().readableBytes();
            ends = msg instanceof LastHttpContent;
        }
        ctx.write(msg, promise);
        if (ends) {
            unanswered.poll();
            idleSinceNanos = System.nanoTime();
            log(ctx.channel(), entry, idleSinceNanos, null);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        long now = System.nanoTime();
        String reason = CloseReason.of(ctx.channel()).label();
        Entry entry;
        while ((entry = unanswered.poll()) != null) {
            if (entry.status == 0) {
                entry.user = user(ctx.channel());
            }
            log(ctx.channel(), entry, now, reason);
        }
        ctx.fireChannelInactive();
    }

    private void log(Channel channel, Entry e, long endNanos, String close) {
        if (!logger.isInfoEnabled()) {
            return;
        }
        AccessLogRecord record = new AccessLogRecord(Instant.now(), e.method, e.path, e.status, endNanos - e.startNanos,
                e.stream ? StreamBytes.of(channel) : e.bytes, e.user, client(channel), close);
        String line = json ? record.toJson() : record.toText();
        logger.info(line);
    }

    private static String user(Channel channel) {
        Principal principal = channel.attr(Principal.CHANNEL_ATTRIBUTE).get();
        return principal == null || principal.isAnonymous() ? null : principal.subject();
    }

    private String client(Channel channel) {
        if (client == null) {
            SocketAddress remote = channel.remoteAddress();
            client = remote instanceof InetSocketAddress inet && inet.getAddress() != null
                    ? inet.getAddress().getHostAddress() : String.valueOf(remote);
        }
        return client;
    }

    /** A request being answered, or a stream being served. */
    private static final class Entry {
        final long startNanos;
        final String method;
        final String path;
        int status;
        long bytes;
        String user;
        boolean stream;

        Entry(long startNanos, String method, String path) {
            this.startNanos = startNanos;
            this.method = method;
            this.path = path;
        }
    }
}
