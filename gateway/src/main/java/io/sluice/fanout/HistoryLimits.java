package io.sluice.fanout;

/**
 * The three bounds on what history keeps (CONTRACT §10): per topic, by age, and node-wide by bytes.
 *
 * @param perTopic events kept per topic ({@code historySize}); 0 keeps none
 * @param maxAgeMillis events older than this are evicted ({@code historyMaxAge}); 0 for no age limit
 * @param maxBytes node-wide bound on the retained frames' bytes, and on history's heap estimate
 *                 ({@code historyMaxBytes}); the oldest retained event goes first, whatever its topic
 */
public record HistoryLimits(int perTopic, long maxAgeMillis, long maxBytes) {
    public HistoryLimits {
        if (perTopic < 0 || maxAgeMillis < 0 || maxBytes < 1) {
            throw new IllegalArgumentException("history limits: " + perTopic + ", " + maxAgeMillis + ", " + maxBytes);
        }
    }

    /** Only the per-topic bound: no age limit and no byte budget (tests and tools). */
    public static HistoryLimits perTopic(int historySize) {
        return new HistoryLimits(historySize, 0, Long.MAX_VALUE);
    }
}
