package io.sluice.fanout;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One topic: its history and, per event loop, the subscribers that loop serves.
 *
 * <p>Threading: {@code subscribersByLoop[i]} is created, read and changed only on event loop {@code i}, so
 * fan-out walks it without locks. {@link #streamCount()} is updated atomically by those loops and read by
 * publishers to report {@code sent}. History has its own monitor (see {@link TopicHistory}).
 */
public final class Topic {
    private final String name;
    private final TopicHistory history;
    private final SubscriberList[] subscribersByLoop;
    private final AtomicInteger streamCount = new AtomicInteger();

    Topic(String name, int historySize, int loopCount) {
        this.name = name;
        this.history = new TopicHistory(historySize);
        this.subscribersByLoop = new SubscriberList[loopCount];
    }

    public String name() {
        return name;
    }

    public TopicHistory history() {
        return history;
    }

    /** Streams on this node subscribed to this topic right now (any thread; a moment's view). */
    public int streamCount() {
        return streamCount.get();
    }

    /** Loop {@code loopIndex} only. May return null when that loop never had a subscriber here. */
    SubscriberList subscribersOn(int loopIndex) {
        return subscribersByLoop[loopIndex];
    }

    /** Loop {@code loopIndex} only. */
    Membership add(int loopIndex, Subscriber subscriber) {
        SubscriberList list = subscribersByLoop[loopIndex];
        if (list == null) {
            list = new SubscriberList();
            subscribersByLoop[loopIndex] = list;
        }
        streamCount.incrementAndGet();
        return list.add(subscriber);
    }

    /** Loop {@code loopIndex} only. */
    void remove(int loopIndex, Membership membership) {
        subscribersByLoop[loopIndex].remove(membership);
        streamCount.decrementAndGet();
    }

    @Override
    public String toString() {
        return name;
    }
}
