package io.sluice.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * HTTP/1.1 response reading shared by {@link SseTestClient}, {@link HttpConnection} and {@link HttpTestClient}.
 *
 * <p>Strict on purpose: lines must end in CRLF (a bare LF is a {@link ProtocolException}), chunk sizes are hex,
 * a Content-Length is digits. The clients exist to catch a server that gets the wire wrong, so they do not
 * forgive what a browser might.
 *
 * <p>Every class here is confined to one thread: the thread that reads the socket.
 */
final class HttpWire {

    /** Longest response head (status line + headers) accepted; anything longer is a protocol error. */
    static final int MAX_HEAD_BYTES = 64 * 1024;

    private static final int CR = '\r';
    private static final int LF = '\n';

    private HttpWire() {
    }

    /** Called by {@link Input} before every read from the socket; may block (pause) or set a read timeout. */
    interface ReadGate {
        void beforeRead() throws IOException;
    }

    /** A parsed status line and header block. {@code headers} is case-insensitive and unmodifiable. */
    record Head(int status, String reason, Map<String, List<String>> headers) {

        String header(String name) {
            List<String> values = headers.get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }
    }

    /** How the end of a response body is found (RFC 9112 section 6.3). */
    enum Framing { NONE, CHUNKED, LENGTH, CLOSE }

    /** An empty case-insensitive header map, to be filled and then wrapped with {@link #freeze}. */
    static TreeMap<String, List<String>> newHeaderMap() {
        return new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    }

    static Map<String, List<String>> freeze(TreeMap<String, List<String>> headers) {
        TreeMap<String, List<String>> copy = newHeaderMap();
        headers.forEach((name, values) -> copy.put(name, List.copyOf(values)));
        return Collections.unmodifiableMap(copy);
    }

    /**
     * Buffered reads from a socket stream. Keeps a copy of everything consumed since {@link #mark()} so that a
     * failing wait can show what did arrive.
     */
    static final class Input {
        private static final int CAPTURE_LIMIT = 64 * 1024;

        private final InputStream in;
        private final ReadGate gate;
        private byte[] buf = new byte[16 * 1024];
        private int pos;
        private int limit;
        private boolean eof;
        private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

        Input(InputStream in, ReadGate gate) {
            this.in = in;
            this.gate = gate;
        }

        /** Starts a new capture of consumed bytes (one per response). */
        void mark() {
            captured.reset();
        }

        /** Bytes consumed since {@link #mark()}, as ISO-8859-1 text so that every byte shows; capped at 64 KiB. */
        String capturedText() {
            return captured.toString(StandardCharsets.ISO_8859_1);
        }

        int buffered() {
            return limit - pos;
        }

        /** True once the socket reported end of stream (buffered bytes may remain). */
        boolean eof() {
            return eof;
        }

        /**
         * Reads once from the socket into the buffer, appending to what is buffered.
         *
         * @return false at end of stream
         */
        boolean fill() throws IOException {
            if (eof) {
                return false;
            }
            if (pos == limit) {
                pos = 0;
                limit = 0;
            } else if (limit == buf.length) {
                if (pos > 0) {
                    System.arraycopy(buf, pos, buf, 0, limit - pos);
                    limit -= pos;
                    pos = 0;
                } else {
                    byte[] bigger = new byte[buf.length * 2];
                    System.arraycopy(buf, 0, bigger, 0, limit);
                    buf = bigger;
                }
            }
            gate.beforeRead();
            int n = in.read(buf, limit, buf.length - limit);
            if (n < 0) {
                eof = true;
                return false;
            }
            limit += n;
            return true;
        }

        /** Next byte, or -1 at end of stream. */
        int readByte() throws IOException {
            while (pos == limit) {
                if (!fill()) {
                    return -1;
                }
            }
            int b = buf[pos++] & 0xFF;
            capture(b);
            return b;
        }

        /**
         * Copies buffered bytes, reading from the socket only when nothing is buffered, so that the caller sees
         * data as soon as it arrives.
         *
         * @return bytes copied, or -1 at end of stream
         */
        int read(byte[] dst, int off, int len) throws IOException {
            while (pos == limit) {
                if (!fill()) {
                    return -1;
                }
            }
            int n = Math.min(len, limit - pos);
            System.arraycopy(buf, pos, dst, off, n);
            pos += n;
            if (captured.size() < CAPTURE_LIMIT) {
                captured.write(dst, off, Math.min(n, CAPTURE_LIMIT - captured.size()));
            }
            return n;
        }

        /**
         * Reads one CRLF-terminated line (ISO-8859-1, terminator removed).
         *
         * @return null if the stream ended before the first byte of the line
         * @throws ProtocolException on a bare LF or CR, a line longer than {@code maxBytes}, or end of stream
         *     inside the line
         */
        String readLine(int maxBytes, String what) throws IOException {
            StringBuilder line = new StringBuilder();
            for (;;) {
                int b = readByte();
                if (b < 0) {
                    if (line.length() == 0) {
                        return null;
                    }
                    throw new ProtocolException("connection closed inside " + what + ": \"" + line + "\"");
                }
                if (b == CR) {
                    int next = readByte();
                    if (next == LF) {
                        return line.toString();
                    }
                    throw new ProtocolException("CR not followed by LF in " + what + ": \"" + line + "\"");
                }
                if (b == LF) {
                    throw new ProtocolException("bare LF (no CR) ending " + what + ": \"" + line + "\"");
                }
                if (line.length() >= maxBytes) {
                    throw new ProtocolException(what + " longer than " + maxBytes + " bytes");
                }
                line.append((char) b);
            }
        }

        private void capture(int b) {
            if (captured.size() < CAPTURE_LIMIT) {
                captured.write(b);
            }
        }
    }

    /**
     * Reads a status line and headers.
     *
     * @return null if the stream ended before the first byte of a response
     * @throws ProtocolException if the head is malformed or the stream ends inside it
     */
    static Head readHead(Input in) throws IOException {
        String statusLine = in.readLine(MAX_HEAD_BYTES, "status line");
        if (statusLine == null) {
            return null;
        }
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("[0-9]{3}")) {
            throw new ProtocolException("malformed status line: \"" + statusLine + "\"");
        }
        int status = Integer.parseInt(parts[1]);
        String reason = parts.length == 3 ? parts[2] : "";
        TreeMap<String, List<String>> headers = readFields(in, statusLine.length(), "header line");
        return new Head(status, reason, freeze(headers));
    }

    private static TreeMap<String, List<String>> readFields(Input in, int usedBytes, String what) throws IOException {
        TreeMap<String, List<String>> fields = newHeaderMap();
        int used = usedBytes;
        for (;;) {
            String line = in.readLine(MAX_HEAD_BYTES, what);
            if (line == null) {
                throw new ProtocolException("connection closed before the end of the " + what + "s");
            }
            if (line.isEmpty()) {
                return fields;
            }
            used += line.length() + 2;
            if (used > MAX_HEAD_BYTES) {
                throw new ProtocolException("response head longer than " + MAX_HEAD_BYTES + " bytes");
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t' || line.substring(0, colon).contains(" ")) {
                throw new ProtocolException("malformed " + what + ": \"" + line + "\"");
            }
            String name = line.substring(0, colon);
            String value = line.substring(colon + 1).strip();
            fields.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
    }

    /**
     * How the body of a response to a request is delimited.
     *
     * @param bodylessRequest true for a response to HEAD (which never has a body)
     */
    static Framing framing(Head head, boolean bodylessRequest) throws ProtocolException {
        int status = head.status();
        if (bodylessRequest || status < 200 || status == 204 || status == 304) {
            return Framing.NONE;
        }
        List<String> te = head.headers().get("Transfer-Encoding");
        if (te != null) {
            String codings = String.join(",", te).toLowerCase(Locale.ROOT);
            String[] list = codings.split(",");
            return list[list.length - 1].strip().equals("chunked") ? Framing.CHUNKED : Framing.CLOSE;
        }
        List<String> cl = head.headers().get("Content-Length");
        if (cl != null) {
            contentLength(head);
            return Framing.LENGTH;
        }
        return Framing.CLOSE;
    }

    /** The single Content-Length value; several equal values count as one (RFC 9110 section 8.6). */
    static long contentLength(Head head) throws ProtocolException {
        List<String> cl = head.headers().get("Content-Length");
        long length = -1;
        for (String field : cl) {
            for (String v : field.split(",")) {
                String s = v.strip();
                if (!s.matches("[0-9]{1,18}")) {
                    throw new ProtocolException("bad Content-Length: \"" + field + "\"");
                }
                long n = Long.parseLong(s);
                if (length >= 0 && n != length) {
                    throw new ProtocolException("conflicting Content-Length values: " + cl);
                }
                length = n;
            }
        }
        return length;
    }

    /** Streams one response body, undoing chunked framing. Confined to the reading thread. */
    static final class Body {
        private final Input in;
        private final Framing framing;
        private long remaining;
        private boolean done;
        private boolean inChunk;

        Body(Input in, Head head, boolean bodylessRequest) throws ProtocolException {
            this.in = in;
            this.framing = HttpWire.framing(head, bodylessRequest);
            this.remaining = framing == Framing.LENGTH ? contentLength(head) : 0;
            this.done = framing == Framing.NONE || framing == Framing.LENGTH && remaining == 0;
        }

        Framing framing() {
            return framing;
        }

        /** True once the whole body was read (for a close-delimited body: the connection ended). */
        boolean complete() {
            return done;
        }

        /**
         * Reads decoded body bytes; blocks until at least one is available.
         *
         * @return bytes read, or -1 at the end of the body
         * @throws ProtocolException on bad chunk framing, or if the connection ends before a length-delimited or
         *     chunked body does
         */
        int read(byte[] dst, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            switch (framing) {
                case CLOSE: {
                    int n = in.read(dst, off, len);
                    if (n < 0) {
                        done = true;
                    }
                    return n;
                }
                case LENGTH: {
                    int n = in.read(dst, off, (int) Math.min(len, remaining));
                    if (n < 0) {
                        throw new ProtocolException("connection closed with " + remaining + " body bytes still expected");
                    }
                    remaining -= n;
                    done = remaining == 0;
                    return n;
                }
                case CHUNKED:
                    return readChunked(dst, off, len);
                default:
                    throw new IllegalStateException(framing.name());
            }
        }

        private int readChunked(byte[] dst, int off, int len) throws IOException {
            while (!inChunk) {
                String sizeLine = in.readLine(1024, "chunk size line");
                if (sizeLine == null) {
                    throw new ProtocolException("connection closed before the last chunk");
                }
                int end = 0;
                while (end < sizeLine.length() && Character.digit(sizeLine.charAt(end), 16) >= 0) {
                    end++;
                }
                String rest = sizeLine.substring(end).stripLeading();
                if (end == 0 || end > 15 || !rest.isEmpty() && rest.charAt(0) != ';') {
                    throw new ProtocolException("bad chunk size line: \"" + sizeLine + "\"");
                }
                remaining = Long.parseLong(sizeLine.substring(0, end), 16);
                if (remaining == 0) {
                    readFields(in, 0, "trailer line");
                    done = true;
                    return -1;
                }
                inChunk = true;
            }
            int n = in.read(dst, off, (int) Math.min(len, remaining));
            if (n < 0) {
                throw new ProtocolException("connection closed inside a chunk, " + remaining + " bytes short");
            }
            remaining -= n;
            if (remaining == 0) {
                int cr = in.readByte();
                int lf = in.readByte();
                if (cr != CR || lf != LF) {
                    throw new ProtocolException("chunk data not followed by CRLF");
                }
                inChunk = false;
            }
            return n;
        }
    }
}
