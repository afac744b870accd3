package io.sluice.bench.load;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes load events as publish JSON without allocating per event. Event data is
 * {@code {"ts":<System.nanoTime at send>,"seq":<sequence>,"pub":<publisher connection>,"pad":"xxx…"}}, padded to
 * exactly
 * {@code --payload} bytes, or the size a soak draws (longer only if the numbers alone exceed it). {@code seq} counts
 * per topic and per publisher connection (in a soak, per connection): a connection has one request in flight, so its
 * events on a topic are ordered, while two connections' concurrent publishes have no order the gateway must keep. The gateway delivers JSON data as its
 * compact text with key order kept, so subscribers read {@code ts} and {@code seq} from fixed positions
 * ({@link SseScanner}). Immutable after construction; safe to share, though only the publisher loop uses it.
 */
final class PayloadEncoder {
    private static final byte[] TS = ascii("{\"ts\":");
    private static final byte[] SEQ = ascii(",\"seq\":");
    private static final byte[] PUB = ascii(",\"pub\":");
    private static final byte[] PAD = ascii(",\"pad\":\"");
    private static final byte[] END = ascii("\"}");
    private static final byte[] EVENT_TOPIC = ascii("{\"topic\":\"");
    private static final byte[] LOAD_TOPIC = ascii(TopicPlan.TOPIC_PREFIX);
    private static final byte[] EVENT_DATA = ascii("\",\"data\":");
    private static final int FIXED = TS.length + SEQ.length + PUB.length + PAD.length + END.length;

    private final int payload;
    private final byte[] padding;

    PayloadEncoder(int payload) {
        this(payload, payload);
    }

    /** {@code largest}: the largest data size passed to the methods taking a size. */
    PayloadEncoder(int payload, int largest) {
        this.payload = payload;
        this.padding = new byte[Math.max(payload, largest)];
        Arrays.fill(padding, (byte) 'x');
    }

    /** Bytes {@link #writeData} writes for these numbers. */
    int dataLength(long ts, long seq, int pub) {
        return dataLength(ts, seq, pub, payload);
    }

    /** Bytes {@link #writeData(ByteBuf, long, long, int, int)} writes for these numbers and {@code size}. */
    int dataLength(long ts, long seq, int pub, int size) {
        return Math.max(size, FIXED + digits(ts) + digits(seq) + digits(pub));
    }

    void writeData(ByteBuf out, long ts, long seq, int pub) {
        writeData(out, ts, seq, pub, payload);
    }

    /** Data of {@code size} bytes (at most the encoder's largest), or as long as the numbers need. */
    void writeData(ByteBuf out, long ts, long seq, int pub, int size) {
        out.writeBytes(TS);
        writeDecimal(out, ts);
        out.writeBytes(SEQ);
        writeDecimal(out, seq);
        out.writeBytes(PUB);
        writeDecimal(out, pub);
        out.writeBytes(PAD);
        int pad = size - (FIXED + digits(ts) + digits(seq) + digits(pub));
        if (pad > 0) {
            out.writeBytes(padding, 0, pad);
        }
        out.writeBytes(END);
    }

    /** Bytes {@link #writeEvent} writes for these numbers. */
    int eventLength(int topic, long ts, long seq, int pub) {
        return EVENT_TOPIC.length + LOAD_TOPIC.length + digits(topic) + EVENT_DATA.length + dataLength(ts, seq, pub) + 1;
    }

    /** One publish event object {@code {"topic":"load/<topic>","data":{…}}} (no type: {@code message}). */
    void writeEvent(ByteBuf out, int topic, long ts, long seq, int pub) {
        out.writeBytes(EVENT_TOPIC);
        out.writeBytes(LOAD_TOPIC);
        writeDecimal(out, topic);
        writeEventData(out, ts, seq, pub, payload);
    }

    /** Bytes {@link #writeEvent(ByteBuf, String, long, long, int, int)} writes. */
    int eventLength(String topic, long ts, long seq, int pub, int size) {
        return EVENT_TOPIC.length + topic.length() + EVENT_DATA.length + dataLength(ts, seq, pub, size) + 1;
    }

    /** One publish event object {@code {"topic":"<topic>","data":{…}}}; {@code topic} is ASCII topic characters. */
    void writeEvent(ByteBuf out, String topic, long ts, long seq, int pub, int size) {
        out.writeBytes(EVENT_TOPIC);
        out.writeCharSequence(topic, StandardCharsets.US_ASCII);
        writeEventData(out, ts, seq, pub, size);
    }

    private void writeEventData(ByteBuf out, long ts, long seq, int pub, int size) {
        out.writeBytes(EVENT_DATA);
        writeData(out, ts, seq, pub, size);
        out.writeByte('}');
    }

    static int digits(long v) {
        int n = 1;
        while (v >= 10) {
            v /= 10;
            n++;
        }
        return n;
    }

    /** Writes a non-negative {@code v} in decimal ASCII. */
    static void writeDecimal(ByteBuf out, long v) {
        if (v < 0) {
            throw new IllegalArgumentException("negative: " + v);
        }
        int n = digits(v);
        out.ensureWritable(n);
        int end = out.writerIndex() + n;
        int i = end;
        do {
            out.setByte(--i, (int) ('0' + v % 10));
            v /= 10;
        } while (v > 0);
        out.writerIndex(end);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
