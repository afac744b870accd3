package io.sluice.stream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.auth.AccessPolicy;
import io.sluice.auth.Principal;
import io.sluice.config.SluiceConfig;
import io.sluice.fanout.Event;
import io.sluice.fanout.FanoutCore;
import io.sluice.fanout.Grammar;
import io.sluice.fanout.ReplayStart;
import io.sluice.fanout.Subscriber;
import io.sluice.fanout.Topic;
import io.sluice.fanout.TypeFilter;
import io.sluice.http.Json;
import io.sluice.http.PipelineNames;
import io.sluice.http.QueryParams;
import io.sluice.metrics.GatewayMetrics;
import io.sluice.sse.SseFrames;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Opens a stream (CONTRACT §2): validates and authorises the request, answers the headers, turns the
 * channel into a stream pipeline, sends {@code retry:} and {@code connected}, then replay (or {@code reset})
 * and joins the fan-out. Stateless and thread-safe; {@link #open} runs on the channel's event loop.
 */
public final class StreamService {

    private final FanoutCore fanout;
    private final AccessPolicy access;
    private final GatewayMetrics metrics;
    private final SluiceConfig config;
    private final int maxLag;
    private final String nodePrefix = Long.toString(ThreadLocalRandom.current().nextLong(1L << 30, 1L << 35), 36);
    private final AtomicLong connectionCounter = new AtomicLong();

    public StreamService(FanoutCore fanout, AccessPolicy access, GatewayMetrics metrics, SluiceConfig config) {
        this.fanout = fanout;
        this.access = access;
        this.metrics = metrics;
        this.config = config;
        this.maxLag = config.effectiveMaxStreamLag();
    }

    /**
     * Serves {@code request} as a stream on {@code ctx}'s channel, or throws an {@link io.sluice.http.ApiException}
     * before anything is written.
     */
    public void open(ChannelHandlerContext ctx, FullHttpRequest request, QueryParams query) {
        Principal principal = access.authenticate(ctx.channel(), request, query);
        StreamQuery streamQuery = StreamQuery.parse(query, request.headers(), config.maxTopicsPerConnection(),
                StreamQuery.MAX_LIMIT);
        for (String topic : streamQuery.topics()) {
            access.checkSubscribe(principal, topic);
        }
        List<String> names = withImplicitTopics(streamQuery.topics(), principal);
        Topic[] topics = new Topic[names.size()];
        for (int i = 0; i < topics.length; i++) {
            topics[i] = fanout.topics().get(names.get(i));
        }

        ctx.write(streamHeaders(request.protocolVersion()));
        ChannelPipeline pipeline = ctx.pipeline();
        StreamHandler streamHandler = new StreamHandler(metrics);
        pipeline.addFirst(PipelineNames.STREAM, streamHandler);
        pipeline.remove(PipelineNames.ROUTER);
        pipeline.remove(PipelineNames.BODY_LIMIT);
        pipeline.remove(PipelineNames.HTTP_CODEC);
        ChannelHandlerContext streamCtx = pipeline.context(PipelineNames.STREAM);

        String connectionId = nodePrefix + "-" + Long.toString(connectionCounter.incrementAndGet(), 36);
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
        Subscriber subscriber = fanout.subscribe(streamCtx, topics, streamQuery.filter(), maxLag, replay);
        streamHandler.attach(subscriber);
        metrics.streamOpened();
        streamCtx.flush();
        subscriber.catchUp();
        if (principal.expires()) {
            CredentialExpiry.schedule(streamCtx, principal.expiresAtMillis(), config.reconnectMillis());
        }
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

    private static HttpResponse streamHeaders(HttpVersion version) {
        HttpResponse response = new DefaultHttpResponse(version, HttpResponseStatus.OK);
        // Close-delimited body: no chunk framing, so each frame is written as the shared buffer itself.
        // Ending a stream always closes its connection anyway (CONTRACT §8).
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE)
                .set("X-Accel-Buffering", "no")
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return response;
    }

    private static String connectedJson(String connectionId, List<String> topics) {
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

    private static String resetJson(String lastEventId) {
        return Json.writeString(g -> {
            g.writeStartObject();
            g.writeStringField("reason", "history-unavailable");
            g.writeStringField("lastEventId", lastEventId);
            g.writeEndObject();
        });
    }
}
