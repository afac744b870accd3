package io.sluice.admin;

import io.sluice.api.Grammar;
import io.sluice.fanout.Topic;
import io.sluice.fanout.TopicRegistry;
import io.sluice.metrics.CountingMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Samples the node's traffic once a period into a {@link NodeStats}: publish and delivery rates over the last
 * {@link #WINDOW_SAMPLES} periods (from the running counts), the topics with the most streams, the events
 * retained in history.
 *
 * <p>Threading: {@link #run()} is called by one thread at a time, on a schedule (the management loop);
 * {@link #latest()} from any thread. It takes no lock: the history count is the fan-out's own, and the walk for
 * the top topics ({@link TopicRegistry#walk}) reads each topic's stream count, a field of the topic. The walk's time
 * grows with the topics the node knows (2.3 ms for 10,000 on the benchmark machine while it also took each history's
 * monitor), which is why it runs once a period off the stream loops, offering the core to them every
 * {@code WALK_SLICE} topics.
 */
public final class StatsSampler implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(StatsSampler.class);
    /** Samples the rates span: with a 1 s period, a 10 s window smooths bursts yet follows a change quickly. */
    public static final int WINDOW_SAMPLES = 10;
    /** Entries of {@link NodeStats#topTopics()}. */
    public static final int TOP_TOPICS = 10;

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

    /** The newest sample; {@link NodeStats#EMPTY}-like zeros before the first. Any thread. */
    public NodeStats latest() {
        return latest;
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
        sampledAt[newest] = nanoClock.getAsLong();
        published[newest] = counts.published();
        delivered[newest] = counts.delivered();
        next = (next + 1) % sampledAt.length;
        samples = Math.min(samples + 1, sampledAt.length);
        int oldest = samples < sampledAt.length ? 0 : next;
        double seconds = (sampledAt[newest] - sampledAt[oldest]) / 1e9;
        double publishRate = seconds > 0 ? (published[newest] - published[oldest]) / seconds : 0;
        double deliveryRate = seconds > 0 ? (delivered[newest] - delivered[oldest]) / seconds : 0;

        TopRanking ranking = new TopRanking();
        topics.walk(ranking);
        List<NodeStats.TopicStreams> topTopics = new ArrayList<>(ranking.count);
        for (int i = 0; i < ranking.count; i++) {
            topTopics.add(new NodeStats.TopicStreams(ranking.top[i].name(), ranking.streams[i]));
        }
        latest = new NodeStats(counts.openStreams(), ranking.topics, publishRate, deliveryRate,
                counts.slowConsumerDisconnects(), historyEvents.getAsLong(), topTopics, seconds);
    }

    /**
     * One walk's count of topics and its {@link #TOP_TOPICS} topics with the most streams, most first. Reads each
     * topic's stream count (a field of the topic) and, only for a topic that ties with or beats the last of the list,
     * its name.
     */
    private static final class TopRanking implements Consumer<Topic> {
        final Topic[] top = new Topic[TOP_TOPICS];
        final int[] streams = new int[TOP_TOPICS];
        int count;
        int topics;

        @Override
        public void accept(Topic topic) {
            topics++;
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
