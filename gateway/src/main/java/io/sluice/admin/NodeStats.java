package io.sluice.admin;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.util.List;

/**
 * One sample of the node's traffic, taken by {@link StatsSampler}. Immutable.
 *
 * @param publishRate events published per second over the sampler's window
 * @param deliveryRate events delivered per second over the same window (summed over streams)
 * @param historyEvents events retained in history, all topics together
 * @param topTopics the topics with the most streams, most first (at most {@link StatsSampler#TOP_TOPICS})
 * @param windowSeconds the time the rates were measured over; 0 until there are two samples
 */
public record NodeStats(long connections, int topics, double publishRate, double deliveryRate,
                        long slowConsumerDisconnects, long historyEvents, List<TopicStreams> topTopics,
                        double windowSeconds) {
    static final NodeStats EMPTY = new NodeStats(0, 0, 0, 0, 0, 0, List.of(), 0);

    public NodeStats {
        topTopics = List.copyOf(topTopics);
    }

    /** A topic and the streams on this node subscribed to it. */
    public record TopicStreams(String topic, int streams) {
    }

    /** Writes {@code "topTopics":[{"topic":…,"streams":N},…]} as a field of the object {@code g} is in. */
    public static void writeTopTopics(JsonGenerator g, List<TopicStreams> topTopics) throws IOException {
        g.writeArrayFieldStart("topTopics");
        for (TopicStreams t : topTopics) {
            g.writeStartObject();
            g.writeStringField("topic", t.topic());
            g.writeNumberField("streams", t.streams());
            g.writeEndObject();
        }
        g.writeEndArray();
    }
}
