package io.sluice.fanout;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every topic this node has seen, by name. Topics are created on first publish or subscribe and kept for
 * the life of the process (their history is what replay serves); see docs/architecture.md for the bound.
 * Thread-safe.
 */
public final class TopicRegistry {
    /** Most streams first, then by name. */
    private static final Comparator<TopicStreams> BY_STREAMS =
            Comparator.comparingInt(TopicStreams::streams).reversed().thenComparing(TopicStreams::topic);

    private final ConcurrentHashMap<String, Topic> topics = new ConcurrentHashMap<>();
    private final int historySize;
    private final int loopCount;

    TopicRegistry(int historySize, int loopCount) {
        this.historySize = historySize;
        this.loopCount = loopCount;
    }

    /** The topic named {@code name} (already validated), created if new. */
    public Topic get(String name) {
        Topic t = topics.get(name);
        if (t != null) {
            return t;
        }
        return topics.computeIfAbsent(name, n -> new Topic(n, historySize, loopCount));
    }

    /** The topic, or null if this node has never seen it. */
    public Topic find(String name) {
        return topics.get(name);
    }

    public int size() {
        return topics.size();
    }

    public Collection<Topic> all() {
        return topics.values();
    }

    /**
     * The {@code n} topics with the most streams on this node right now, most first (ties by name); topics
     * without streams are left out. Each count is read once, so the order is consistent even while streams
     * come and go. Walks every topic: for once-a-second reporting, never the hot path. Any thread.
     */
    public List<TopicStreams> mostStreams(int n) {
        PriorityQueue<TopicStreams> top = new PriorityQueue<>(n + 1, BY_STREAMS.reversed());
        for (Topic t : topics.values()) {
            int streams = t.streamCount();
            if (streams > 0) {
                top.add(new TopicStreams(t.name(), streams));
                if (top.size() > n) {
                    top.poll();
                }
            }
        }
        List<TopicStreams> result = new ArrayList<>(top);
        result.sort(BY_STREAMS);
        return result;
    }

    /** A topic and how many streams on this node read it, at one moment. */
    public record TopicStreams(String topic, int streams) {
    }
}
