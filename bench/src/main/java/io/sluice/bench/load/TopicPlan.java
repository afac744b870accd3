package io.sluice.bench.load;

import java.util.SplittableRandom;

/**
 * Which topic each stream reads, derived only from the options, so the parent and every child process compute
 * the same plan. Topic {@code t} is named {@code load/<t>}. Immutable and thread-safe.
 */
final class TopicPlan {
    static final String TOPIC_PREFIX = "load/";

    private final LoadOptions.TopicSpec spec;
    private final int topicCount;
    /** Zipf only: the topic of each stream; null for the closed-form layouts. */
    private final int[] assignment;

    private TopicPlan(LoadOptions.TopicSpec spec, int topicCount, int[] assignment) {
        this.spec = spec;
        this.topicCount = topicCount;
        this.assignment = assignment;
    }

    static TopicPlan of(LoadOptions.TopicSpec spec, int streams, long seed) {
        switch (spec.kind()) {
            case SHARED -> {
                return new TopicPlan(spec, 1, null);
            }
            case PER_STREAM -> {
                return new TopicPlan(spec, Math.max(1, streams), null);
            }
            default -> {
                return new TopicPlan(spec, spec.count(), zipf(spec.count(), spec.zipfExponent(), streams, seed));
            }
        }
    }

    /** Stream {@code i} draws topic {@code k} (0-based) with probability proportional to 1 / (k + 1)^s. */
    private static int[] zipf(int topics, double exponent, int streams, long seed) {
        double[] cumulative = new double[topics];
        double sum = 0;
        for (int k = 0; k < topics; k++) {
            sum += 1.0 / Math.pow(k + 1, exponent);
            cumulative[k] = sum;
        }
        SplittableRandom random = new SplittableRandom(seed);
        int[] out = new int[streams];
        for (int i = 0; i < streams; i++) {
            double u = random.nextDouble() * sum;
            int lo = 0;
            int hi = topics - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cumulative[mid] <= u) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            out[i] = lo;
        }
        return out;
    }

    int topicCount() {
        return topicCount;
    }

    int topicOf(int stream) {
        switch (spec.kind()) {
            case SHARED -> {
                return 0;
            }
            case PER_STREAM -> {
                return stream;
            }
            default -> {
                return assignment[stream];
            }
        }
    }

    static String topicName(int topic) {
        return TOPIC_PREFIX + topic;
    }
}
