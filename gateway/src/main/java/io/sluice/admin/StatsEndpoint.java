package io.sluice.admin;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.api.HttpResponses;
import io.sluice.api.Json;
import io.sluice.api.QueryParams;
import io.sluice.fanout.TopicRegistry;
import io.sluice.metrics.CountingMetrics;

/**
 * {@code GET /v1/stats} on the management listener (CONTRACT §8):
 * <pre>{"connections":N,"topics":N,"publishRate":x,"deliveryRate":x,"slowConsumerDisconnects":N,
 *  "historyEvents":N,"rateWindowSeconds":x,"topTopics":[{"topic":"…","streams":N},…]}</pre>
 * Connections, topics and slow-consumer disconnects are read live; rates (per second), history and the top
 * topics come from the {@link StatsSampler}'s latest sample, at most one period old ({@link StatsSampler#current}: the
 * request walks the topics if the last walk is older).
 *
 * <p>Threading: the management loop; reads only thread-safe counts and the sampler's immutable snapshot.
 */
public final class StatsEndpoint {
    private final CountingMetrics counts;
    private final TopicRegistry topics;
    private final StatsSampler sampler;

    public StatsEndpoint(CountingMetrics counts, TopicRegistry topics, StatsSampler sampler) {
        this.counts = counts;
        this.topics = topics;
        this.sampler = sampler;
    }

    public void stats(ChannelHandlerContext ctx, FullHttpRequest request, QueryParams query, String pathParameter) {
        NodeStats sample = sampler.current();
        HttpResponses.json(ctx, request, HttpResponseStatus.OK, Json.write(g -> {
            g.writeStartObject();
            g.writeNumberField("connections", counts.openStreams());
            g.writeNumberField("topics", topics.size());
            g.writeNumberField("publishRate", round(sample.publishRate()));
            g.writeNumberField("deliveryRate", round(sample.deliveryRate()));
            g.writeNumberField("slowConsumerDisconnects", counts.slowConsumerDisconnects());
            g.writeNumberField("historyEvents", sample.historyEvents());
            g.writeNumberField("rateWindowSeconds", round(sample.windowSeconds()));
            NodeStats.writeTopTopics(g, sample.topTopics());
            g.writeEndObject();
        }));
    }

    /** Three decimals: enough for a rate, and no 0.30000000000000004 in the JSON. */
    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
