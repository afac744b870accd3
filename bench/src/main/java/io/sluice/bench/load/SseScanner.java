package io.sluice.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * An incremental text/event-stream scanner for load subscribers: cheap rather than general. It copies each read
 * into a per-thread array, finds line ends eight bytes at a time, looks only at the first bytes of each line ({@code id:}, {@code event:},
 * {@code data:}, comments, blank line), copies the id into a reused array, and reads the send timestamp and
 * sequence number out of the first {@code data:} line with a hand parser when the data starts with
 * {@code {"ts":<digits>,"seq":<digits>,"pub":<digits>} (the {@link PayloadEncoder} layout, which the gateway keeps because it
 * preserves key order). It allocates nothing per event; a line split across reads is carried in a reused array.
 *
 * <p>Lines end with LF or CRLF (the gateway writes LF); a lone CR is not treated as a line end. As in WHATWG, an id line
 * takes effect at the blank line that ends its block (even a block without data, which dispatches nothing), so
 * a connection cut inside an event does not move the id a reconnect resumes from.
 *
 * <p>Not thread-safe: one instance per stream, fed and queried only on that stream's event loop. It lives as long
 * as the stream, across reconnects: {@link #resetConnection()} forgets partial input but keeps the last event id.
 */
final class SseScanner {

    /** Receives dispatched events; called on the thread that calls {@link SseScanner#feed}. */
    interface Listener {
        /** A {@code message} event whose data carries the load layout. */
        void onLoadEvent(long sentNanos, long seq, int publisher);

        /** {@code event: connected}: the stream is open. */
        void onConnected();

        /** {@code event: reset}: the gateway could not resume from the last event id. */
        void onReset();

        /** Any other dispatched event (a foreign type, or message data without the load layout). */
        void onOtherEvent();
    }

    /** Longest line carried between reads; past it the stream is broken (payloads are at most 16 MiB). */
    static final int MAX_LINE = 17 * 1024 * 1024;

    private static final byte LF = '\n';
    private static final byte CR = '\r';
    private static final byte[] CONNECTED = "connected".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESET = "reset".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MESSAGE = "message".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TS = "{\"ts\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SEQ = ",\"seq\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PUB = ",\"pub\":".getBytes(StandardCharsets.US_ASCII);

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long LFS = 0x0A0A0A0A0A0A0A0AL;
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    /** Per thread: a direct read buffer's bytes, copied out to be scanned; nothing is kept in it between reads. */
    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[64 * 1024];
        }
    };

    private static final int KIND_MESSAGE = 0;
    private static final int KIND_CONNECTED = 1;
    private static final int KIND_RESET = 2;
    private static final int KIND_OTHER = 3;

    private final Listener listener;

    private byte[] carry = new byte[0];
    private int carryLength;

    /** WHATWG "last event ID buffer": set by id lines, committed to {@link #lastId} when a blank line ends a block. */
    private byte[] idBuffer = new byte[32];
    private int idBufferLength;
    private boolean idChanged;
    /** WHATWG "last event ID string": what a reconnect sends. */
    private byte[] lastId = new byte[32];
    private int lastIdLength;

    private int kind = KIND_MESSAGE;
    private boolean hasData;
    private boolean loadData;
    private long sentNanos;
    private long seq;
    private int publisher;

    SseScanner(Listener listener) {
        this.listener = listener;
    }

    /**
     * Forgets a partial line, a partly received event and an id not yet committed by a blank line (the connection
     * ended); keeps the last event id.
     */
    void resetConnection() {
        carryLength = 0;
        resetEvent();
        idChanged = false;
        if (idBuffer.length < lastIdLength) {
            idBuffer = new byte[lastId.length];
        }
        System.arraycopy(lastId, 0, idBuffer, 0, lastIdLength);
        idBufferLength = lastIdLength;
    }

    /** As {@link #resetConnection()}, and forgets the last event id too: what follows is another stream (soak). */
    void newStream() {
        lastIdLength = 0;
        resetConnection();
    }

    /** Whether an {@code id:} line has been seen on any connection of this stream. */
    boolean hasLastId() {
        return lastIdLength > 0;
    }

    /** The last event id as text, for a {@code Last-Event-ID} header. */
    String lastId() {
        return new String(lastId, 0, lastIdLength, StandardCharsets.UTF_8);
    }

    /** Consumes every readable byte of {@code in} (moves its reader index; does not release it). */
    void feed(ByteBuf in) {
        int length = in.readableBytes();
        if (in.hasArray()) {
            int from = in.arrayOffset() + in.readerIndex();
            feed(in.array(), from, from + length);
        } else {
            byte[] bytes = SCRATCH.get();
            if (bytes.length < length) {
                bytes = new byte[Math.max(length, bytes.length * 2)];
                SCRATCH.set(bytes);
            }
            in.getBytes(in.readerIndex(), bytes, 0, length);
            feed(bytes, 0, length);
        }
        in.readerIndex(in.writerIndex());
    }

    /**
     * Scans {@code b[r..w)}. Lines are found and read in a plain array: one copy out of a direct read buffer costs
     * less than a bounds- and reference-checked {@code getByte} per byte, which made this scanner the generator's
     * largest cost at 1 M deliveries/s.
     */
    private void feed(byte[] b, int r, int w) {
        if (carryLength > 0) {
            int lf = indexOfLf(b, r, w);
            if (lf < 0) {
                appendCarry(b, r, w - r);
                return;
            }
            appendCarry(b, r, lf - r);
            int length = carryLength;
            carryLength = 0;
            line(carry, 0, length);
            r = lf + 1;
        }
        while (r < w) {
            int lf = indexOfLf(b, r, w);
            if (lf < 0) {
                appendCarry(b, r, w - r);
                break;
            }
            line(b, r, lf);
            r = lf + 1;
        }
    }

    /**
     * The index of the first LF in {@code b[from..to)}, or -1: eight bytes a step (a byte equal to LF is a zero
     * byte of {@code word ^ LFs}; the lowest flagged byte is exact, borrows only flag bytes above a zero byte).
     */
    static int indexOfLf(byte[] b, int from, int to) {
        int i = from;
        for (; i + Long.BYTES <= to; i += Long.BYTES) {
            long x = (long) LONGS.get(b, i) ^ LFS;
            long zeros = (x - ONES) & ~x & HIGHS;
            if (zeros != 0) {
                return i + (Long.numberOfTrailingZeros(zeros) >>> 3);
            }
        }
        for (; i < to; i++) {
            if (b[i] == LF) {
                return i;
            }
        }
        return -1;
    }

    private void appendCarry(byte[] b, int from, int length) {
        int need = carryLength + length;
        if (need > MAX_LINE) {
            throw new IllegalStateException("SSE line longer than " + MAX_LINE + " bytes");
        }
        if (need > carry.length) {
            byte[] bigger = new byte[Math.max(need, Math.max(256, carry.length * 2))];
            System.arraycopy(carry, 0, bigger, 0, carryLength);
            carry = bigger;
        }
        System.arraycopy(b, from, carry, carryLength, length);
        carryLength = need;
    }

    /** One line in {@code b} from {@code start} to {@code end} (exclusive, LF not included). */
    private void line(byte[] b, int start, int end) {
        if (end > start && b[end - 1] == CR) {
            end--;
        }
        if (start == end) {
            dispatch();
            return;
        }
        byte first = b[start];
        if (first == ':') {
            return;
        }
        int nameEnd = end;
        for (int i = start, limit = Math.min(end, start + 6); i < limit; i++) {
            if (b[i] == ':') {
                nameEnd = i;
                break;
            }
        }
        int value = nameEnd == end ? end : nameEnd + 1;
        if (value < end && b[value] == ' ') {
            value++;
        }
        int nameLength = nameEnd - start;
        if (nameLength == 4 && first == 'd' && b[start + 1] == 'a' && b[start + 2] == 't' && b[start + 3] == 'a') {
            data(b, value, end);
        } else if (nameLength == 2 && first == 'i' && b[start + 1] == 'd') {
            id(b, value, end);
        } else if (nameLength == 5 && first == 'e' && b[start + 1] == 'v' && b[start + 2] == 'e'
                && b[start + 3] == 'n' && b[start + 4] == 't') {
            event(b, value, end);
        }
        // retry: and unknown fields are ignored, as the spec says.
    }

    private void id(byte[] b, int from, int to) {
        int length = to - from;
        for (int i = from; i < to; i++) {
            if (b[i] == 0) {
                return;
            }
        }
        if (length > idBuffer.length) {
            idBuffer = new byte[length];
        }
        System.arraycopy(b, from, idBuffer, 0, length);
        idBufferLength = length;
        idChanged = true;
    }

    private void event(byte[] b, int from, int to) {
        if (equalsAscii(b, from, to, CONNECTED)) {
            kind = KIND_CONNECTED;
        } else if (equalsAscii(b, from, to, RESET)) {
            kind = KIND_RESET;
        } else if (equalsAscii(b, from, to, MESSAGE)) {
            kind = KIND_MESSAGE;
        } else {
            kind = KIND_OTHER;
        }
    }

    private void data(byte[] b, int from, int to) {
        if (hasData) {
            loadData = false;
            return;
        }
        hasData = true;
        if (!startsWith(b, from, to, TS)) {
            return;
        }
        int i = from + TS.length;
        int end = digitsEnd(b, i, to);
        if (end == i || end - i > 18 || !startsWith(b, end, to, SEQ)) {
            return;
        }
        long ts = decimal(b, i, end);
        i = end + SEQ.length;
        end = digitsEnd(b, i, to);
        if (end == i || end - i > 18 || !startsWith(b, end, to, PUB)) {
            return;
        }
        long s = decimal(b, i, end);
        i = end + PUB.length;
        end = digitsEnd(b, i, to);
        if (end == i || end - i > 9) {
            return;
        }
        sentNanos = ts;
        seq = s;
        publisher = (int) decimal(b, i, end);
        loadData = true;
    }

    private static int digitsEnd(byte[] b, int from, int to) {
        int i = from;
        while (i < to && b[i] >= '0' && b[i] <= '9') {
            i++;
        }
        return i;
    }

    private static long decimal(byte[] b, int from, int to) {
        long v = 0;
        for (int i = from; i < to; i++) {
            v = v * 10 + (b[i] - '0');
        }
        return v;
    }

    private void dispatch() {
        if (idChanged) {
            if (lastId.length < idBufferLength) {
                lastId = new byte[idBuffer.length];
            }
            System.arraycopy(idBuffer, 0, lastId, 0, idBufferLength);
            lastIdLength = idBufferLength;
            idChanged = false;
        }
        if (!hasData) {
            resetEvent();
            return;
        }
        int k = kind;
        boolean load = loadData;
        long ts = sentNanos;
        long s = seq;
        int pub = publisher;
        resetEvent();
        switch (k) {
            case KIND_MESSAGE -> {
                if (load) {
                    listener.onLoadEvent(ts, s, pub);
                } else {
                    listener.onOtherEvent();
                }
            }
            case KIND_CONNECTED -> listener.onConnected();
            case KIND_RESET -> listener.onReset();
            default -> listener.onOtherEvent();
        }
    }

    private void resetEvent() {
        kind = KIND_MESSAGE;
        hasData = false;
        loadData = false;
    }

    private static boolean startsWith(byte[] b, int at, int to, byte[] prefix) {
        if (to - at < prefix.length) {
            return false;
        }
        for (int j = 0; j < prefix.length; j++) {
            if (b[at + j] != prefix[j]) {
                return false;
            }
        }
        return true;
    }

    private static boolean equalsAscii(byte[] b, int from, int to, byte[] word) {
        return to - from == word.length && startsWith(b, from, to, word);
    }
}
