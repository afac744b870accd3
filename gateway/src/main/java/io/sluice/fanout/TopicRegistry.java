package io.sluice.fanout;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The topics this node uses now, by name (CONTRACT §10: a topic with no open stream and no retained event holds no
 * memory). A topic is created on first publish or subscribe; it stays while a stream holds it or history retains one
 * of its events, and {@link #forgetUnused} forgets it after that. Thread-safe.
 *
 * <p>Races with forgetting, and why none loses an event:
 * <ul>
 *   <li>A stream takes its topics with {@link #acquire}, which finds or creates the topic and takes a hold on it in
 *       one atomic step of the map (a {@code compute} on the name); forgetting removes a topic only inside an atomic
 *       step on the same name that first checks no hold exists. So a stream never holds a forgotten topic.</li>
 *   <li>Publishers look topics up ({@link #get}) under the fan-out's commit lock, and forgetting removes each topic
 *       under that lock too: a publish never commits into a topic being forgotten.</li>
 *   <li>A topic is forgotten only once every event loop has drained its newest event, so no queued event still
 *       points at it when a new topic of the same name starts receiving streams.</li>
 * </ul>
 */
public final class TopicRegistry {
    /** Topics {@link #walk} visits between two offers of the walking thread's core. */
    static final int WALK_SLICE = 512;

    private final ConcurrentHashMap<String, Topic> topics = new ConcurrentHashMap<>();
    private final int historySize;
    private final int loopCount;
    private final LongSupplier evictedEverywhereUpTo;

    /**
     * @param evictedEverywhereUpTo the newest id history evicted by age or bytes, node-wide: those bounds evict the
     *                              node's oldest event first, so no event at or below it is retained anywhere. A new
     *                              topic starts with it as its eviction mark, since a forgotten topic of the same name
     *                              lost its events at or below it: a resume from further back is told {@code reset}.
     */
    TopicRegistry(int historySize, int loopCount, LongSupplier evictedEverywhereUpTo) {
        this.historySize = historySize;
        this.loopCount = loopCount;
        this.evictedEverywhereUpTo = evictedEverywhereUpTo;
    }

    /**
     * The topic named {@code name} (already validated), created if new, without a hold: for publishers, under the
     * commit lock, and for tests and tools that never race with {@link #forgetUnused}.
     */
    public Topic get(String name) {
        Topic t = topics.get(name);
        if (t != null) {
            return t;
        }
        return topics.computeIfAbsent(name, this::newTopic);
    }

    /**
     * The topic named {@code name}, created if new, with a hold taken for a stream: it is not forgotten until the
     * stream gives the hold back with {@link Topic#release()}. Any thread.
     */
    public Topic acquire(String name) {
        return topics.compute(name, (n, existing) -> {
            Topic t = existing != null ? existing : newTopic(n);
            t.hold();
            return t;
        });
    }

    /** The topic, or null if this node does not know it now. Never creates one (snapshots name any topic). */
    public Topic find(String name) {
        return topics.get(name);
    }

    public int size() {
        return topics.size();
    }

    /**
     * Calls {@code visit} with every topic this node knows, without a lock: for walks off the stream loops (the
     * management loop's once a second), whose time grows with the topics. Every {@link #WALK_SLICE} topics the walking
     * thread offers its core to any thread waiting for it ({@link Thread#yield()}; at once when none is), so a stream
     * loop that shares the core waits for one slice of a walk, not all of it: on a node pinned to one core a walk of
     * 10,000 topics held its loop off for 2.3 ms in one piece (bench/ANALYSIS.md).
     */
    public void walk(Consumer<Topic> visit) {
        int sinceYield = 0;
        for (Topic topic : topics.values()) {
            visit.accept(topic);
            if (++sinceYield == WALK_SLICE) {
                sinceYield = 0;
                Thread.yield();
            }
        }
    }

    /**
     * Forgets every topic nobody uses ({@link Topic#isUnused}): walks the topics without a lock, then removes each
     * candidate under {@code commitLock} in an atomic step that rechecks it. Called by one thread at a time, off the
     * stream loops: the walk costs time in proportion to the topics known.
     *
     * @param drainedEverywhere the newest id every event loop has drained
     * @return the topics forgotten
     */
    int forgetUnused(long drainedEverywhere, Object commitLock) {
        int[] forgotten = new int[1];
        walk(candidate -> {
            if (!candidate.isUnused(drainedEverywhere)) {
                return;
            }
            synchronized (commitLock) {
                topics.computeIfPresent(candidate.name(), (n, t) -> {
                    if (t == candidate && t.isUnused(drainedEverywhere)) {
                        forgotten[0]++;
                        return null;
                    }
                    return t;
                });
            }
        });
        return forgotten[0];
    }

    private Topic newTopic(String name) {
        return new Topic(name, historySize, loopCount, evictedEverywhereUpTo.getAsLong());
    }
}
