package io.sluice.fanout;

import io.netty.buffer.ByteBuf;

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
    private final byte[] dataJson;
    private final long timeMillis;
    private final long acceptedNanos;
    private final Subscriber target;

    Event(long id, Topic topic, String type, ByteBuf frame, byte[] dataJson, long timeMillis, long acceptedNanos,
          Subscriber target) {
        this.target = target;
        this.id = id;
        this.topic = topic;
        this.type = type;
        this.frame = frame;
        this.dataJson = dataJson;
        this.timeMillis = timeMillis;
        this.acceptedNanos = acceptedNanos;
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

    /** Compact JSON of the data. Never modify. */
    public byte[] dataJson() {
        return dataJson;
    }

    public long timeMillis() {
        return timeMillis;
    }

    /** {@link System#nanoTime()} when the publish was accepted; for delivery latency. */
    public long acceptedNanos() {
        return acceptedNanos;
    }
}
