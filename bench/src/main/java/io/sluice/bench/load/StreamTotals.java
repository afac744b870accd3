package io.sluice.bench.load;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Cumulative subscriber-side figures of one process (or, after {@link #add}, of several): counters, unique
 * deliveries per time bucket, error counts and the first resource limit hit. Children send it as one JSON
 * object per poll ({@link #write}/{@link #read}). A plain mutable value: confined to whichever thread built it.
 */
final class StreamTotals {

    /** How two processes' values combine. */
    private enum Merge { SUM, MIN, MAX }

    /** Every counter; {@code *_NANOS} are absolute {@link System#nanoTime()} values, 0 = none. */
    enum Counter {
        PROCESSES(Merge.SUM),
        IO_THREADS(Merge.SUM),
        STREAMS_ASSIGNED(Merge.SUM),
        STREAMS_OPENED(Merge.SUM),
        STREAMS_FAILED(Merge.SUM),
        STREAMS_SKIPPED(Merge.SUM),
        STREAMS_OPEN(Merge.SUM),
        CONNECT_FIRST_NANOS(Merge.MIN),
        CONNECT_LAST_NANOS(Merge.MAX),
        DELIVERIES(Merge.SUM),
        DUPLICATES(Merge.SUM),
        OUT_OF_ORDER(Merge.SUM),
        MISSING(Merge.SUM),
        RESETS(Merge.SUM),
        OTHER_EVENTS(Merge.SUM),
        UNEXPECTED_DISCONNECTS(Merge.SUM),
        RECONNECTS(Merge.SUM),
        RECONNECT_FAILURES(Merge.SUM),
        /** Soak: streams ended at the end of their life and followed by a new one with fresh topics. */
        RENEWALS(Merge.SUM),
        /** Soak: slow streams that stopped reading for their pause. */
        SLOW_PAUSES(Merge.SUM),
        LATENCY_CLAMPED(Merge.SUM),
        STORM_CLOSED(Merge.SUM),
        STORM_NOT_OPEN(Merge.SUM),
        STORM_RECONNECTED(Merge.SUM),
        STORM_EXACT(Merge.SUM),
        STORM_WITH_GAPS(Merge.SUM),
        STORM_WITH_DUPLICATES(Merge.SUM),
        STORM_RESETS(Merge.SUM),
        STORM_WITHOUT_LAST_ID(Merge.SUM),
        STORM_START_NANOS(Merge.MIN),
        STORM_LAST_RECONNECT_NANOS(Merge.MAX),
        CPU_TICKS(Merge.SUM);

        private final Merge merge;

        Counter(Merge merge) {
            this.merge = merge;
        }
    }

    private static final Counter[] COUNTERS = Counter.values();

    private final long[] values = new long[COUNTERS.length];
    private long[] uniqueByBucket;
    private final Map<String, Long> errors = new TreeMap<>();
    private String limitHit;

    StreamTotals(int buckets) {
        uniqueByBucket = new long[buckets];
    }

    long get(Counter c) {
        return values[c.ordinal()];
    }

    void set(Counter c, long v) {
        values[c.ordinal()] = v;
    }

    void add(Counter c, long v) {
        values[c.ordinal()] += v;
    }

    /** Keeps the earliest non-zero value. */
    void min(Counter c, long v) {
        long cur = values[c.ordinal()];
        if (v != 0 && (cur == 0 || v - cur < 0)) {
            values[c.ordinal()] = v;
        }
    }

    /** Keeps the latest non-zero value. */
    void max(Counter c, long v) {
        long cur = values[c.ordinal()];
        if (v != 0 && (cur == 0 || v - cur > 0)) {
            values[c.ordinal()] = v;
        }
    }

    long[] uniqueByBucket() {
        return uniqueByBucket;
    }

    long unique(int bucket) {
        return bucket < uniqueByBucket.length ? uniqueByBucket[bucket] : 0;
    }

    void addUnique(long[] byBucket) {
        if (byBucket.length > uniqueByBucket.length) {
            uniqueByBucket = Arrays.copyOf(uniqueByBucket, byBucket.length);
        }
        for (int i = 0; i < byBucket.length; i++) {
            uniqueByBucket[i] += byBucket[i];
        }
    }

    Map<String, Long> errors() {
        return errors;
    }

    void addError(String reason, long count) {
        errors.merge(reason, count, Long::sum);
    }

    String limitHit() {
        return limitHit;
    }

    void limitHit(String reason) {
        if (limitHit == null) {
            limitHit = reason;
        }
    }

    /** Folds {@code o} into this, combining each counter by its merge rule. */
    StreamTotals add(StreamTotals o) {
        for (Counter c : COUNTERS) {
            switch (c.merge) {
                case MIN -> min(c, o.get(c));
                case MAX -> max(c, o.get(c));
                default -> add(c, o.get(c));
            }
        }
        addUnique(o.uniqueByBucket);
        o.errors.forEach(this::addError);
        if (o.limitHit != null) {
            limitHit(o.limitHit);
        }
        return this;
    }

    void write(JsonGenerator g) throws IOException {
        g.writeStartObject();
        for (Counter c : COUNTERS) {
            g.writeNumberField(c.name(), values[c.ordinal()]);
        }
        g.writeArrayFieldStart("UNIQUE_BY_BUCKET");
        for (long u : uniqueByBucket) {
            g.writeNumber(u);
        }
        g.writeEndArray();
        g.writeObjectFieldStart("ERRORS");
        for (Map.Entry<String, Long> e : errors.entrySet()) {
            g.writeNumberField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
        if (limitHit != null) {
            g.writeStringField("LIMIT_HIT", limitHit);
        }
        g.writeEndObject();
    }

    /** Reads what {@link #write} wrote; {@code p} is positioned before the object's start. */
    static StreamTotals read(JsonParser p, int buckets) throws IOException {
        StreamTotals t = new StreamTotals(buckets);
        expect(p.nextToken(), JsonToken.START_OBJECT);
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            switch (name) {
                case "UNIQUE_BY_BUCKET" -> {
                    expect(v, JsonToken.START_ARRAY);
                    long[] u = new long[buckets];
                    int i = 0;
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        if (i < u.length) {
                            u[i] = p.getLongValue();
                        }
                        i++;
                    }
                    t.addUnique(u);
                }
                case "ERRORS" -> {
                    expect(v, JsonToken.START_OBJECT);
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String reason = p.currentName();
                        p.nextToken();
                        t.addError(reason, p.getLongValue());
                    }
                }
                case "LIMIT_HIT" -> t.limitHit = p.getText();
                default -> {
                    try {
                        t.set(Counter.valueOf(name), p.getLongValue());
                    } catch (IllegalArgumentException ignored) {
                        p.skipChildren();
                    }
                }
            }
        }
        return t;
    }

    private static void expect(JsonToken got, JsonToken want) throws IOException {
        if (got != want) {
            throw new IOException("expected " + want + " but got " + got);
        }
    }
}
