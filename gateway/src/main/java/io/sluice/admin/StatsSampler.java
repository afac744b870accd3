package io.sluice.admin;

import io.sluice.api.Grammar;
import io.sluice.fanout.Topic;
import io.sluice.fanout.TopicRegistry;
import io.sluice.metrics.CountingMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Samples the node's traffic once a period into a {@link NodeStats}: publish and delivery rates over the last
 * {@link #WINDOW_SAMPLES} periods (from the running counts), the events retained in history, and, while someone looks,
 * the topics with the most streams.
 *
 * <p>The top topics take a walk over every topic the node knows ({@link TopicRegistry#walk}), whose time grows with
 * them: with 19,000-38,000 topics, in scenario b's waves, the walks took 5 % of the process's CPU (bench/ANALYSIS.md,
 * "The stats sampler's walk"), and a node with a million per-user topics would spend a fifth of a core on it. So the
 * walk runs only on demand: {@link #current()} (the {@code /v1/stats} request, the dashboard while it has a viewer)
 * walks when the last walk is a period old, and keeps the once-a-period walk going for
 * {@link #TOP_TOPICS_DEMAND_NANOS} after it; with nobody asking, a period samples counters only.
 *
 * <p>Threading: {@link #run()} and {@link #current()} on one thread (the management loop), one at a time;
 * {@link #latest()} from any thread. It takes no lock: the history count is the fan-out's own, and the walk reads each
 * topic's stream count, a field of the topic, offering the core to the stream loops every {@code WALK_SLICE} topics.
 */
public final class StatsSampler implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(StatsSampler.class);
    /** Samples the rates span: with a 1 s period, a 10 s window smooths bursts yet follows a change quickly. */
    public static final int WINDOW_SAMPLES = 10;
    /** Entries of {@link NodeStats#topTopics()}. */
    public static final int TOP_TOPICS = 10;
    /** How long after the last {@link #current()} each period still walks the topics for the top list. */
    static final long TOP_TOPICS_DEMAND_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** A top list at least this old is walked again by {@link #current()}: the sampling period. */
    static final long TOP_TOPICS_MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final TopicRegistry topics;
    private final CountingMetrics counts;
    private final LongSupplier historyEvents;
    private final LongSupplier nanoClock;
    /** Ring of the last WINDOW_SAMPLES + 1 samples; run() only. */
    private final long[] sampledAt = new long[WINDOW_SAMPLES + 1];
    private final long[] published = new long[WINDOW_SAMPLES + 1];
    private final long[] delivered = new long[WINDOW_SAMPLES + 1];
    private int samples;
    private int next;
    private double publishRate;
    private double deliveryRate;
    private double windowSeconds;
    /** The last walk's top list, when it was taken, and when {@link #current()} last asked for one. */
    private List<NodeStats.TopicStreams> topTopics = List.of();
    private boolean walked;
    private long walkedAt;
    private boolean asked;
    private long askedAt;
    /** Walks taken, for tests. */
    private long walks;
    private volatile NodeStats latest = NodeStats.EMPTY;

    /** @param historyEvents events retained in history, all topics: a count kept by the fan-out, not a walk */
    public StatsSampler(TopicRegistry topics, CountingMetrics counts, LongSupplier historyEvents) {
        this(topics, counts, historyEvents, System::nanoTime);
    }

    StatsSampler(TopicRegistry topics, CountingMetrics counts, LongSupplier historyEvents, LongSupplier nanoClock) {
        this.topics = topics;
        this.counts = counts;
        this.historyEvents = historyEvents;
        this.nanoClock = nanoClock;
    }

    /**
     * The newest sample; {@link NodeStats#EMPTY}-like zeros before the first. Its top topics are the last walk's,
     * which is as old as the last {@link #current()} when nobody has asked since. Any thread.
     */
    public NodeStats latest() {
        return latest;
    }

    /**
     * The newest sample with a top list at most a period old, walking the topics now if it is older, and keeping the
     * periodic walk going for {@link #TOP_TOPICS_DEMAND_NANOS}. The management loop only (the thread of {@link #run}).
     */
    public NodeStats current() {
        long now = nanoClock.getAsLong();
        asked = true;
        askedAt = now;
        if (!walked || now - walkedAt >= TOP_TOPICS_MAX_AGE_NANOS) {
            walkTopTopics(now);
            publish();
        }
        return latest;
    }

    /** Walks taken so far. */
    long walks() {
        return walks;
    }

    /**
     * Takes one sample. One thread at a time. Never throws: a failed sample is logged and the previous one
     * kept, so a schedule that runs this goes on.
     */
    @Override
    public void run() {
        try {
            sample();
        } catch (RuntimeException e) {
            log.warn("stats sample failed", e);
        }
    }

    private void sample() {
        int newest = next;
        long now = nanoClock.getAsLong();
        sampledAt[newest] = now;
        published[newest] = counts.published();
        delivered[newest] = counts.delivered();
        next = (next + 1) % sampledAt.length;
        samples = Math.min(samples + 1, sampledAt.length);
        int oldest = samples < sampledAt.length ? 0 : next;
        windowSeconds = (sampledAt[newest] - sampledAt[oldest]) / 1e9;
        publishRate = windowSeconds > 0 ? (published[newest] - published[oldest]) / windowSeconds : 0;
        deliveryRate = windowSeconds > 0 ? (delivered[newest] - delivered[oldest]) / windowSeconds : 0;
        if (asked && now - askedAt < TOP_TOPICS_DEMAND_NANOS) {
            walkTopTopics(now);
        }
        publish();
    }

    private void walkTopTopics(long now) {
        TopRanking ranking = new TopRanking();
        topics.walk(ranking);
        List<NodeStats.TopicStreams> top = new ArrayList<>(ranking.count);
        for (int i = 0; i < ranking.count; i++) {
            top.add(new NodeStats.TopicStreams(ranking.top[i].name(), ranking.streams[i]));
        }
        topTopics = top;
        walked = true;
        walkedAt = now;
        walks++;
    }

    private void publish() {
        latest = new NodeStats(counts.openStreams(), topics.size(), publishRate, deliveryRate,
                counts.slowConsumerDisconnects(), historyEvents.getAsLong(), topTopics, windowSeconds);
    }

    /**
     * One walk's {@link #TOP_TOPICS} topics with the most streams, most first. Reads each
     * topic's stream count (a field of the topic) and, only for a topic that ties with or beats the last of the list,
     * its name.
     */
    private static final class TopRanking implements Consumer<Topic> {
        final Topic[] top = new Topic[TOP_TOPICS];
        final int[] streams = new int[TOP_TOPICS];
        int count;

        @Override
        public void accept(Topic topic) {
            int n = topic.streamCount();
            // every stream is on the broadcast topic: it would always lead with the connection count
            if (n == 0 || (count == TOP_TOPICS && !ranksAbove(n, topic, streams[TOP_TOPICS - 1], top[TOP_TOPICS - 1]))
                    || topic.name().equals(Grammar.BROADCAST_TOPIC)) {
                return;
            }
            int i = Math.min(count, TOP_TOPICS - 1);
            while (i > 0 && ranksAbove(n, topic, streams[i - 1], top[i - 1])) {
                top[i] = top[i - 1];
                streams[i] = streams[i - 1];
                i--;
            }
            top[i] = topic;
            streams[i] = n;
            count = Math.min(count + 1, TOP_TOPICS);
        }
    }

    /** More streams first; equal counts by name, so the list is stable from one sample to the next. */
    private static boolean ranksAbove(int streams, Topic topic, int otherStreams, Topic other) {
        return streams > otherStreams || (streams == otherStreams && topic.name().compareTo(other.name()) < 0);
    }
}
