package io.sluice.sse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;

import java.nio.charset.StandardCharsets;

/**
 * Encodes events into text/event-stream frames, exactly per the WHATWG rules.
 *
 * <p>A frame is encoded once per event and shared by every subscriber and by history. Because the
 * id is assigned only when the event is committed (after validation of the whole batch), the body is
 * written after {@link #ID_HEADROOM} reserved bytes and {@link #stampId} later writes
 * {@code id: <id>\n} right in front of it, so commit never re-encodes or copies the body.
 *
 * <p>Wire safety: {@code event} and {@code id} never contain CR, LF or NUL (types are validated against
 * the §1 grammar and ids are decimal digits), and string data is split on CRLF, CR and LF into one
 * {@code data:} line each; a field containing a raw line break would let a publisher forge extra
 * fields or events (response splitting of the event stream). Compact JSON never contains a raw
 * line break: the generator escapes control characters inside strings.
 *
 * <p>Stateless and thread-safe.
 */
public final class SseEncoder {

    /** "id: " + up to 19 digits of a positive long + "\n". */
    public static final int ID_HEADROOM = 4 + 19 + 1;

    private static final byte[] EVENT_PREFIX = "event: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA_PREFIX = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ID_PREFIX = "id: ".getBytes(StandardCharsets.US_ASCII);
    private static final String DEFAULT_TYPE = "message";

    private SseEncoder() {
    }

    /**
     * Encodes an event whose data is a JSON string: the string itself, one {@code data:} line per line.
     *
     * @param type the validated event type; {@code null} or {@code "message"} omits the event line
     * @return a buffer owned by the caller, readable from the body start; call {@link #stampId} before use
     */
    public static ByteBuf encodeStringData(ByteBufAllocator alloc, String type, String data) {
        int size = ID_HEADROOM + typeLineSize(type) + stringDataSize(data) + 1;
        ByteBuf frame = alloc.directBuffer(size, size);
        frame.writerIndex(ID_HEADROOM).readerIndex(ID_HEADROOM);
        writeTypeLine(frame, type);
        int lineStart = 0;
        int length = data.length();
        for (int i = 0; i < length; i++) {
            char c = data.charAt(i);
            if (c == '\r' || c == '\n') {
                writeDataLine(frame, data, lineStart, i);
                if (c == '\r' && i + 1 < length && data.charAt(i + 1) == '\n') {
                    i++;
                }
                lineStart = i + 1;
            }
        }
        writeDataLine(frame, data, lineStart, length);
        frame.writeByte('\n');
        return frame;
    }

    /**
     * Encodes an event whose data is any other JSON value, given as compact JSON text (one line).
     *
     * @return a buffer owned by the caller, readable from the body start; call {@link #stampId} before use
     */
    public static ByteBuf encodeJsonData(ByteBufAllocator alloc, String type, byte[] compactJson) {
        int size = ID_HEADROOM + typeLineSize(type) + DATA_PREFIX.length + compactJson.length + 2;
        ByteBuf frame = alloc.directBuffer(size, size);
        frame.writerIndex(ID_HEADROOM).readerIndex(ID_HEADROOM);
        writeTypeLine(frame, type);
        frame.writeBytes(DATA_PREFIX).writeBytes(compactJson).writeByte('\n').writeByte('\n');
        return frame;
    }

    /**
     * Writes {@code id: <id>\n} into the headroom in front of the body and moves the reader index to it.
     * Must be called exactly once, before the frame is shared.
     */
    public static void stampId(ByteBuf frame, long id) {
        if (id <= 0) {
            throw new IllegalArgumentException("event ids are positive: " + id);
        }
        int digits = digitCount(id);
        int start = frame.readerIndex() - ID_PREFIX.length - digits - 1;
        frame.setBytes(start, ID_PREFIX);
        int pos = start + ID_PREFIX.length + digits - 1;
        for (long v = id; v > 0; v /= 10) {
            frame.setByte(pos--, (int) ('0' + v % 10));
        }
        frame.setByte(start + ID_PREFIX.length + digits, '\n');
        frame.readerIndex(start);
    }

    /** Number of data bytes {@link #encodeStringData} writes for {@code data}, without prefixes. */
    public static int utf8Length(String data) {
        return ByteBufUtil.utf8Bytes(data);
    }

    static int digitCount(long v) {
        int n = 1;
        while (v >= 10) {
            v /= 10;
            n++;
        }
        return n;
    }

    private static int typeLineSize(String type) {
        return isDefaultType(type) ? 0 : EVENT_PREFIX.length + type.length() + 1;
    }

    private static void writeTypeLine(ByteBuf frame, String type) {
        if (!isDefaultType(type)) {
            frame.writeBytes(EVENT_PREFIX);
            ByteBufUtil.writeAscii(frame, type);
            frame.writeByte('\n');
        }
    }

    private static boolean isDefaultType(String type) {
        return type == null || DEFAULT_TYPE.equals(type);
    }

    private static int stringDataSize(String data) {
        int size = 0;
        int lineStart = 0;
        int length = data.length();
        for (int i = 0; i < length; i++) {
            char c = data.charAt(i);
            if (c == '\r' || c == '\n') {
                size += DATA_PREFIX.length + ByteBufUtil.utf8Bytes(data, lineStart, i) + 1;
                if (c == '\r' && i + 1 < length && data.charAt(i + 1) == '\n') {
                    i++;
                }
                lineStart = i + 1;
            }
        }
        return size + DATA_PREFIX.length + ByteBufUtil.utf8Bytes(data, lineStart, length) + 1;
    }

    private static void writeDataLine(ByteBuf frame, String data, int start, int end) {
        frame.writeBytes(DATA_PREFIX);
        if (end > start) {
            // Exact reservation: the frame's capacity is exact, so the worst-case reserve of writeUtf8 would not fit.
            ByteBufUtil.reserveAndWriteUtf8(frame, data, start, end, ByteBufUtil.utf8Bytes(data, start, end));
        }
        frame.writeByte('\n');
    }
}
