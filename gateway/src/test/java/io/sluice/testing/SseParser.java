package io.sluice.testing;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An incremental text/event-stream parser following the WHATWG HTML "Server-sent events" section
 * ("Interpreting an event stream" and "Dispatch the event").
 *
 * <ul>
 *   <li>The stream is UTF-8 with malformed sequences replaced by U+FFFD; one leading BOM is stripped.
 *   <li>Lines end at CRLF, LF or CR. Line splitting is done on bytes (CR and LF never occur inside a UTF-8
 *       sequence) and each line is then decoded, so input may be split anywhere, even inside a character or
 *       between the CR and the LF of one CRLF.
 *   <li>An empty line dispatches; a line starting with {@code :} is a comment; otherwise field and value split
 *       at the first {@code :} and one leading space of the value is removed; a line without {@code :} is a
 *       field with an empty value.
 *   <li>{@code event} sets the type buffer, {@code data} appends value + LF, {@code id} sets the last event ID
 *       buffer unless the value contains NUL, {@code retry} is taken only when it is all ASCII digits; other
 *       fields are ignored.
 *   <li>Dispatch first copies the last event ID buffer to the last event ID string (even when nothing is
 *       dispatched); an empty data buffer then dispatches nothing; otherwise one trailing LF is removed and the
 *       type defaults to {@code message}. Data and type buffers are reset; the last event ID persists.
 *   <li>At end of stream an incomplete line and an undispatched event are discarded: the caller simply stops
 *       feeding.
 * </ul>
 *
 * <p>Not thread-safe: one thread feeds it and receives the callbacks on that thread.
 */
final class SseParser {

    /** Receives what the parser finds, on the feeding thread, in stream order. */
    interface Listener {
        void onEvent(SseEvent event);

        /** @param text the comment line without its leading {@code :} (a space after it is kept) */
        void onComment(String text);

        /** @param millis a {@code retry} value that was all ASCII digits and fits in an int */
        void onRetry(int millis);
    }

    private static final byte CR = '\r';
    private static final byte LF = '\n';

    private final Listener listener;
    private byte[] line = new byte[256];
    private int lineLength;
    private boolean firstLine = true;
    private boolean afterCr;

    private final StringBuilder data = new StringBuilder();
    private String eventType = "";
    private String idInBlock;
    private String lastEventIdBuffer = "";
    private String lastEventId = "";

    SseParser(Listener listener) {
        this.listener = listener;
    }

    /** The event source's last event ID string: what a browser would send as Last-Event-ID now. */
    String lastEventId() {
        return lastEventId;
    }

    void feed(byte[] bytes, int off, int len) {
        for (int i = off; i < off + len; i++) {
            byte b = bytes[i];
            if (afterCr) {
                afterCr = false;
                if (b == LF) {
                    continue;
                }
            }
            if (b == CR) {
                endLine();
                afterCr = true;
            } else if (b == LF) {
                endLine();
            } else {
                if (lineLength == line.length) {
                    line = Arrays.copyOf(line, line.length * 2);
                }
                line[lineLength++] = b;
            }
        }
    }

    private void endLine() {
        int start = 0;
        if (firstLine) {
            firstLine = false;
            if (lineLength >= 3 && line[0] == (byte) 0xEF && line[1] == (byte) 0xBB && line[2] == (byte) 0xBF) {
                start = 3;
            }
        }
        String text = new String(line, start, lineLength - start, StandardCharsets.UTF_8);
        lineLength = 0;
        processLine(text);
    }

    private void processLine(String text) {
        if (text.isEmpty()) {
            dispatch();
            return;
        }
        if (text.charAt(0) == ':') {
            listener.onComment(text.substring(1));
            return;
        }
        int colon = text.indexOf(':');
        String field;
        String value;
        if (colon >= 0) {
            field = text.substring(0, colon);
            value = text.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
        } else {
            field = text;
            value = "";
        }
        processField(field, value);
    }

    private void processField(String field, String value) {
        switch (field) {
            case "event":
                eventType = value;
                break;
            case "data":
                data.append(value).append('\n');
                break;
            case "id":
                if (value.indexOf('\0') < 0) {
                    lastEventIdBuffer = value;
                    idInBlock = value;
                }
                break;
            case "retry":
                if (!value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    // Values beyond int range are ignored: no server means a 24-day reconnection delay.
                    try {
                        listener.onRetry(Integer.parseInt(value));
                    } catch (NumberFormatException ignored) {
                        // too large for an int; see above
                    }
                }
                break;
            default:
                break;
        }
    }

    private void dispatch() {
        lastEventId = lastEventIdBuffer;
        String id = idInBlock;
        idInBlock = null;
        if (data.length() == 0) {
            eventType = "";
            return;
        }
        data.setLength(data.length() - 1);
        String type = eventType.isEmpty() ? "message" : eventType;
        String text = data.toString();
        data.setLength(0);
        eventType = "";
        listener.onEvent(new SseEvent(id, lastEventId, type, text));
    }
}
