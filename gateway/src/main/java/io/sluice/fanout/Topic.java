package io.sluice.fanout;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * One topic: its history and, per event loop, the subscribers that loop serves.
 *
 * <p>Threading: {@code subscribersByLoop[i]} is created, read and changed only on event loop {@code i}, so
 * fan-out walks it without locks. {@link #streamCount()} and the type filters' counts are updated atomically by
 * those loops and read by publishers to report {@code sent}. History has its own monitor (see {@link TopicHistory}).
 *
 * <p>Lifetime: a topic lives in the {@link TopicRegistry} while a stream holds it ({@link TopicRegistry#acquire},
 * {@link #release()}) or history retains one of its events; after that the registry forgets it (CONTRACT §10), and a
 * later stream or publish gets a new one of the same name.
 */
public final class Topic {
    private final String name;
    private final TopicHistory history;
    private final SubscriberList[] subscribersByLoop;
    private static final AtomicIntegerFieldUpdater<Topic> STREAM_COUNT =
            AtomicIntegerFieldUpdater.newUpdater(Topic.class, "streamCount");
    private static final AtomicIntegerFieldUpdater<Topic> HOLDERS =
            AtomicIntegerFieldUpdater.newUpdater(Topic.class, "holders");

    /**
     * Counts are fields of the topic, not objects of their own: a walk of every topic ({@link TopicRegistry#walk})
     * reads them without touching another object per topic.
     */
    private volatile int streamCount;
    /** Streams holding this topic: taken by {@link TopicRegistry#acquire}, given back by {@link #release()}. */
    private volatile int holders;
    /** Id of the newest event committed here; 0 if none. Written under the commit lock. */
    private volatile long lastCommittedId;
    /** Streams with a {@code types} filter, by distinct filter; copied on change (loops), read by commits. */
    private volatile FilterCount[] filtered = new FilterCount[0];
    /** This topic's index in {@link Retention}'s heap while it retains anything, else -1; commit lock only. */
    int retentionSlot = -1;
    /** One-entry memo of {@link #matchingStreams}: for a type and a set of filters, the filters that miss it. */
    private volatile MissMemo memo;

    /** @param evictedBefore see {@link TopicHistory#TopicHistory(Topic, int, long)} */
    Topic(String name, int historySize, int loopCount, long evictedBefore) {
        this.name = name;
        this.history = new TopicHistory(this, historySize, evictedBefore);
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
        return streamCount;
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
        if (!subscriber.filter().acceptsAll()) {
            countFilter(subscriber.filter(), 1);
        }
        STREAM_COUNT.incrementAndGet(this);
        return list.add(subscriber);
    }

    /** Loop {@code loopIndex} only. */
    void remove(int loopIndex, Membership membership) {
        TypeFilter filter = membership.subscriber.filter();
        subscribersByLoop[loopIndex].remove(membership);
        if (subscribersByLoop[loopIndex].size() == 0) {
            subscribersByLoop[loopIndex] = null;
        }
        STREAM_COUNT.decrementAndGet(this);
        if (!filter.acceptsAll()) {
            countFilter(filter, -1);
        }
    }

    /**
     * Streams on this node whose type filter accepts {@code type} (CONTRACT §4 {@code sent}): every stream, less
     * those whose filter misses it; a moment's view. Any thread. The filters' globs are matched once per type and set
     * of distinct filters (a one-entry memo), so a topic published with one type costs a few additions per event.
     */
    public int matchingStreams(String type) {
        int matching = streamCount;
        FilterCount[] now = filtered;
        if (now.length == 0) {
            return matching;
        }
        MissMemo m = memo;
        if (m == null || m.filtered != now || !m.type.equals(type)) {
            m = MissMemo.of(type, now);
            memo = m;
        }
        for (FilterCount f : m.missing) {
            matching -= f.streams.get();
        }
        return Math.max(0, matching);
    }

    /** Records the commit of event {@code id} here. Commit lock held. */
    void committed(long id) {
        lastCommittedId = id;
    }

    /** Takes a hold for a stream about to subscribe. {@link TopicRegistry} only, atomically with the lookup. */
    void hold() {
        HOLDERS.incrementAndGet(this);
    }

    /** Gives back a stream's hold, taken by {@link TopicRegistry#acquire}. Once per acquire; any thread. */
    public void release() {
        HOLDERS.decrementAndGet(this);
    }

    /**
     * Whether nothing needs this topic: no stream holds it, history retains none of its events, and every loop has
     * drained its newest event ({@code drainedEverywhere}), so no queue still holds one. Any thread; the registry
     * rechecks it atomically with the removal.
     */
    boolean isUnused(long drainedEverywhere) {
        return holders == 0 && lastCommittedId <= drainedEverywhere && history.isEmpty();
    }

    /** Adds {@code delta} to the streams counted under {@code filter}. Any of this topic's loops. */
    private void countFilter(TypeFilter filter, int delta) {
        synchronized (this) {
            FilterCount[] now = filtered;
            for (int i = 0; i < now.length; i++) {
                if (now[i].filter.equals(filter)) {
                    if (now[i].streams.addAndGet(delta) == 0) {
                        FilterCount[] fewer = new FilterCount[now.length - 1];
                        System.arraycopy(now, 0, fewer, 0, i);
                        System.arraycopy(now, i + 1, fewer, i, now.length - i - 1);
                        filtered = fewer;
                    }
                    return;
                }
            }
            FilterCount added = new FilterCount(filter);
            added.streams.set(delta);
            FilterCount[] more = Arrays.copyOf(now, now.length + 1);
            more[now.length] = added;
            filtered = more;
        }
    }

    /** The filters of {@code filtered} that do not accept {@code type}. Immutable. */
    private record MissMemo(String type, FilterCount[] filtered, FilterCount[] missing) {
        static MissMemo of(String type, FilterCount[] filtered) {
            int misses = 0;
            FilterCount[] missing = new FilterCount[filtered.length];
            for (FilterCount f : filtered) {
                if (!f.filter.matches(type)) {
                    missing[misses++] = f;
                }
            }
            return new MissMemo(type, filtered, Arrays.copyOf(missing, misses));
        }
    }

    /** The streams of this topic that share one type filter. */
    private static final class FilterCount {
        final TypeFilter filter;
        final AtomicInteger streams = new AtomicInteger();

        FilterCount(TypeFilter filter) {
            this.filter = filter;
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
