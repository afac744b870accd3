package io.sluice.metrics;

import io.sluice.api.CloseReason;

/**
 * What the gateway reports about itself: the domain view, so the core never imports a metrics library.
 *
 * <p>Threading: every method may be called from any thread and must never block. Hot-path callers report
 * once per drained batch or per publish request, never once per subscriber.
 */
public interface GatewayMetrics {
    /** {@link #connectionRejected} reason: the node holds {@code maxConnections} streams. */
    String REJECTED_MAX_CONNECTIONS = "max_connections";
    /** {@link #connectionRejected} reason: the user (or anonymous client address) holds {@code maxConnectionsPerUser}. */
    String REJECTED_MAX_CONNECTIONS_PER_USER = "max_connections_per_user";
    /** {@link #connectionRejected} reason: no valid credentials where they are required (401). */
    String REJECTED_UNAUTHORIZED = "unauthorized";
    /** {@link #connectionRejected} reason: valid credentials without the right to a requested topic (403). */
    String REJECTED_FORBIDDEN = "forbidden";
    /** {@link #connectionRejected} reason: more topics than {@code maxTopicsPerConnection}. */
    String REJECTED_TOO_MANY_TOPICS = "too_many_topics";
    /** {@link #connectionRejected} reason: any other invalid stream request (bad topic, types, limit …). */
    String REJECTED_INVALID_REQUEST = "invalid_request";
    /** The node was draining or its backplane was down: a temporary refusal (EventSource told to retry). */
    String REJECTED_NOT_READY = "not_ready";
    /** {@link #historyEvicted} reason: the topic held {@code historySize} events. */
    String EVICTED_COUNT = "count";
    /** {@link #historyEvicted} reason: the event was older than {@code historyMaxAge}. */
    String EVICTED_AGE = "age";
    /** {@link #historyEvicted} reason: history was over {@code historyMaxBytes}; the node's oldest event went first. */
    String EVICTED_BYTES = "bytes";
    /** {@link #publishRefused} reason: the node could not hold the publish in memory (CONTRACT §10). */
    String REFUSED_MEMORY = "memory";

    void streamOpened();

    /** A stream ended, for {@code reason} (the one its access-log line shows). */
    void streamClosed(CloseReason reason);

    /**
     * A stream request refused before its stream opened. {@code reason} is one of the {@code REJECTED_*} constants
     * (a small fixed set: it becomes a metric label), or the §6 error code of another refusal.
     */
    void connectionRejected(String reason);

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

    /** A publish refused with 503 for {@code reason}, one of the {@code REFUSED_*} constants. */
    void publishRefused(String reason);

    /** Retained events evicted from history for {@code reason}, one of the {@code EVICTED_*} constants. */
    void historyEvicted(String reason, int count);

    /** A publish request from routing to its answer, once the batch reached the backplane. */
    void publishRequestNanos(long nanos, boolean accepted);

    /**
     * A fetch of the JWK set ({@code jwksUrl}) failed or brought no usable key; the last good set stays in use.
     * Called on the key set's own thread, never on an event loop.
     */
    void jwksRefreshFailed();
}
