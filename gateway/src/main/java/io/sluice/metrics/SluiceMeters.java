package io.sluice.metrics;

import java.time.Duration;
import java.util.List;

/**
 * Every meter the gateway exports, named in one place (Micrometer's dotted form; the Prometheus registry
 * renders {@code sluice.events.published} as {@code sluice_events_published_total} and a timer
 * {@code sluice.delivery.latency} as the histogram {@code sluice_delivery_latency_seconds}). CONTRACT §8 names
 * the first eight; docs/operations.md ("Metrics") explains each one.
 *
 * <p>Tags are low-cardinality by rule: a fixed set of reasons, outcomes or event-loop indexes. Never a topic,
 * a user or an address.
 */
public final class SluiceMeters {
    /** Gauge: streams open on this node now. */
    public static final String CONNECTIONS = "sluice.connections";
    /** Gauge: the configured {@code maxConnections}, so alerts can compare {@link #CONNECTIONS} with it. */
    public static final String CONNECTIONS_MAX = "sluice.connections.max";
    /** Counter, tag {@link #TAG_REASON}: stream or connection requests refused before they became streams. */
    public static final String CONNECTIONS_REJECTED = "sluice.connections.rejected";
    /**
     * Counter, tag {@link #TAG_REASON}: streams ended, by the reason the access log shows ({@code client_closed},
     * {@code slow_consumer}, {@code disconnected} …; one series per {@code CloseReason}, all from start-up).
     */
    public static final String STREAMS_CLOSED = "sluice.streams.closed";
    /** Counter: events accepted by publishes (after commit). */
    public static final String EVENTS_PUBLISHED = "sluice.events.published";
    /** Counter: events written to streams (live delivery), summed over streams. */
    public static final String EVENTS_DELIVERED = "sluice.events.delivered";
    /** Counter: streams closed because they fell behind their lag bound or the history. */
    public static final String SLOW_CONSUMER_DISCONNECTS = "sluice.slow.consumer.disconnects";
    /** Counter: events sent from history (Last-Event-ID or {@code limit} replay, slow-consumer catch-up). */
    public static final String REPLAYED_EVENTS = "sluice.replayed.events";
    /** Timer (histogram): publish accepted → written to the socket, once per event per event loop. */
    public static final String DELIVERY_LATENCY = "sluice.delivery.latency";
    /** Gauge: 1 while the backplane accepts publishes, else 0 (always 1 for the local backplane). */
    public static final String BACKPLANE_UP = "sluice.backplane.up";
    /** Gauge: 1 while {@code /readyz} answers 200, else 0. */
    public static final String READY = "sluice.ready";
    /** Counter, tag {@link #TAG_REASON} = {@code queue_full} or {@code memory}: publishes refused with 503. */
    public static final String PUBLISHES_REFUSED = "sluice.publishes.refused";
    /** Timer (histogram), tag {@link #TAG_OUTCOME}: a publish request from routing to its answer. */
    public static final String PUBLISH_REQUEST_DURATION = "sluice.publish.request.duration";
    /** Gauge: topics this node knows now (a topic with no stream and no retained event is forgotten within a minute). */
    public static final String TOPICS = "sluice.topics";
    /** Gauge: events retained in history, all topics together. */
    public static final String HISTORY_EVENTS = "sluice.history.events";
    /** Gauge: bytes of the retained events' encoded frames, all topics together (bounded by historyMaxBytes). */
    public static final String HISTORY_BYTES = "sluice.history.bytes";
    /** Counter, tag {@link #TAG_REASON} = {@code count}, {@code age} or {@code bytes}: events evicted from history. */
    public static final String HISTORY_EVICTIONS = "sluice.history.evictions";
    /** Gauge: tracked topics ({@code presenceTopics}) with at least one stream on this node. */
    public static final String PRESENCE_TOPICS = "sluice.presence.topics";
    /**
     * Gauge: presence entries this node holds, one per tracked topic and user with a stream here (plus one per tracked
     * topic for its counts): what presence costs in memory, bounded by the streams open on tracked topics.
     */
    public static final String PRESENCE_ENTRIES = "sluice.presence.entries";
    /** Gauge, tag {@link #TAG_LOOP}: tasks waiting on each event loop (fan-out drains, writes, timers). */
    public static final String EVENT_LOOP_PENDING_TASKS = "sluice.event.loop.pending.tasks";
    /**
     * Counter, only with {@code jwksUrl}: fetches of the JWK set that failed or brought no usable key (the last good
     * set stays in use).
     */
    public static final String JWKS_REFRESH_FAILURES = "sluice.jwks.refresh.failures";
    /**
     * Gauge (seconds), only with {@code jwksUrl}: time since the JWK set in use was last fetched successfully; NaN
     * until the first set is loaded.
     */
    public static final String JWKS_AGE = "sluice.jwks.age";
    /** Gauge, tag {@link #TAG_MEMORY_TYPE}: bytes Netty's pooled allocator holds (arenas, used or cached). */
    /** Counter: access-log lines dropped because the log's writer was {@code queueSize} lines behind (a slow stderr). */
    public static final String ACCESS_LOG_DROPPED = "sluice.access.log.dropped";
    public static final String NETTY_ALLOCATOR_MEMORY_USED = "netty.allocator.memory.used";

    public static final String TAG_REASON = "reason";
    public static final String TAG_OUTCOME = "outcome";
    public static final String TAG_LOOP = "loop";
    public static final String TAG_MEMORY_TYPE = "memory.type";

    /**
     * The rejection reasons registered at start, so each series exists at 0 before the first refusal (alert
     * expressions and rate() need a series to exist). A caller may use another constant reason; it is
     * registered on first use (see {@link MicrometerMetrics#connectionRejected}).
     */
    public static final List<String> REJECTION_REASONS = List.of("max_connections", "max_connections_per_user",
            "unauthorized", "forbidden", "too_many_topics", "invalid_request", "not_ready");

    /**
     * Histogram buckets for SSE latencies: a healthy node delivers within a millisecond or two, a loaded one
     * within tens of milliseconds; past a second a stream is lagging. Fixed buckets (not Micrometer's ~70
     * percentile buckets) keep each histogram to 15 series.
     */
    static final List<Duration> LATENCY_BUCKETS = List.of(Duration.ofMillis(1).dividedBy(4),
            Duration.ofMillis(1).dividedBy(2), Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
            Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
            Duration.ofSeconds(5));

    private SluiceMeters() {
    }
}
