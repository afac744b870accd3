package io.sluice.fanout;

import io.netty.buffer.ByteBuf;

/**
 * A validated event whose frame is encoded but not yet committed: it has no id and is not in history.
 *
 * <p>Ownership: the holder owns one reference to {@link #frame()}. {@link FanoutCore#commit} takes it over
 * on success; on any failure before that the holder must {@link #release()}.
 *
 * @param topic the validated topic name
 * @param type the validated type, {@code "message"} when the publisher gave none
 * @param frame the SSE frame body from {@link io.sluice.sse.SseEncoder}, with id headroom
 * @param dataJson the data as compact JSON text (UTF-8), kept for the snapshot endpoint
 * @param key the validated key (CONTRACT §12): a later event of the topic with the same key supersedes this one in
 *            history; null for an event without one
 */
public record EncodedEvent(String topic, String type, ByteBuf frame, byte[] dataJson, String key) {

    /** An event without a key. */
    public EncodedEvent(String topic, String type, ByteBuf frame, byte[] dataJson) {
        this(topic, type, frame, dataJson, null);
    }

    /** Releases the frame reference this event holds. */
    public void release() {
        frame.release();
    }
}
