package io.sluice.bench.load;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * {@code --soak} and its knobs, parsed once by {@link LoadOptions#parse}; immutable. In a soak run every one of
 * {@code --streams} stream slots holds one stream at a time: it opens naming {@link #topicsPerStream} topics never
 * used before, lives a time drawn from {@code lifetime*}, closes, and the slot opens the next one with fresh topics.
 * A share {@link #slowShare} of the streams read slowly: they also read one busy shared topic (the hot topic) and stop
 * reading for a time drawn from {@code pause*} after opening, so the gateway has to queue for them, then catch up or
 * cut them loose. Publishes go to topics never used before ({@code user/…}, {@code jobs/…}) except a share
 * {@link #readShare} to a topic an open stream reads and a share {@link #hotShare} to the hot topic. Event data is
 * {@code small*} bytes, or {@code large*} bytes for a share {@link #largeShare} and for every hot event.
 *
 * @param burst a rate cycle on top of {@code --rate}, or null
 */
public record SoakSpec(long lifetimeMinNanos, long lifetimeMaxNanos, int topicsPerStream, double readShare,
        double hotShare, double slowShare, long pauseMinNanos, long pauseMaxNanos, int smallMin, int smallMax,
        double largeShare, int largeMin, int largeMax, Burst burst) {

    /** Most fresh topics per stream: the gateway's default maxTopicsPerConnection (32) less the hot topic. */
    static final int MAX_TOPICS_PER_STREAM = 31;
    /** Largest event data: the gateway's default maxEventBytes (64KiB) less room for the event's other fields. */
    static final int MAX_DATA_BYTES = 60 * 1024;
    /** Smallest event data: the load layout's fields ({@link PayloadEncoder}) need about this much. */
    static final int MIN_DATA_BYTES = 64;

    /**
     * {@code --soak-burst PERIOD:LENGTH:FACTOR}: the last {@code lengthNanos} of every {@code periodNanos}, counted
     * from the start of publishing, publish at {@code factor} times {@code --rate}. Immutable.
     */
    public record Burst(long periodNanos, long lengthNanos, double factor) {

        /** The publish rate {@code offsetNanos} after the start of publishing, for a base rate {@code rate}. */
        double rateAt(long offsetNanos, double rate) {
            return offsetNanos % periodNanos >= periodNanos - lengthNanos ? rate * factor : rate;
        }

        /** The first offset after {@code offsetNanos} at which the rate changes (a burst starts or ends). */
        long nextEdgeAfter(long offsetNanos) {
            long cycle = offsetNanos / periodNanos * periodNanos;
            long start = cycle + periodNanos - lengthNanos;
            return offsetNanos < start ? start : cycle + periodNanos;
        }
    }

    /** Names of the soak options; each but {@code soak} is refused without {@code --soak}. */
    static final String[] KNOBS = {"soak-lifetime", "soak-topics", "soak-read-share", "soak-hot-share",
        "soak-slow-share", "soak-slow-pause", "soak-small-size", "soak-large-share", "soak-large-size", "soak-burst"};

    /**
     * The soak settings from the options' effective text {@code v} (defaults included), or null without
     * {@code --soak}; {@code given} holds the options named on the command line. Throws
     * {@link IllegalArgumentException} naming the option.
     */
    static SoakSpec parse(Map<String, String> v, Map<String, String> given) {
        if (!Boolean.parseBoolean(v.get("soak"))) {
            for (String k : KNOBS) {
                if (given.containsKey(k)) {
                    throw new IllegalArgumentException("--" + k + " needs --soak");
                }
            }
            return null;
        }
        long[] life = range(v, "soak-lifetime", LoadOptions::parseDuration, TimeUnit.MILLISECONDS.toNanos(10),
                TimeUnit.HOURS.toNanos(1), "durations such as 2s-8s, 10ms to 1h");
        long[] pause = range(v, "soak-slow-pause", LoadOptions::parseDuration, TimeUnit.MILLISECONDS.toNanos(10),
                TimeUnit.HOURS.toNanos(1), "durations such as 1s-20s, 10ms to 1h");
        long[] small = range(v, "soak-small-size", LoadOptions::parseSize, MIN_DATA_BYTES, MAX_DATA_BYTES,
                "sizes such as 100-1000 or 16KiB-48KiB, " + MIN_DATA_BYTES + " to " + MAX_DATA_BYTES);
        long[] large = range(v, "soak-large-size", LoadOptions::parseSize, MIN_DATA_BYTES, MAX_DATA_BYTES,
                "sizes such as 100-1000 or 16KiB-48KiB, " + MIN_DATA_BYTES + " to " + MAX_DATA_BYTES);
        int topics = LoadOptions.intIn(v, "soak-topics", 1, MAX_TOPICS_PER_STREAM);
        double read = LoadOptions.doubleIn(v, "soak-read-share", 0, 1);
        double hot = LoadOptions.doubleIn(v, "soak-hot-share", 0, 1);
        if (read + hot > 1) {
            throw new IllegalArgumentException("--soak-read-share and --soak-hot-share: " + read + " + " + hot
                    + " is more than all the publishes (1)");
        }
        double slow = LoadOptions.doubleIn(v, "soak-slow-share", 0, 1);
        double largeShare = LoadOptions.doubleIn(v, "soak-large-share", 0, 1);
        return new SoakSpec(life[0], life[1], topics, read, hot, slow, pause[0], pause[1], (int) small[0],
                (int) small[1], largeShare, (int) large[0], (int) large[1], parseBurst(v.get("soak-burst")));
    }

    /** {@code A-B} with {@code min <= A <= B <= max}, each read by {@code parser}. */
    private static long[] range(Map<String, String> v, String name, ToLongFunction<String> parser, long min, long max,
            String allowed) {
        String s = v.get(name);
        int dash = s.indexOf('-');
        if (dash > 0) {
            try {
                long a = parser.applyAsLong(s.substring(0, dash));
                long b = parser.applyAsLong(s.substring(dash + 1));
                if (min <= a && a <= b && b <= max) {
                    return new long[] {a, b};
                }
            } catch (IllegalArgumentException e) {
                // falls through to the message below
            }
        }
        throw new IllegalArgumentException("--" + name + ": '" + s + "' is not a range A-B with A <= B (" + allowed + ")");
    }

    static Burst parseBurst(String text) {
        if (text.isEmpty()) {
            return null;
        }
        String[] parts = text.split(":");
        if (parts.length == 3) {
            try {
                long period = LoadOptions.parseDuration(parts[0]);
                long length = LoadOptions.parseDuration(parts[1]);
                double factor = Double.parseDouble(parts[2]);
                if (period >= TimeUnit.SECONDS.toNanos(1) && length > 0 && length < period && factor > 0 && factor <= 100) {
                    return new Burst(period, length, factor);
                }
            } catch (IllegalArgumentException e) {
                // falls through to the message below
            }
        }
        throw new IllegalArgumentException("--soak-burst: '" + text + "' is not PERIOD:LENGTH:FACTOR (durations with"
                + " 0 < LENGTH < PERIOD, PERIOD at least 1s, FACTOR above 0 and at most 100)");
    }

    /** The largest event data this soak publishes. */
    int largestData() {
        return Math.max(smallMax, largeMax);
    }
}
