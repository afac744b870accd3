package io.sluice.admin;

import io.sluice.api.Grammar;
import io.sluice.fanout.Topic;
import io.sluice.fanout.TopicRegistry;
import io.sluice.metrics.CountingMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Samples the node's traffic once a period into a {@link NodeStats}: publish and delivery rates over the last
 * {@link #WINDOW_SAMPLES} periods (from the running counts), the topics with the most streams, the events
 * retained in history.
 *
 * <p>Threading: {@link #run()} is called by one thread at a time, on a schedule (the management loop);
 * {@link #latest()} from any thread. It never touches the hot path's locks: it reads each topic's atomic
 * stream count and takes each history's monitor only for {@code size()}, one topic at a time, so a commit
 * waits at most for one such read. A walk costs time proportional to the topics the node knows (about
 * 10–20 ms per million), which is why it runs once a second off the stream loops rather than per request.
 */
public final class StatsSampler implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(StatsSampler.class);
    /** Samples the rates span: with a 1 s period, a 10 s window smooths bursts yet follows a change quickly. */
    public static final int WINDOW_SAMPLES = 10;
    /** Entries of {@link NodeStats#topTopics()}. */
    public static final int TOP_TOPICS = 10;

    private final TopicRegistry topics;
    private final CountingMetrics counts;
    private final LongSupplier nanoClock;
    /** Ring of the last WINDOW_SAMPLES + 1 samples; run() only. */
    private final long[] sampledAt = new long[WINDOW_SAMPLES + 1];
    private final long[] published = new long[WINDOW_SAMPLES + 1];
    private final long[] delivered = new long[WINDOW_SAMPLES + 1];
    private int samples;
    private int next;
    private volatile NodeStats latest = NodeStats.EMPTY;

    public StatsSampler(TopicRegistry topics, CountingMetrics counts) {
        this(topics, counts, System::nanoTime);
    }

    StatsSampler(TopicRegistry topics, CountingMetrics counts, LongSupplier nanoClock) {
        this.topics = topics;
        this.counts = counts;
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

        Topic[] top = new Topic[TOP_TOPICS];
        int[] topStreams = new int[TOP_TOPICS];
        int topCount = 0;
        long historyEvents = 0;
        int topicCount = 0;
        for (Topic topic : topics.all()) {
            topicCount++;
            historyEvents += topic.history().size();
            int streams = topic.streamCount();
            // every stream is on the broadcast topic: it would always lead with the connection count
            if (streams == 0 || topic.name().equals(Grammar.BROADCAST_TOPIC)
                    || (topCount == TOP_TOPICS && !ranksAbove(streams, topic, topStreams[TOP_TOPICS - 1],
                    top[TOP_TOPICS - 1]))) {
                continue;
            }
            int i = Math.min(topCount, TOP_TOPICS - 1);
            while (i > 0 && ranksAbove(streams, topic, topStreams[i - 1], top[i - 1])) {
                top[i] = top[i - 1];
                topStreams[i] = topStreams[i - 1];
                i--;
            }
            top[i] = topic;
            topStreams[i] = streams;
            topCount = Math.min(topCount + 1, TOP_TOPICS);
        }
        List<NodeStats.TopicStreams> topTopics = new ArrayList<>(topCount);
        for (int i = 0; i < topCount; i++) {
            topTopics.add(new NodeStats.TopicStreams(top[i].name(), topStreams[i]));
        }
        latest = new NodeStats(counts.openStreams(), topicCount, publishRate, deliveryRate,
                counts.slowConsumerDisconnects(), historyEvents, topTopics, seconds);
    }

    /** More streams first; equal counts by name, so the list is stable from one sample to the next. */
    private static boolean ranksAbove(int streams, Topic topic, int otherStreams, Topic other) {
        return streams > otherStreams || (streams == otherStreams && topic.name().compareTo(other.name()) < 0);
    }
}
