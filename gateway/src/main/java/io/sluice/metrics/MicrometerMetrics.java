package io.sluice.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.sluice.api.CloseReason;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * {@link GatewayMetrics} on a Micrometer registry. Counts go to the wrapped {@link CountingMetrics} (one
 * {@code LongAdder} add each) and are exported from there as function counters read at scrape time; the
 * histograms and the rejection counters are Micrometer meters created here, once.
 *
 * <p>Threading: every method may be called from any thread, event loops included; none blocks and none
 * allocates in steady state (timer records and counter increments are striped adders and atomic bucket
 * counts). A rejection reason not seen before is registered once, on its first use.
 */
public final class MicrometerMetrics implements GatewayMetrics {
    /** Distinct rejection reasons beyond which further new ones are counted as {@link #OTHER_REASON}. */
    static final int MAX_REASONS = 32;
    static final String OTHER_REASON = "other";

    private final MeterRegistry registry;
    private final CountingMetrics counts;
    private final Timer deliveryLatency;
    private final Timer publishAccepted;
    private final Timer publishRefused;
    private final ConcurrentHashMap<String, Counter> rejections = new ConcurrentHashMap<>();

    public MicrometerMetrics(MeterRegistry registry, CountingMetrics counts) {
        this.registry = registry;
        this.counts = counts;
        Gauge.builder(SluiceMeters.CONNECTIONS, counts, CountingMetrics::openStreams)
                .description("Streams open on this node").register(registry);
        counter(SluiceMeters.EVENTS_PUBLISHED, CountingMetrics::published, "Events accepted by publishes");
        counter(SluiceMeters.EVENTS_DELIVERED, CountingMetrics::delivered, "Events written to streams, over all streams");
        counter(SluiceMeters.SLOW_CONSUMER_DISCONNECTS, CountingMetrics::slowConsumerDisconnects,
                "Streams closed for falling behind their lag bound or the history");
        counter(SluiceMeters.REPLAYED_EVENTS, CountingMetrics::replayed, "Events sent from history");
        FunctionCounter.builder(SluiceMeters.PUBLISHES_REFUSED, counts, CountingMetrics::queueFullRefusals)
                .tag(SluiceMeters.TAG_REASON, "queue_full")
                .description("Publishes refused with 503").register(registry);
        FunctionCounter.builder(SluiceMeters.PUBLISHES_REFUSED, counts, CountingMetrics::memoryRefusals)
                .tag(SluiceMeters.TAG_REASON, GatewayMetrics.REFUSED_MEMORY)
                .description("Publishes refused with 503").register(registry);
        for (String reason : List.of(EVICTED_COUNT, EVICTED_AGE, EVICTED_BYTES)) {
            FunctionCounter.builder(SluiceMeters.HISTORY_EVICTIONS, counts, c -> c.historyEvictions(reason))
                    .tag(SluiceMeters.TAG_REASON, reason)
                    .description("Events evicted from history, by why").register(registry);
        }
        this.deliveryLatency = latencyTimer(SluiceMeters.DELIVERY_LATENCY,
                "Publish accepted to written to the socket, per event per event loop").register(registry);
        this.publishAccepted = latencyTimer(SluiceMeters.PUBLISH_REQUEST_DURATION, "Publish request handling")
                .tag(SluiceMeters.TAG_OUTCOME, "accepted").register(registry);
        this.publishRefused = latencyTimer(SluiceMeters.PUBLISH_REQUEST_DURATION, "Publish request handling")
                .tag(SluiceMeters.TAG_OUTCOME, "refused").register(registry);
        for (CloseReason reason : CloseReason.values()) {
            FunctionCounter.builder(SluiceMeters.STREAMS_CLOSED, counts, c -> c.streamsClosed(reason))
                    .tag(SluiceMeters.TAG_REASON, reason.metricLabel())
                    .description("Streams ended, by why they ended (the access log's close field)").register(registry);
        }
        for (String reason : SluiceMeters.REJECTION_REASONS) {
            rejections.put(reason, rejectionCounter(reason));
        }
        rejections.put(OTHER_REASON, rejectionCounter(OTHER_REASON));
    }

    /**
     * The delivery-latency histogram since start: cumulative counts per bucket (CONTRACT §8
     * {@code sluice_delivery_latency_seconds}). Any thread; for once-a-second readers such as the dashboard.
     */
    public HistogramSnapshot deliveryLatencySnapshot() {
        return deliveryLatency.takeSnapshot();
    }

    /** The counts this wraps: the in-process view tests and {@code /v1/stats} read. */
    public CountingMetrics counts() {
        return counts;
    }

    @Override
    public void streamOpened() {
        counts.streamOpened();
    }

    @Override
    public void streamClosed(CloseReason reason) {
        counts.streamClosed(reason);
    }

    @Override
    public void eventsPublished(int count) {
        counts.eventsPublished(count);
    }

    @Override
    public void eventsDelivered(long count) {
        counts.eventsDelivered(count);
    }

    @Override
    public void eventsReplayed(int count) {
        counts.eventsReplayed(count);
    }

    @Override
    public void slowConsumerDisconnect() {
        counts.slowConsumerDisconnect();
    }

    @Override
    public void deliveryLatencyNanos(long nanos) {
        counts.deliveryLatencyNanos(nanos);
        deliveryLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void publishRefusedQueueFull() {
        counts.publishRefusedQueueFull();
    }

    @Override
    public void publishRefused(String reason) {
        counts.publishRefused(reason);
    }

    @Override
    public void historyEvicted(String reason, int count) {
        counts.historyEvicted(reason, count);
    }

    @Override
    public void jwksRefreshFailed() {
        counts.jwksRefreshFailed(); // exported by NodeMeters, and only where a jwksUrl is configured
    }

    @Override
    public void connectionRejected(String reason) {
        counts.connectionRejected(reason);
        Counter counter = rejections.get(reason);
        if (counter == null) {
            counter = rejections.size() < MAX_REASONS
                    ? rejections.computeIfAbsent(reason, this::rejectionCounter)
                    : rejections.get(OTHER_REASON);
        }
        counter.increment();
    }

    @Override
    public void publishRequestNanos(long nanos, boolean accepted) {
        counts.publishRequestNanos(nanos, accepted);
        (accepted ? publishAccepted : publishRefused).record(nanos, TimeUnit.NANOSECONDS);
    }

    private void counter(String name, ToDoubleFunction<CountingMetrics> count, String description) {
        FunctionCounter.builder(name, counts, count).description(description).register(registry);
    }

    private Counter rejectionCounter(String reason) {
        return Counter.builder(SluiceMeters.CONNECTIONS_REJECTED).tag(SluiceMeters.TAG_REASON, reason)
                .description("Stream or connection requests refused before they became streams").register(registry);
    }

    private static Timer.Builder latencyTimer(String name, String description) {
        return Timer.builder(name)
                .description(description)
                .serviceLevelObjectives(SluiceMeters.LATENCY_BUCKETS.toArray(new Duration[0]))
                .publishPercentileHistogram(false);
    }
}
