package io.sluice.fanout;

import io.netty.buffer.ByteBuf;

/**
 * A validated event whose frame is encoded but not yet committed: it has no id and is not in history.
 *
 * <p>Ownership: the holder owns one reference to {@link #frame()}. {@link FanoutCore#commit} takes it over
 * on success; on any failure before that the holder must {@link #release()}.
 *
 * <p>A <em>connection event</em> ({@link #connection()} not null, CONTRACT §11) goes to one stream only: the one
 * whose {@code connected} event carried that id, on whichever node holds it. It is never retained and creates no
 * topic; its {@link #topic()} is the address {@code connection/<id>} that publish rights are checked on.
 *
 * @param topic the validated topic name (for a connection event, its address {@code connection/<id>})
 * @param type the validated type, {@code "message"} when the publisher gave none
 * @param frame the SSE frame body from {@link io.sluice.sse.SseEncoder}, with id headroom
 * @param dataJson the data as compact JSON text (UTF-8), kept for the snapshot endpoint
 * @param key the validated key (CONTRACT §12): a later event of the topic with the same key supersedes this one in
 *            history; null for an event without one
 * @param connection the id of the one stream this event is for, or null for an event of {@code topic}
 */
public record EncodedEvent(String topic, String type, ByteBuf frame, byte[] dataJson, String key, String connection) {

    /** An event of {@code topic}, without a key. */
    public EncodedEvent(String topic, String type, ByteBuf frame, byte[] dataJson) {
        this(topic, type, frame, dataJson, null, null);
    }

    /** An event of {@code topic} with a key, or null for none. */
    public static EncodedEvent keyed(String topic, String type, ByteBuf frame, byte[] dataJson, String key) {
        return new EncodedEvent(topic, type, frame, dataJson, key, null);
    }

    /** Whether this is a connection event (for one stream, never retained). */
    public boolean isForConnection() {
        return connection != null;
    }

    /** This event addressed to the stream {@code connectionId} instead; the frame reference moves to the result. */
    public EncodedEvent toConnection(String connectionId) {
        return new EncodedEvent(topic, type, frame, dataJson, null, connectionId);
    }

    /** Releases the frame reference this event holds. */
    public void release() {
        frame.release();
    }
}
