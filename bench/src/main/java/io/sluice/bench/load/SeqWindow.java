package io.sluice.bench.load;

/**
 * Per-stream sequence check over a sliding window of the last 64 sequence numbers (the anti-replay window of
 * IPsec): tells a new event from a duplicate or a late one, and keeps a running count of sequence numbers
 * skipped and not (yet) filled. Not thread-safe: one instance per stream, used by that stream's event loop.
 */
final class SeqWindow {
    /** {@code seq} is above every sequence number seen so far (possibly after a gap). */
    static final int NEW = 0;
    /** {@code seq} was skipped earlier and arrived now, within the window. */
    static final int LATE = 1;
    /** {@code seq} was already seen. */
    static final int DUPLICATE = 2;
    /** {@code seq} is more than 64 below the highest seen: late or duplicate, the window cannot tell. */
    static final int STALE = 3;

    private static final int WINDOW = 64;

    private long highest = -1;
    /** Bit i set = sequence number {@code highest - i} seen. */
    private long seen;
    private long missing;

    int accept(long seq) {
        if (seq > highest) {
            long shift = seq - highest;
            seen = shift >= WINDOW ? 1L : (seen << shift) | 1L;
            missing += shift - 1;
            highest = seq;
            return NEW;
        }
        long back = highest - seq;
        if (back >= WINDOW) {
            return STALE;
        }
        long bit = 1L << back;
        if ((seen & bit) != 0) {
            return DUPLICATE;
        }
        seen |= bit;
        missing--;
        return LATE;
    }

    /** Sequence numbers below the highest seen that have not arrived (a live estimate of loss). */
    long missing() {
        return missing;
    }

    long highest() {
        return highest;
    }
}
