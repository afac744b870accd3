package io.sluice.metrics;

/**
 * What the gateway reports about itself: the domain view, so the core never imports a metrics library.
 *
 * <p>Threading: every method may be called from any thread and must never block. Hot-path callers report
 * once per drained batch or per publish request, never once per subscriber.
 */
public interface GatewayMetrics {

    void streamOpened();

    void streamClosed();

    /** Events accepted by a publish (after commit). */
    void eventsPublished(int count);

    /** Frames written to streams by one event loop in one drained batch. */
    void eventsDelivered(long count);

    /** Events sent from history (Last-Event-ID or {@code limit} replay, slow-consumer catch-up). */
    void eventsReplayed(int count);

    /** A stream closed because it fell further behind than its lag bound or its history. */
    void slowConsumerDisconnect();

    /** Publish accepted → written to the socket, for one event on one event loop. */
    void deliveryLatencyNanos(long nanos);

    /** A publish refused because a fan-out queue was full. */
    void publishRefusedQueueFull();

    /**
     * A stream or connection request refused before it became a stream. {@code reason} is a code constant of
     * a small fixed set (max_connections, max_connections_per_user, unauthorized, forbidden, too_many_topics,
     * draining, …), never input: it becomes a metric tag.
     */
    void connectionRejected(String reason);

    /** A publish request from routing to its answer, once the batch reached the backplane. */
    void publishRequestNanos(long nanos, boolean accepted);
}
