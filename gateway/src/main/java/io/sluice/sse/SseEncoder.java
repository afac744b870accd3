package io.sluice.sse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.sluice.api.Grammar;

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
    /** {@link #DATA_PREFIX} to compare frames with; never written, so one unreleasable buffer serves every thread. */
    private static final ByteBuf DATA_PREFIX_VIEW = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(DATA_PREFIX));
    private static final byte[] ID_PREFIX = "id: ".getBytes(StandardCharsets.US_ASCII);

    private SseEncoder() {
    }

    /**
     * Encodes an event whose data is a JSON string: the string itself, one {@code data:} line per line.
     *
     * <p>The string is encoded to UTF-8 once and split on its CR and LF bytes: in UTF-8 those byte values
     * never occur inside a multi-byte character, so byte positions are line boundaries.
     *
     * @param type the validated event type; {@code null} or {@code "message"} omits the event line
     * @return a buffer owned by the caller, readable from the body start; call {@link #stampId} before use
     */
    public static ByteBuf encodeStringData(ByteBufAllocator alloc, String type, String data) {
        byte[] utf8 = data.getBytes(StandardCharsets.UTF_8);
        int lines = 1;
        int breakBytes = 0;
        for (int i = 0; i < utf8.length; i++) {
            byte b = utf8[i];
            if (b == '\r' || b == '\n') {
                lines++;
                breakBytes++;
                if (b == '\r' && i + 1 < utf8.length && utf8[i + 1] == '\n') {
                    i++;
                    breakBytes++;
                }
            }
        }
        int size = ID_HEADROOM + typeLineSize(type) + lines * (DATA_PREFIX.length + 1) + utf8.length - breakBytes + 1;
        ByteBuf frame = alloc.directBuffer(size, size);
        frame.writerIndex(ID_HEADROOM).readerIndex(ID_HEADROOM);
        writeTypeLine(frame, type);
        int lineStart = 0;
        for (int i = 0; i < utf8.length; i++) {
            byte b = utf8[i];
            if (b == '\r' || b == '\n') {
                frame.writeBytes(DATA_PREFIX).writeBytes(utf8, lineStart, i - lineStart).writeByte('\n');
                if (b == '\r' && i + 1 < utf8.length && utf8[i + 1] == '\n') {
                    i++;
                }
                lineStart = i + 1;
            }
        }
        frame.writeBytes(DATA_PREFIX).writeBytes(utf8, lineStart, utf8.length - lineStart).writeByte('\n');
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
     *
     * @param scratch at least {@link #ID_HEADROOM} bytes owned by the caller for the duration of the call (the
     *                commit holds one under its lock): the line is composed there and copied in one call
     */
    public static void stampId(ByteBuf frame, long id, byte[] scratch) {
        if (id <= 0) {
            throw new IllegalArgumentException("event ids are positive: " + id);
        }
        int pos = ID_HEADROOM - 1;
        scratch[pos--] = '\n';
        for (long v = id; v > 0; v /= 10) {
            scratch[pos--] = (byte) ('0' + v % 10);
        }
        pos -= ID_PREFIX.length - 1;
        System.arraycopy(ID_PREFIX, 0, scratch, pos, ID_PREFIX.length);
        int length = ID_HEADROOM - pos;
        int start = frame.readerIndex() - length;
        frame.setBytes(start, scratch, pos, length);
        frame.readerIndex(start);
    }

    /** {@link #stampId(ByteBuf, long, byte[])} with a scratch array of its own; for tests and tools. */
    public static void stampId(ByteBuf frame, long id) {
        stampId(frame, id, new byte[ID_HEADROOM]);
    }

    /**
     * The data of an encoded frame: its {@code data:} lines' values joined by LF, as UTF-8. The inverse of
     * {@link #encodeJsonData} (the compact JSON itself) and of {@link #encodeStringData} for a string without CR (a CR
     * or CRLF in the string comes back as LF). Reads with absolute indices, so the frame's indices, which loops
     * writing it share, do not move; the caller must hold the frame live for the call.
     */
    public static byte[] dataOf(ByteBuf frame) {
        int start = frame.readerIndex();
        int end = frame.writerIndex();
        int size = -1; // one LF between every two lines
        for (int at = start, lf; at < end; at = lf + 1) {
            lf = lineEnd(frame, at, end);
            if (isDataLine(frame, at, end)) {
                size += 1 + lf - at - DATA_PREFIX.length;
            }
        }
        byte[] data = new byte[Math.max(0, size)];
        int written = -1;
        for (int at = start, lf; at < end; at = lf + 1) {
            lf = lineEnd(frame, at, end);
            if (isDataLine(frame, at, end)) {
                if (written >= 0) {
                    data[written] = '\n';
                }
                written++;
                int valueStart = at + DATA_PREFIX.length;
                frame.getBytes(valueStart, data, written, lf - valueStart);
                written += lf - valueStart;
            }
        }
        return data;
    }

    /** Index of the LF ending the line that starts at {@code at}, or {@code end}. */
    private static int lineEnd(ByteBuf frame, int at, int end) {
        int lf = frame.indexOf(at, end, (byte) '\n');
        return lf < 0 ? end : lf;
    }

    private static boolean isDataLine(ByteBuf frame, int at, int end) {
        return end - at >= DATA_PREFIX.length
                && ByteBufUtil.equals(frame, at, DATA_PREFIX_VIEW, 0, DATA_PREFIX.length);
    }

    /** Number of data bytes {@link #encodeStringData} writes for {@code data}, without prefixes. */
    public static int utf8Length(String data) {
        return ByteBufUtil.utf8Bytes(data);
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
        return type == null || Grammar.DEFAULT_TYPE.equals(type);
    }
}
