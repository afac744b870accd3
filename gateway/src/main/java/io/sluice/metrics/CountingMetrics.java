package io.sluice.metrics;

import java.util.concurrent.atomic.LongAdder;

/**
 * In-process counters behind {@link GatewayMetrics}: the node's one copy of its counts. Alone in unit tests and
 * benchmarks; in the server {@link MicrometerMetrics} wraps it, exports these counts to Prometheus and adds
 * the histograms, and {@code /v1/stats} computes its rates from them. Cheap under contention (LongAdder).
 * Readers get a moment's view.
 */
public final class CountingMetrics implements GatewayMetrics {
    private final LongAdder streams = new LongAdder();
    private final LongAdder published = new LongAdder();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder replayed = new LongAdder();
    private final LongAdder slowConsumers = new LongAdder();
    private final LongAdder latencySamples = new LongAdder();
    private final LongAdder queueFullRefusals = new LongAdder();
    private final LongAdder rejectedConnections = new LongAdder();
    private final LongAdder publishRequests = new LongAdder();

    @Override
    public void streamOpened() {
        streams.increment();
    }

    @Override
    public void streamClosed() {
        streams.decrement();
    }

    @Override
    public void eventsPublished(int count) {
        published.add(count);
    }

    @Override
    public void eventsDelivered(long count) {
        delivered.add(count);
    }

    @Override
    public void eventsReplayed(int count) {
        replayed.add(count);
    }

    @Override
    public void slowConsumerDisconnect() {
        slowConsumers.increment();
    }

    @Override
    public void deliveryLatencyNanos(long nanos) {
        latencySamples.increment();
    }

    @Override
    public void publishRefusedQueueFull() {
        queueFullRefusals.increment();
    }

    @Override
    public void connectionRejected(String reason) {
        rejectedConnections.increment();
    }

    @Override
    public void publishRequestNanos(long nanos, boolean accepted) {
        publishRequests.increment();
    }

    public long openStreams() {
        return streams.sum();
    }

    public long published() {
        return published.sum();
    }

    public long delivered() {
        return delivered.sum();
    }

    public long replayed() {
        return replayed.sum();
    }

    public long slowConsumerDisconnects() {
        return slowConsumers.sum();
    }

    public long latencySamples() {
        return latencySamples.sum();
    }

    public long queueFullRefusals() {
        return queueFullRefusals.sum();
    }

    public long rejectedConnections() {
        return rejectedConnections.sum();
    }

    public long publishRequests() {
        return publishRequests.sum();
    }
}
