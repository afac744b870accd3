package io.sluice.publish;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.api.ApiError;
import io.sluice.api.ApiException;
import io.sluice.api.DeferredAnswer;
import io.sluice.api.Grammar;
import io.sluice.api.HttpResponses;
import io.sluice.api.QueryParams;
import io.sluice.auth.AccessPolicy;
import io.sluice.auth.Principal;
import io.sluice.backplane.Backplane;
import io.sluice.backplane.BackplaneUnavailableException;
import io.sluice.fanout.CommitResult;
import io.sluice.fanout.EncodedEvent;
import io.sluice.limits.MemoryGuard;
import io.sluice.metrics.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;

/**
 * The publish endpoints (CONTRACT §4). Parses and validates on the publisher's event loop, authorises every
 * event, hands the batch to the backplane, and answers {@code {"ids":[…],"sent":N}} once it is accepted.
 * Stateless and thread-safe.
 */
public final class PublishService {
    private static final Logger log = LoggerFactory.getLogger(PublishService.class);
    /** Seconds a publisher should wait after a 503 before retrying. */
    static final int RETRY_AFTER_SECONDS = 1;

    private final PublishParser parser;
    private final AccessPolicy access;
    private final Backplane backplane;
    private final GatewayMetrics metrics;
    private final MemoryGuard memory;

    public PublishService(PublishParser parser, AccessPolicy access, Backplane backplane, GatewayMetrics metrics,
                          MemoryGuard memory) {
        this.parser = parser;
        this.access = access;
        this.backplane = backplane;
        this.metrics = metrics;
        this.memory = memory;
    }

    /** {@code POST /v1/publish}: each event names its topic. */
    public void publish(ChannelHandlerContext ctx, FullHttpRequest request, QueryParams query) {
        handle(ctx, request, query, null, null);
    }

    /** {@code POST /v1/broadcast}. */
    public void broadcast(ChannelHandlerContext ctx, FullHttpRequest request, QueryParams query) {
        handle(ctx, request, query, Grammar.BROADCAST_TOPIC, null);
    }

    /** {@code POST /v1/users/{userId}/events}. */
    public void toUser(ChannelHandlerContext ctx, FullHttpRequest request, QueryParams query, String userId) {
        String topic = Grammar.USER_TOPIC_PREFIX + userId;
        if (userId.isEmpty() || !Grammar.isTopic(topic)) {
            throw ApiException.invalid("userId: must make a topic user/<userId> of " + Grammar.TOPIC_RULE);
        }
        handle(ctx, request, query, topic, null);
    }

    /**
     * {@code POST /v1/connections/{connectionId}/events} (CONTRACT §11): the events go only to the stream whose
     * {@code connected} event carried that id, on whichever node holds it. Body and rights are a user publish's; the
     * rights are checked on the address {@code connection/<connectionId>} (a publish key, an admin, or a token whose
     * {@code sluice.publish} matches it, such as {@code connection/*}). They get ids and are never retained. {@code sent}
     * is 1 when this node holds the stream, else 0, however many events the batch has: it counts the stream.
     */
    public void toConnection(ChannelHandlerContext ctx, FullHttpRequest request, QueryParams query, String connectionId) {
        if (!Grammar.isConnectionId(connectionId)) {
            throw ApiException.invalid("connectionId: '" + ApiException.echo(connectionId) + "' is not "
                    + Grammar.CONNECTION_ID_RULE);
        }
        handle(ctx, request, query, Grammar.CONNECTION_ADDRESS_PREFIX + connectionId, connectionId);
    }

    /**
     * @param fixedTopic the topic the route publishes to, or null when each event names its own
     * @param connection the stream the route publishes to, or null
     */
    private void handle(ChannelHandlerContext ctx, FullHttpRequest request, QueryParams query, String fixedTopic,
                        String connection) {
        long started = System.nanoTime();
        Principal principal = access.authenticate(ctx.channel(), request, query);
        // encoded frames take about the body's size again, in direct memory
        if (!memory.canHold(2L * request.content().readableBytes())) {
            throw refusedForMemory();
        }
        List<EncodedEvent> events;
        try {
            events = parse(ctx, request, fixedTopic);
        } catch (OutOfMemoryError e) {
            // the parser released what it had encoded
            log.warn("publish refused: out of memory while encoding ({})", e.toString());
            throw refusedForMemory();
        }
        if (connection != null) {
            events.replaceAll(e -> e.toConnection(connection));
        }
        try {
            for (EncodedEvent e : events) {
                access.checkPublish(principal, e.topic());
            }
        } catch (RuntimeException e) {
            events.forEach(EncodedEvent::release);
            throw e;
        }
        CompletionStage<CommitResult> accepted = backplane.publish(events);
        accepted.whenComplete((result, failure) ->
                metrics.publishRequestNanos(System.nanoTime() - started, failure == null));
        DeferredAnswer.when(ctx, request, accepted, (result, failure) -> answer(ctx, request,
                result == null || connection == null ? result : new CommitResult(result.ids(), Math.min(1, result.sent())),
                failure));
    }

    /** The 503 of a publish the node cannot hold in memory now (CONTRACT §10), counted. */
    private ApiException refusedForMemory() {
        metrics.publishRefused(GatewayMetrics.REFUSED_MEMORY);
        return new ApiException(ApiError.UNAVAILABLE, "this node cannot hold the publish in memory now; retry shortly",
                r -> r.headers().set(HttpHeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS));
    }

    private List<EncodedEvent> parse(ChannelHandlerContext ctx, FullHttpRequest request, String fixedTopic) {
        String contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        String mediaType = contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (contentType == null || mediaType.equals("application/json")) {
            return parser.parseJson(request.content(), fixedTopic, ctx.alloc());
        }
        if (mediaType.equals("application/x-www-form-urlencoded")) {
            return parser.parseForm(request.content(), fixedTopic, ctx.alloc());
        }
        throw ApiException.invalid("Content-Type: '" + ApiException.echo(mediaType)
                + "' is not accepted; use application/json or application/x-www-form-urlencoded");
    }

    /**
     * {@code {"ids":["…",…],"sent":N}}, the bytes jackson would write: ids are decimal digits and need no escaping.
     * Written by hand: a jackson generator per publish was 4% of the publishing loop's Java time.
     */
    static byte[] acceptedBody(CommitResult result) {
        long[] ids = result.ids();
        StringBuilder b = new StringBuilder(20 + 22 * ids.length).append("{\"ids\":[");
        for (int i = 0; i < ids.length; i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append('"').append(ids[i]).append('"');
        }
        return b.append("],\"sent\":").append(result.sent()).append('}').toString()
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static void answer(ChannelHandlerContext ctx, FullHttpRequest request, CommitResult result,
                               Throwable failure) {
        if (failure == null) {
            HttpResponses.json(ctx, request, HttpResponseStatus.OK, acceptedBody(result));
            return;
        }
        if (!(failure instanceof BackplaneUnavailableException)) {
            log.error("publish failed", failure);
        }
        HttpResponses.error(ctx, request, ApiError.UNAVAILABLE, "publish not accepted: " + failure.getMessage(), false,
                r -> r.headers().set(HttpHeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS));
    }
}
