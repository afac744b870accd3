package io.sluice.limits;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.api.ApiError;
import io.sluice.api.HttpResponses;
import io.sluice.api.Jitter;
import io.sluice.auth.Principal;
import io.sluice.limits.ConnectionLimiter.Admission;
import io.sluice.limits.ConnectionLimiter.Refusal;
import io.sluice.limits.ConnectionLimiter.Slot;
import io.sluice.metrics.GatewayMetrics;
import io.sluice.sse.SseFrames;


/**
 * Admits an authenticated, validated stream request against the connection limits (CONTRACT §6), or answers the
 * refusal itself: {@code 429 too_many_connections} past {@code maxConnectionsPerUser}, {@code 503 unavailable}
 * past {@code maxConnections} (for an EventSource, the §6 form: {@code 200} with {@code retry:} and a comment, then
 * close), each with a jittered {@code Retry-After}, and counted by reason.
 *
 * <p>A stream is keyed by its user ({@code sub}) when authenticated, else by its client address
 * ({@link ClientAddress}). Immutable and thread-safe; {@link #admit} runs on the channel's event loop.
 */
public final class StreamAdmission {
    /** Backoff floor when the configured reconnect delay is shorter: a full node needs more than a blink. */
    static final int MIN_BACKOFF_MILLIS = 1000;

    private final ConnectionLimiter limiter;
    private final TrustedProxies trustedProxies;
    private final GatewayMetrics metrics;
    private final int backoffMillis;

    /**
     * @param reconnectMillis the configured reconnect delay; a refused client is told to wait two to four times it
     *     (at least {@link #MIN_BACKOFF_MILLIS}), jittered so refused clients do not all come back together
     */
    public StreamAdmission(ConnectionLimiter limiter, TrustedProxies trustedProxies, GatewayMetrics metrics,
                           int reconnectMillis) {
        this.limiter = limiter;
        this.trustedProxies = trustedProxies;
        this.metrics = metrics;
        this.backoffMillis = Math.max(MIN_BACKOFF_MILLIS, 2 * reconnectMillis);
    }

    /**
     * Takes a slot for the stream about to open on {@code ctx}'s channel and binds it to the channel's close. Call
     * last before the stream starts; if starting it fails, {@link Slot#release()} at once (the connection may
     * outlive the failure).
     *
     * @return the slot, or null when refused: the refusal has then been answered and counted
     */
    public Slot admit(ChannelHandlerContext ctx, HttpRequest request, Principal principal) {
        Admission admission = limiter.tryAcquire(keyOf(principal, ctx, request.headers()));
        if (admission instanceof Slot slot) {
            slot.releaseOnClose(ctx.channel().closeFuture());
            return slot;
        }
        int retryMillis = jitteredBackoffMillis();
        if (admission == Refusal.PER_KEY) {
            metrics.connectionRejected(GatewayMetrics.REJECTED_MAX_CONNECTIONS_PER_USER);
            String who = principal.subject() == null ? "client address" : "user";
            HttpResponses.error(ctx, request, ApiError.TOO_MANY_CONNECTIONS, "too many streams: at most "
                    + limiter.maxPerKey() + " may be open at once per " + who
                    + " (maxConnectionsPerUser); close one before opening another", false, retryAfter(retryMillis));
        } else {
            metrics.connectionRejected(GatewayMetrics.REJECTED_MAX_CONNECTIONS);
            unavailable(ctx, request, "this node has the most streams it may hold open (maxConnections);"
                    + " retry later", retryMillis);
        }
        return null;
    }

    /**
     * The limiter key of a stream: {@code user:<sub>} when authenticated, {@code addr:<client address>} when not
     * (prefixed, so a user named like an address never shares its count).
     */
    String keyOf(Principal principal, ChannelHandlerContext ctx, HttpHeaders headers) {
        if (principal.subject() != null) { // a token's user; anonymous callers and publish keys have no subject
            return "user:" + principal.subject();
        }
        return "addr:" + ClientAddress.resolve(ctx.channel().remoteAddress(), headers, trustedProxies);
    }

    /**
     * Answers a stream request the gateway is only temporarily unable to serve (CONTRACT §6), and closes the
     * connection: an EventSource ({@code Accept: text/event-stream}) gets {@code 200} with {@code retry:
     * <retryMillis>} and a comment saying why, since it would give up for good on any other status; any other
     * client gets {@code 503 unavailable} with {@code Retry-After}.
     */
    public static void unavailable(ChannelHandlerContext ctx, HttpRequest request, String why, int retryMillis) {
        if (acceptsEventStream(request.headers())) {
            ByteBuf body = SseFrames.retryAndComment(ctx.alloc(), retryMillis, why);
            HttpResponses.send(ctx, request, HttpResponseStatus.OK, "text/event-stream; charset=utf-8", body, true,
                    null);
        } else {
            HttpResponses.error(ctx, request, ApiError.UNAVAILABLE, why, true, retryAfter(retryMillis));
        }
    }

    /** The {@link GatewayMetrics#connectionRejected} reason of a stream request refused with {@code error}. */
    public static String rejectionReason(ApiError error) {
        return switch (error) {
            case UNAUTHORIZED -> GatewayMetrics.REJECTED_UNAUTHORIZED;
            case FORBIDDEN -> GatewayMetrics.REJECTED_FORBIDDEN;
            case TOO_MANY_TOPICS -> GatewayMetrics.REJECTED_TOO_MANY_TOPICS;
            case TOO_MANY_CONNECTIONS -> GatewayMetrics.REJECTED_MAX_CONNECTIONS_PER_USER;
            case INVALID_REQUEST -> GatewayMetrics.REJECTED_INVALID_REQUEST;
            default -> error.code();
        };
    }

    /** Whether any {@code Accept} media range is {@code text/event-stream} (parameters ignored). */
    static boolean acceptsEventStream(HttpHeaders headers) {
        for (String accept : headers.getAll(HttpHeaderNames.ACCEPT)) {
            for (String range : accept.split(",")) {
                int semicolon = range.indexOf(';');
                String type = (semicolon < 0 ? range : range.substring(0, semicolon)).trim();
                if (type.equalsIgnoreCase("text/event-stream")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Uniform in [backoff, 2 × backoff). Any thread. */
    public int jitteredBackoffMillis() {
        return (int) Jitter.uniform(backoffMillis, 2L * backoffMillis);
    }

    /** {@code Retry-After} in whole seconds, rounded up so a client never comes back early. */
    private static HttpResponses.ResponseCustomizer retryAfter(int retryMillis) {
        int seconds = (retryMillis + 999) / 1000;
        return response -> response.headers().set(HttpHeaderNames.RETRY_AFTER, seconds);
    }
}
