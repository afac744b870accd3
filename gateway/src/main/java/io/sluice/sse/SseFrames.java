package io.sluice.sse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;

import java.nio.charset.StandardCharsets;

/**
 * Frames that are not published events: the heartbeat is encoded once and written as {@code retainedDuplicate()}s,
 * like an event's frame; system events ({@code connected}, {@code reset}, {@code disconnect}, {@code presence:join},
 * {@code presence:leave}) carry no {@code id:} line, so they never move a client's last event id. Thread-safe.
 */
public final class SseFrames {
    /**
     * Held for the process's life (never released). A pooled direct buffer like every event frame, so that what the
     * loops write is of one kind: an idle stream's first heartbeat after the warm-up would otherwise bring a new
     * buffer class into the write path, and the JIT would throw away and recompile the fan-out's compiled writes
     * (bench/ANALYSIS.md, "Paths the warm-up left out").
     */
    private static final ByteBuf HEARTBEAT = constant(": heartbeat\n\n");

    private SseFrames() {
    }

    /**
     * A comment frame that keeps proxies and clients from timing out an idle stream. Shared and never released: write
     * a {@code retainedDuplicate()} of it, as of an event's frame. Any thread.
     */
    public static ByteBuf heartbeat() {
        return HEARTBEAT;
    }

    /** {@code retry: <millis>} followed by the {@code connected} event. */
    public static ByteBuf connected(ByteBufAllocator alloc, long retryMillis, String connectedJson) {
        return systemEvent(alloc, retryMillis, "connected", connectedJson);
    }

    /** A system event without id: {@code event: <type>} and one line of compact JSON data. */
    public static ByteBuf systemEvent(ByteBufAllocator alloc, String type, String compactJson) {
        return systemEvent(alloc, -1, type, compactJson);
    }

    /**
     * A system event without id, after a {@code retry: <retryMillis>} line when {@code retryMillis} is not negative:
     * {@code event: <type>} and one line of compact JSON data ({@code type} from the event-type alphabet).
     */
    public static ByteBuf systemEvent(ByteBufAllocator alloc, long retryMillis, String type, String compactJson) {
        ByteBuf buf = alloc.buffer(48 + type.length() + compactJson.length() * 3);
        if (retryMillis >= 0) {
            buf.writeCharSequence("retry: ", StandardCharsets.US_ASCII);
            buf.writeCharSequence(Long.toString(retryMillis), StandardCharsets.US_ASCII);
            buf.writeByte('\n');
        }
        buf.writeCharSequence("event: ", StandardCharsets.US_ASCII);
        buf.writeCharSequence(type, StandardCharsets.US_ASCII);
        buf.writeCharSequence("\ndata: ", StandardCharsets.US_ASCII);
        ByteBufUtil.writeUtf8(buf, compactJson);
        buf.writeCharSequence("\n\n", StandardCharsets.US_ASCII);
        return buf;
    }

    /** {@code retry: <millis>} and a comment saying why, for a refused EventSource (CONTRACT §6). */
    public static ByteBuf retryAndComment(ByteBufAllocator alloc, long retryMillis, String why) {
        ByteBuf buf = alloc.buffer(32 + why.length() * 3);
        buf.writeCharSequence("retry: " + retryMillis + "\n: ", StandardCharsets.US_ASCII);
        ByteBufUtil.writeUtf8(buf, why.replace('\r', ' ').replace('\n', ' '));
        buf.writeCharSequence("\n\n", StandardCharsets.US_ASCII);
        return buf;
    }

    private static ByteBuf constant(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length, bytes.length).writeBytes(bytes);
    }
}
