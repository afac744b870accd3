package io.sluice.fanout;

import io.netty.buffer.ByteBuf;
import io.sluice.api.Json;
import io.sluice.sse.SseEncoder;

import java.nio.charset.StandardCharsets;

/**
 * A committed event: immutable, shared by every event loop, history and replay.
 *
 * <p>{@link #frame} is the one encoded copy of the event. Its reference count is held by history (one
 * reference while retained) and by each event loop queue (one reference until drained). Readers must never
 * write {@code frame} itself to a channel: they write {@code frame.retainedDuplicate()} so each channel has
 * its own indices.
 *
 * <p>A connection event (CONTRACT §11) has no {@link #topic()} (null) and a {@link #target()}: the one subscriber it
 * is for, resolved at commit. It is in no history and in one queue only, its target's loop's.
 */
public final class Event {
    private final long id;
    private final Topic topic;
    private final String type;
    private final ByteBuf frame;
    /**
     * The data's compact JSON when the frame cannot give it back exactly (a string with a CR or a
     * <code>&#92;u</code> escape), else null: most events keep no heap copy of their data, which is what a young
     * collection would copy for every event history retains.
     */
    private final byte[] keptDataJson;
    /** Whether the data is a JSON string (its frame holds the string's lines, not the JSON). */
    private final boolean stringData;
    private final long timeMillis;
    private final long acceptedNanos;
    private final int frameBytes;
    /** The key of CONTRACT §12, or null. */
    private final String key;
    /** Id of the event of the same topic and key this one superseded in history when committed; 0 if none. */
    private final long supersededId;
    private final Subscriber target;

    Event(long id, Topic topic, String type, ByteBuf frame, byte[] dataJson, long timeMillis, long acceptedNanos,
          String key, long supersededId, Subscriber target) {
        this(id, topic, type, frame, isString(dataJson), isString(dataJson) && !frameHoldsString(dataJson)
                ? dataJson : null, timeMillis, acceptedNanos, key, supersededId, target);
    }

    private Event(long id, Topic topic, String type, ByteBuf frame, boolean stringData, byte[] keptDataJson,
                  long timeMillis, long acceptedNanos, String key, long supersededId, Subscriber target) {
        this.target = target;
        this.id = id;
        this.topic = topic;
        this.type = type;
        this.frame = frame;
        this.stringData = stringData;
        this.keptDataJson = keptDataJson;
        this.timeMillis = timeMillis;
        this.acceptedNanos = acceptedNanos;
        this.frameBytes = frame.readableBytes();
        this.key = key;
        this.supersededId = supersededId;
    }

    /**
     * An event history retains, built again from what its ring keeps ({@link TopicHistory}): the same fields as the
     * committed event, except {@link #acceptedNanos()}, which only queued events need (0 here).
     */
    static Event readBack(long id, Topic topic, String type, ByteBuf frame, boolean stringData, byte[] keptDataJson,
                          long timeMillis, String key, long supersededId) {
        return new Event(id, topic, type, frame, stringData, keptDataJson, timeMillis, 0, key, supersededId, null);
    }

    private static boolean isString(byte[] dataJson) {
        return dataJson.length > 0 && dataJson[0] == '"';
    }

    public long id() {
        return id;
    }

    /** The topic, or null for a connection event. */
    public Topic topic() {
        return topic;
    }

    /** The one stream a connection event is for; null for an event of a topic. */
    Subscriber target() {
        return target;
    }

    public String type() {
        return type;
    }

    /** The shared frame; see the class comment for who may touch it and how. */
    public ByteBuf frame() {
        return frame;
    }

    /** The event's key (CONTRACT §12), or null. */
    public String key() {
        return key;
    }

    /**
     * Id of the earlier event of this topic with the same key that this one superseded in history when it was
     * committed, or 0: a stream that still owes that event is owed this one instead, not both.
     */
    public long supersededId() {
        return supersededId;
    }

    /** Bytes of the encoded frame, {@code id:} line included: what retaining it costs in direct memory. */
    public int frameBytes() {
        return frameBytes;
    }

    /**
     * Compact JSON of the data; never modify. Most events read it back from the frame: call only while the frame is
     * certainly live, under the monitor of the history that retains this event ({@link TopicHistory#newest} and
     * {@link TopicHistory#after} with a view) or holding a reference to the frame.
     */
    public byte[] dataJson() {
        if (keptDataJson != null) {
            return keptDataJson;
        }
        byte[] data = SseEncoder.dataOf(frame);
        if (!stringData) {
            return data;
        }
        String text = new String(data, StandardCharsets.UTF_8);
        return Json.write(g -> g.writeString(text));
    }

    /** The data's JSON kept because the frame cannot give it back, or null for most events (see the field). */
    byte[] keptDataJson() {
        return keptDataJson;
    }

    /** Whether the data is a JSON string, whose frame holds its lines rather than its JSON. */
    boolean hasStringData() {
        return stringData;
    }

    /**
     * Whether the frame of the JSON string {@code literal} gives back the same string: when it has no CR (the frame's
     * lines would read back joined by LF) and no <code>&#92;u</code> escape (which may hide a CR). Escapes are whole
     * pairs, so a backslash found here starts one.
     */
    private static boolean frameHoldsString(byte[] literal) {
        for (int i = 1; i < literal.length - 1; i++) {
            if (literal[i] == '\\') {
                byte escaped = literal[i + 1];
                if (escaped == 'r' || escaped == 'u') {
                    return false;
                }
                i++;
            }
        }
        return true;
    }

    public long timeMillis() {
        return timeMillis;
    }

    /** {@link System#nanoTime()} when the publish was accepted; for delivery latency. */
    public long acceptedNanos() {
        return acceptedNanos;
    }
}
