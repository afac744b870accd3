package io.sluice.stream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.api.ApiError;
import io.sluice.api.ApiException;
import io.sluice.api.CloseReason;
import io.sluice.api.Grammar;
import io.sluice.api.HttpResponses;
import io.sluice.api.Jitter;
import io.sluice.api.Json;
import io.sluice.api.QueryParams;
import io.sluice.auth.AccessPolicy;
import io.sluice.auth.Principal;
import io.sluice.config.SluiceConfig;
import io.sluice.fanout.Event;
import io.sluice.fanout.FanoutCore;
import io.sluice.fanout.ReplayStart;
import io.sluice.fanout.Subscriber;
import io.sluice.fanout.Topic;
import io.sluice.fanout.TypeFilter;
import io.sluice.limits.ConnectionLimiter;
import io.sluice.limits.StreamAdmission;
import io.sluice.limits.TrustedProxies;
import io.sluice.metrics.GatewayMetrics;
import io.sluice.presence.PresenceHub;
import io.sluice.sse.SseFrames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Opens a stream (CONTRACT §2): validates and authorises the request, answers the headers, turns the
 * channel into a stream pipeline, sends {@code retry:} and {@code connected}, then replay (or {@code reset})
 * and joins the fan-out. Stateless and thread-safe; {@link #open} runs on the channel's event loop.
 */
public final class StreamService {
    private static final Logger log = LoggerFactory.getLogger(StreamService.class);
    /** Set on a channel once it is a stream (any thread may read it: drain picks the streams out by it). */
    public static final AttributeKey<Boolean> STREAM = AttributeKey.valueOf(StreamService.class, "stream");

    private final FanoutCore fanout;
    private final AccessPolicy access;
    private final GatewayMetrics metrics;
    private final SluiceConfig config;
    private final int maxLag;
    private final StreamAdmission admission;
    private final Supplier<String> notReadyReason;
    private final StreamPipeline pipeline;
    private final StreamDirectory directory;
    private final PresenceHub presence;

    /**
     * @param limiter the node's stream limits, shared by every listener's stream service
     * @param notReadyReason why this node takes no new streams now (draining, backplane down), or null; such a
     *                       refusal is temporary, so an EventSource is told to retry rather than failed (§6), as is
     *                       a 503 from authentication (a token that needs a JWK set not loaded yet)
     * @param pipeline turns an accepted request's connection into a stream connection
     * @param directory hands out connection ids and files each stream under its user (the node's one directory)
     * @param presence counts streams on tracked topics and sends presence events to the streams that ask
     */
    public StreamService(FanoutCore fanout, AccessPolicy access, GatewayMetrics metrics, SluiceConfig config,
                         ConnectionLimiter limiter, Supplier<String> notReadyReason, StreamPipeline pipeline,
                         StreamDirectory directory, PresenceHub presence) {
        this.directory = directory;
        this.presence = presence;
        this.notReadyReason = notReadyReason;
        this.pipeline = pipeline;
        this.admission = new StreamAdmission(limiter, TrustedProxies.of(config.trustedProxies()), metrics,
                config.reconnectMillis());
        this.fanout = fanout;
        this.access = access;
        this.metrics = metrics;
        this.config = config;
        this.maxLag = config.effectiveMaxStreamLag();
    }

    /**
     * Serves {@code request} as a stream on {@code ctx}'s channel, or throws an {@link ApiException} before anything
     * is written, or answers a refusal by the connection limits itself. Every refusal is counted by reason.
     */
    public void open(ChannelHandlerContext ctx, FullHttpRequest request, QueryParams query) {
        String notReady = notReadyReason.get();
        if (notReady != null) {
            refuseForNow(ctx, request, "this node is " + notReady + "; reconnect");
            return;
        }
        try {
            tryOpen(ctx, request, query);
        } catch (ApiException e) {
            if (e.error() == ApiError.UNAVAILABLE) {
                refuseForNow(ctx, request, e.getMessage());
                return;
            }
            metrics.connectionRejected(StreamAdmission.rejectionReason(e.error()));
            throw e;
        }
    }

    /** A temporary refusal, counted as not ready and answered in the §6 form (an EventSource is told to retry). */
    private void refuseForNow(ChannelHandlerContext ctx, FullHttpRequest request, String why) {
        metrics.connectionRejected(GatewayMetrics.REJECTED_NOT_READY);
        StreamAdmission.unavailable(ctx, request, why, admission.jitteredBackoffMillis());
    }

    private void tryOpen(ChannelHandlerContext ctx, FullHttpRequest request, QueryParams query) {
        Principal principal = access.authenticate(ctx.channel(), request, query);
        StreamQuery streamQuery = StreamQuery.parse(query, request.headers(), config.maxTopicsPerConnection(),
                StreamQuery.MAX_LIMIT);
        for (String topic : streamQuery.topics()) {
            access.checkSubscribe(principal, topic);
        }
        // Last before the stream starts (and before any topic is created): a refused request changes nothing.
        ConnectionLimiter.Slot slot = admission.admit(ctx, request, principal);
        if (slot == null) {
            return;
        }
        try {
            start(ctx, request, streamQuery, principal);
        } catch (RuntimeException | Error e) {
            slot.release(); // the connection may stay open (keep-alive) after the error answer
            throw e;
        }
    }

    /**
     * Turns the channel into a stream; the request is admitted and holds a slot. The stream's topics are acquired
     * (held against being forgotten) here and given back when the stream leaves the fan-out, or at once if it never
     * joins it. Once the pipeline is in the stream phase an unexpected failure cannot be answered with an HTTP error
     * any more: it is logged and the connection closed.
     */
    private void start(ChannelHandlerContext ctx, FullHttpRequest request, StreamQuery streamQuery, Principal principal) {
        List<String> names = withImplicitTopics(streamQuery.topics(), principal);
        Topic[] topics = new Topic[names.size()];
        for (int i = 0; i < topics.length; i++) {
            topics[i] = fanout.topics().acquire(names.get(i));
        }
        boolean handedOver = false;
        try {
            ctx.write(HttpResponses.eventStreamHead(request.protocolVersion()));
            StreamHandler streamHandler = new StreamHandler(metrics);
            ChannelHandlerContext streamCtx = pipeline.toStreamPhase(ctx.pipeline(), streamHandler);
            try {
                handedOver = join(streamCtx, streamHandler, streamQuery, principal, names, topics);
            } catch (RuntimeException e) {
                log.error("stream {} failed to start", streamCtx.channel(), e);
                CloseReason.mark(streamCtx.channel(), CloseReason.ERROR);
                streamCtx.close();
            }
        } finally {
            if (!handedOver) {
                for (Topic topic : topics) {
                    topic.release();
                }
            }
        }
    }

    /**
     * The stream phase's start: {@code connected}, then replay (or {@code reset}), then the fan-out.
     *
     * @return true once the stream handler holds the topics (it gives them back when the stream leaves)
     */
    private boolean join(ChannelHandlerContext streamCtx, StreamHandler streamHandler, StreamQuery streamQuery,
                         Principal principal, List<String> names, Topic[] topics) {
        String connectionId = directory.nextConnectionId();
        streamCtx.write(SseFrames.connected(streamCtx.alloc(), config.reconnectMillis(), connectedJson(connectionId, names)));

        ReplayStart replay = ReplayStart.LIVE;
        if (streamQuery.lastEventId() != null) {
            long id = StreamQuery.parseEventId(streamQuery.lastEventId());
            if (isResumable(id, topics)) {
                replay = ReplayStart.after(id);
            } else {
                streamCtx.write(SseFrames.systemEvent(streamCtx.alloc(), "reset", resetJson(streamQuery.lastEventId())));
            }
        } else if (streamQuery.limit() > 0) {
            long drained = fanout.drainedPosition(streamCtx);
            replay = ReplayStart.newest(newestCursor(topics, streamQuery.filter(), streamQuery.limit(), drained));
        }
        Subscriber subscriber = fanout.subscribe(streamCtx, topics, streamQuery.filter(), maxLag, replay, connectionId);
        Channel channel = streamCtx.channel();
        // presence events it causes reach the streams (this one too) after this task: after connected and replay
        streamHandler.attach(subscriber, topics, presence.open(subscriber, channel.eventLoop(), names,
                principal.subject(), streamQuery.presence()));
        if (principal.subject() != null) {
            directory.add(principal.subject(), channel);
        }
        streamCtx.channel().attr(STREAM).set(Boolean.TRUE);
        metrics.streamOpened();
        scheduleLifetimeEnd(streamCtx.channel());
        streamCtx.flush();
        subscriber.catchUp();
        if (principal.expires()) {
            CredentialExpiry.schedule(streamCtx, principal.expiresAtMillis(), config.reconnectMillis());
        }
        return true;
    }

    /**
     * Ends the stream on {@code channel}: a {@code retry:} line and a comment saying why, then the connection
     * closes (CONTRACT §8: ending a stream always closes it), so the client reconnects, to this node or another.
     * Any thread; the work runs on the channel's event loop. Does nothing if the channel is no longer a stream.
     */
    public static void endWithRetry(Channel channel, long retryMillis, String why, CloseReason reason) {
        onStream(channel, streamCtx -> StreamEnd.afterRetryIsWritten(streamCtx, retryMillis, why, reason));
    }

    /**
     * Ends the stream on {@code channel} for a disconnect of its user (CONTRACT §11): the {@code disconnect} event,
     * then the connection closes ({@link StreamEnd#disconnected}). Any thread, as {@link #endWithRetry}.
     */
    static void disconnect(Channel channel, String why, boolean reconnect, long retryMillis) {
        onStream(channel, streamCtx -> StreamEnd.disconnected(streamCtx, why, reconnect, retryMillis));
    }

    /** Runs {@code end} on the channel's event loop with its stream context, if it is (still) a stream. */
    private static void onStream(Channel channel, Consumer<ChannelHandlerContext> end) {
        try {
            channel.eventLoop().execute(() -> {
                ChannelHandlerContext streamCtx = channel.pipeline().context(StreamHandler.class);
                if (streamCtx != null) {
                    end.accept(streamCtx);
                }
            });
        } catch (RejectedExecutionException stopping) {
            // the loop has stopped and closed the channel
        }
    }

    /**
     * The reconnect delay for a stream told to go away: uniform in [reconnectMillis / 2, reconnectMillis * 3 / 2),
     * so clients refused or ended together do not come back together. Any thread.
     */
    public static long jitteredRetryMillis(int reconnectMillis) {
        return Jitter.around(reconnectMillis);
    }

    /** With {@code maxStreamLifetime} set, ends the stream after 80-100% of it (uniformly), with retry:. */
    private void scheduleLifetimeEnd(Channel channel) {
        long lifetime = config.maxStreamLifetime().toNanos();
        if (lifetime <= 0) {
            return;
        }
        long after = Jitter.uniform(lifetime - lifetime / 5, lifetime + 1);
        ScheduledFuture<?> end = channel.eventLoop().schedule(
                () -> endWithRetry(channel, jitteredRetryMillis(config.reconnectMillis()), "stream lifetime reached; reconnect",
                        CloseReason.LIFETIME),
                after, TimeUnit.NANOSECONDS);
        channel.closeFuture().addListener(f -> end.cancel(false));
    }

    private boolean isResumable(long id, Topic[] topics) {
        if (id <= 0 || !fanout.isKnownId(id)) {
            return false;
        }
        for (Topic topic : topics) {
            if (!topic.history().retainsAllAfter(id)) {
                return false;
            }
        }
        return true;
    }

    /** The cursor below the newest {@code limit} matching events at or before {@code upTo}; -1 if none. */
    private static long newestCursor(Topic[] topics, TypeFilter filter, int limit, long upTo) {
        List<Event> candidates = new ArrayList<>();
        for (Topic topic : topics) {
            topic.history().newest(upTo, filter, limit, candidates);
        }
        if (candidates.isEmpty()) {
            return -1;
        }
        candidates.sort(Comparator.comparingLong(Event::id));
        int from = Math.max(0, candidates.size() - limit);
        return candidates.get(from).id() - 1;
    }

    private static List<String> withImplicitTopics(List<String> requested, Principal principal) {
        Set<String> all = new LinkedHashSet<>(requested);
        all.add(Grammar.BROADCAST_TOPIC);
        if (!principal.isAnonymous()) {
            all.add(Grammar.USER_TOPIC_PREFIX + principal.subject());
        }
        return List.copyOf(all);
    }

    /**
     * {@code {"connectionId":"…","topics":["…",…]}}, written by hand because it is on every stream's open. A connection
     * id (base 36 and {@code -}) and topic names (CONTRACT §1) hold no character JSON escapes, so these are the bytes
     * jackson writes; a name that would need escaping (none can today) goes through jackson all the same.
     */
    static String connectedJson(String connectionId, List<String> topics) {
        StringBuilder b = new StringBuilder(40 + connectionId.length() + 24 * topics.size())
                .append("{\"connectionId\":\"").append(connectionId).append("\",\"topics\":[");
        boolean plain = isPlainAscii(connectionId);
        for (int i = 0; i < topics.size(); i++) {
            String topic = topics.get(i);
            plain &= isPlainAscii(topic);
            b.append(i > 0 ? ",\"" : "\"").append(topic).append('"');
        }
        return plain ? b.append("]}").toString() : connectedJsonByJackson(connectionId, topics);
    }

    /** {@link #connectedJson} through jackson: for names that need escaping, and as the reference tests compare with. */
    static String connectedJsonByJackson(String connectionId, List<String> topics) {
        return Json.writeString(g -> {
            g.writeStartObject();
            g.writeStringField("connectionId", connectionId);
            g.writeArrayFieldStart("topics");
            for (String t : topics) {
                g.writeString(t);
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    /** Printable ASCII other than {@code "} and {@code \\}: what JSON writes without escaping. */
    private static boolean isPlainAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    private static String resetJson(String lastEventId) {
        return Json.writeString(g -> {
            g.writeStartObject();
            g.writeStringField("reason", "history-unavailable");
            g.writeStringField("lastEventId", lastEventId);
            g.writeEndObject();
        });
    }
}
