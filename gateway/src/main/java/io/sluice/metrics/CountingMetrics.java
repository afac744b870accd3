package io.sluice.metrics;

import io.sluice.api.CloseReason;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
    /** By reason; the reasons are a small fixed set, so the map stays small. */
    private final ConcurrentHashMap<String, LongAdder> rejections = new ConcurrentHashMap<>();
    private final LongAdder publishRequests = new LongAdder();
    private final LongAdder memoryRefusals = new LongAdder();
    private final LongAdder evictedByCount = new LongAdder();
    private final LongAdder evictedByAge = new LongAdder();
    private final LongAdder evictedByBytes = new LongAdder();
    private final LongAdder jwksRefreshFailures = new LongAdder();
    /** Streams ended, by reason; one adder per {@link CloseReason}, made up front. */
    private final Map<CloseReason, LongAdder> closed = new EnumMap<>(CloseReason.class);

    public CountingMetrics() {
        for (CloseReason reason : CloseReason.values()) {
            closed.put(reason, new LongAdder());
        }
    }

    @Override
    public void streamOpened() {
        streams.increment();
    }

    @Override
    public void streamClosed(CloseReason reason) {
        streams.decrement();
        closed.get(reason).increment();
    }

    @Override
    public void connectionRejected(String reason) {
        rejections.computeIfAbsent(reason, r -> new LongAdder()).increment();
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
    public void publishRefused(String reason) {
        if (REFUSED_MEMORY.equals(reason)) {
            memoryRefusals.increment();
        }
    }

    @Override
    public void historyEvicted(String reason, int count) {
        switch (reason) {
            case EVICTED_COUNT -> evictedByCount.add(count);
            case EVICTED_AGE -> evictedByAge.add(count);
            case EVICTED_BYTES -> evictedByBytes.add(count);
            default -> throw new IllegalArgumentException("eviction reason " + reason);
        }
    }

    @Override
    public void publishRequestNanos(long nanos, boolean accepted) {
        publishRequests.increment();
    }

    @Override
    public void jwksRefreshFailed() {
        jwksRefreshFailures.increment();
    }

    /** Streams ended for {@code reason} so far. */
    public long streamsClosed(CloseReason reason) {
        return closed.get(reason).sum();
    }

    public long openStreams() {
        return streams.sum();
    }

    /** Stream requests refused for {@code reason} so far (0 for a reason never seen). */
    public long connectionsRejected(String reason) {
        LongAdder count = rejections.get(reason);
        return count == null ? 0 : count.sum();
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

    /** Stream requests refused before they became streams, over all reasons. */
    public long rejectedConnections() {
        return rejections.values().stream().mapToLong(LongAdder::sum).sum();
    }

    public long publishRequests() {
        return publishRequests.sum();
    }

    /** Publishes refused because the node could not hold them in memory. */
    public long memoryRefusals() {
        return memoryRefusals.sum();
    }

    /** Events evicted from history for {@code reason} ({@code EVICTED_*}). */
    public long historyEvictions(String reason) {
        return switch (reason) {
            case EVICTED_COUNT -> evictedByCount.sum();
            case EVICTED_AGE -> evictedByAge.sum();
            case EVICTED_BYTES -> evictedByBytes.sum();
            default -> throw new IllegalArgumentException("eviction reason " + reason);
        };
    }

    /** Fetches of the JWK set that failed or brought no usable key, since start. */
    public long jwksRefreshFailures() {
        return jwksRefreshFailures.sum();
    }
}
