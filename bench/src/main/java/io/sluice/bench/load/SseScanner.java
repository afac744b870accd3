package io.sluice.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;

/**
 * An incremental text/event-stream scanner for load subscribers: cheap rather than general. It finds line ends
 * with {@link ByteBuf#indexOf}, looks only at the first bytes of each line ({@code id:}, {@code event:},
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

    private static final int KIND_MESSAGE = 0;
    private static final int KIND_CONNECTED = 1;
    private static final int KIND_RESET = 2;
    private static final int KIND_OTHER = 3;

    private final Listener listener;

    private byte[] carry = new byte[0];
    private ByteBuf carryView = Unpooled.wrappedBuffer(carry);
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
        int r = in.readerIndex();
        int w = in.writerIndex();
        if (carryLength > 0) {
            int lf = in.indexOf(r, w, LF);
            if (lf < 0) {
                appendCarry(in, r, w - r);
                in.readerIndex(w);
                return;
            }
            appendCarry(in, r, lf - r);
            int length = carryLength;
            carryLength = 0;
            line(carryView, 0, length);
            r = lf + 1;
        }
        while (r < w) {
            int lf = in.indexOf(r, w, LF);
            if (lf < 0) {
                appendCarry(in, r, w - r);
                break;
            }
            line(in, r, lf);
            r = lf + 1;
        }
        in.readerIndex(w);
    }

    private void appendCarry(ByteBuf in, int from, int length) {
        int need = carryLength + length;
        if (need > MAX_LINE) {
            throw new IllegalStateException("SSE line longer than " + MAX_LINE + " bytes");
        }
        if (need > carry.length) {
            byte[] bigger = new byte[Math.max(need, Math.max(256, carry.length * 2))];
            System.arraycopy(carry, 0, bigger, 0, carryLength);
            carry = bigger;
            carryView = Unpooled.wrappedBuffer(carry);
        }
        in.getBytes(from, carry, carryLength, length);
        carryLength = need;
    }

    /** One line in {@code b} from {@code start} to {@code end} (exclusive, LF not included). */
    private void line(ByteBuf b, int start, int end) {
        if (end > start && b.getByte(end - 1) == CR) {
            end--;
        }
        if (start == end) {
            dispatch();
            return;
        }
        byte first = b.getByte(start);
        if (first == ':') {
            return;
        }
        int colon = b.indexOf(start, Math.min(end, start + 6), (byte) ':');
        int nameEnd = colon < 0 ? end : colon;
        int value = colon < 0 ? end : colon + 1;
        if (value < end && b.getByte(value) == ' ') {
            value++;
        }
        int nameLength = nameEnd - start;
        if (nameLength == 4 && first == 'd' && b.getByte(start + 1) == 'a' && b.getByte(start + 2) == 't'
                && b.getByte(start + 3) == 'a') {
            data(b, value, end);
        } else if (nameLength == 2 && first == 'i' && b.getByte(start + 1) == 'd') {
            id(b, value, end);
        } else if (nameLength == 5 && first == 'e' && b.getByte(start + 1) == 'v' && b.getByte(start + 2) == 'e'
                && b.getByte(start + 3) == 'n' && b.getByte(start + 4) == 't') {
            event(b, value, end);
        }
        // retry: and unknown fields are ignored, as the spec says.
    }

    private void id(ByteBuf b, int from, int to) {
        int length = to - from;
        if (b.indexOf(from, to, (byte) 0) >= 0) {
            return;
        }
        if (length > idBuffer.length) {
            idBuffer = new byte[length];
        }
        b.getBytes(from, idBuffer, 0, length);
        idBufferLength = length;
        idChanged = true;
    }

    private void event(ByteBuf b, int from, int to) {
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

    private void data(ByteBuf b, int from, int to) {
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

    private static int digitsEnd(ByteBuf b, int from, int to) {
        int i = from;
        while (i < to) {
            byte c = b.getByte(i);
            if (c < '0' || c > '9') {
                break;
            }
            i++;
        }
        return i;
    }

    private static long decimal(ByteBuf b, int from, int to) {
        long v = 0;
        for (int i = from; i < to; i++) {
            v = v * 10 + (b.getByte(i) - '0');
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

    private static boolean startsWith(ByteBuf b, int at, int to, byte[] prefix) {
        if (to - at < prefix.length) {
            return false;
        }
        for (int j = 0; j < prefix.length; j++) {
            if (b.getByte(at + j) != prefix[j]) {
                return false;
            }
        }
        return true;
    }

    private static boolean equalsAscii(ByteBuf b, int from, int to, byte[] word) {
        return to - from == word.length && startsWith(b, from, to, word);
    }
}
