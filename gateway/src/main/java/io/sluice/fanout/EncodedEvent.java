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
 */
public record EncodedEvent(String topic, String type, ByteBuf frame, byte[] dataJson) {

    /** Releases the frame reference this event holds. */
    public void release() {
        frame.release();
    }
}
