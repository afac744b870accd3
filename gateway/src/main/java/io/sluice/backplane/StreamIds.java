package io.sluice.backplane;

import io.sluice.fanout.FanoutCore;

/**
 * Event ids in cluster mode: the Redis stream id {@code ms-seq} packed into one positive long as
 * {@code ms << 20 | seq}, written in decimal on the wire. Packing keeps Redis's order (ms first, then seq), so
 * ids stay strictly increasing across every node, and the ids read as a timestamp like local ones.
 *
 * <p>Bounds: {@code seq} must be below 2^20 (1,048,576 entries in one millisecond). Redis assigns seq from 0
 * in each new millisecond, so only a burst of over a million appends in one millisecond, or a Redis clock held
 * back for a long while at a high rate, could reach it; the publish script ({@link PublishScript}) moves an
 * entry to the next millisecond before it would. {@code ms} must be below 2^43 (the year 2248), so the packed
 * id stays positive and at most 19 digits.
 *
 * <p>Stateless.
 */
final class StreamIds {
    /** Entries per millisecond the packing can hold. */
    static final long SEQ_LIMIT = 1L << FanoutCore.ID_SEQUENCE_BITS;
    private static final long MAX_MS = (1L << (63 - FanoutCore.ID_SEQUENCE_BITS)) - 1;

    private StreamIds() {
    }

    /** Packs a Redis stream id {@code ms-seq}; -1 if it is malformed or outside the bounds above. */
    static long pack(String streamId) {
        int dash = streamId.indexOf('-');
        if (dash <= 0 || dash == streamId.length() - 1 || dash > 19 || streamId.length() - dash - 1 > 19) {
            return -1;
        }
        long ms = digits(streamId, 0, dash);
        long seq = digits(streamId, dash + 1, streamId.length());
        if (ms < 0 || seq < 0 || ms > MAX_MS || seq >= SEQ_LIMIT) {
            return -1;
        }
        long id = ms << FanoutCore.ID_SEQUENCE_BITS | seq;
        return id > 0 ? id : -1;
    }

    /** The millisecond part of a packed id. */
    static long millis(long id) {
        return id >>> FanoutCore.ID_SEQUENCE_BITS;
    }

    /** The sequence part of a packed id. */
    static long sequence(long id) {
        return id & (SEQ_LIMIT - 1);
    }

    /** The Redis stream id of a packed id. */
    static String unpack(long id) {
        return millis(id) + "-" + sequence(id);
    }

    private static long digits(String s, int from, int to) {
        long v = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
            if (v < 0) {
                return -1;
            }
        }
        return v;
    }
}
