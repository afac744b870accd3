package io.sluice.fanout;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every topic this node has seen, by name. Topics are created on first publish or subscribe and kept for
 * the life of the process (their history is what replay serves); see docs/architecture.md for the bound.
 * Thread-safe.
 */
public final class TopicRegistry {
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
}
