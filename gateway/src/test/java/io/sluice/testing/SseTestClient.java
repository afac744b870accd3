package io.sluice.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * A test client for {@code text/event-stream} over a plain {@link Socket}, parsing exactly as a WHATWG
 * EventSource does (see {@link SseParser}), so a test sees what a browser would see.
 *
 * <p>{@link #connect} sends {@code GET <pathAndQuery> HTTP/1.1} with {@code Host}, {@code Accept:
 * text/event-stream} and the extra headers (an extra header replaces a default of the same name), then a
 * daemon reader thread reads the response: status line and headers, then the body, whether close-delimited,
 * chunked or with a Content-Length. The body is always kept as text ({@link #body()}); it is parsed as an event
 * stream only when the status is 200 and the Content-Type is {@code text/event-stream}, as EventSource would.
 *
 * <p>Threads: the reader thread is the only one that reads the socket and feeds the parser; every public
 * method may be called from any thread. All waits take a timeout and fail with an {@link AssertionError} that
 * says what was expected and what arrived; a wait for events fails at once when the connection has ended and
 * no more can arrive. Waits for events and comments consume them: each has a cursor, and
 * {@link #events()} and {@link #comments()} still return everything received.
 *
 * <p>Use in try-with-resources: {@link #close()} closes the socket and joins the reader thread.
 */
public final class SseTestClient implements AutoCloseable {

    /** How long {@link #status()} and {@link #header} wait for the response head unless the builder says otherwise. */
    public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(10);
    /** TCP connect timeout unless the builder says otherwise. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);
    private static final int SHOWN_ITEMS = 10;

    private final Socket socket;
    private final String target;
    private final Duration responseTimeout;
    private final Thread reader;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    // Everything below is guarded by lock.
    private HttpWire.Head head;
    private boolean parsingEvents;
    private final ByteArrayOutputStream bodyBytes = new ByteArrayOutputStream();
    private long bodyBytesReceived;
    private final List<SseEvent> events = new ArrayList<>();
    private int eventCursor;
    private final List<String> comments = new ArrayList<>();
    private int commentCursor;
    private Integer retry;
    private String lastEventId = "";
    private boolean paused;
    private boolean readerParked;
    private boolean closeRequested;
    /** Set when the reader thread stops: why the connection ended. */
    private String endReason;
    private boolean endedByServer;
    private IOException protocolError;

    private SseTestClient(Socket socket, String target, Duration responseTimeout, boolean startPaused) {
        this.socket = socket;
        this.target = target;
        this.responseTimeout = responseTimeout;
        this.paused = startPaused;
        this.reader = new Thread(this::readLoop, "sse-test-client " + target);
        this.reader.setDaemon(true);
    }

    /** Connects and sends the request with no extra headers; see {@link #connect(String, int, String, Map)}. */
    public static SseTestClient connect(String host, int port, String pathAndQuery) {
        return builder(host, port, pathAndQuery).connect();
    }

    /**
     * Connects and sends the request; returns once the request is written (the response is read in the
     * background).
     *
     * @param headers extra request headers, e.g. {@code Last-Event-ID}, sent in iteration order
     * @throws UncheckedIOException if the connection cannot be made
     */
    public static SseTestClient connect(String host, int port, String pathAndQuery, Map<String, String> headers) {
        return builder(host, port, pathAndQuery).headers(headers).connect();
    }

    public static Builder builder(String host, int port, String pathAndQuery) {
        return new Builder(host, port, pathAndQuery);
    }

    /** Options for a connection; not thread-safe, use once. */
    public static final class Builder {
        private final String host;
        private final int port;
        private final String pathAndQuery;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private int receiveBufferSize;
        private boolean startPaused;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration responseTimeout = DEFAULT_RESPONSE_TIMEOUT;

        private Builder(String host, int port, String pathAndQuery) {
            this.host = host;
            this.port = port;
            this.pathAndQuery = pathAndQuery;
        }

        public Builder header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        public Builder headers(Map<String, String> extra) {
            headers.putAll(extra);
            return this;
        }

        /**
         * Sets SO_RCVBUF before connecting (so it also bounds the advertised TCP window), to make a slow consumer
         * with {@link #pauseReading()}. The kernel may round or double the value.
         */
        public Builder receiveBufferSize(int bytes) {
            this.receiveBufferSize = bytes;
            return this;
        }

        /** The reader thread reads nothing, not even the response head, until {@link #resumeReading()}. */
        public Builder startPaused() {
            this.startPaused = true;
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        /** How long {@link #status()}, {@link #header} and {@link #headers()} wait for the response head. */
        public Builder responseTimeout(Duration timeout) {
            this.responseTimeout = timeout;
            return this;
        }

        /** @throws UncheckedIOException if the connection cannot be made or the request cannot be written */
        public SseTestClient connect() {
            Socket socket = new Socket();
            try {
                if (receiveBufferSize > 0) {
                    socket.setReceiveBufferSize(receiveBufferSize);
                }
                socket.setTcpNoDelay(true);
                socket.connect(new InetSocketAddress(host, port), Math.toIntExact(connectTimeout.toMillis()));
                OutputStream out = socket.getOutputStream();
                out.write(request().getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                closeQuietly(socket);
                throw new UncheckedIOException("cannot open an SSE stream to " + host + ":" + port + pathAndQuery, e);
            }
            SseTestClient client = new SseTestClient(socket, host + ":" + port + pathAndQuery, responseTimeout, startPaused);
            client.reader.start();
            return client;
        }

        private String request() {
            Map<String, String> all = new LinkedHashMap<>();
            all.put("Host", hostHeader(host, port));
            all.put("Accept", "text/event-stream");
            for (Map.Entry<String, String> e : headers.entrySet()) {
                all.keySet().removeIf(name -> name.equalsIgnoreCase(e.getKey()));
                all.put(e.getKey(), e.getValue());
            }
            StringBuilder sb = new StringBuilder("GET ").append(pathAndQuery).append(" HTTP/1.1\r\n");
            all.forEach((name, value) -> sb.append(name).append(": ").append(value).append("\r\n"));
            return sb.append("\r\n").toString();
        }
    }

    static String hostHeader(String host, int port) {
        return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }

    // ---- response head -------------------------------------------------------------------------------------

    /**
     * The response status, waiting up to the response timeout for the head.
     *
     * @return the status code, or -1 if the connection ended before a complete status line and headers
     * @throws AssertionError if no head arrived in time
     */
    public int status() {
        HttpWire.Head h = awaitHead();
        return h == null ? -1 : h.status();
    }

    /**
     * The first value of a response header, case-insensitive; waits for the head like {@link #status()}.
     *
     * @return null if the header is absent or there was no response head
     */
    public String header(String name) {
        HttpWire.Head h = awaitHead();
        return h == null ? null : h.header(name);
    }

    /** All response headers (case-insensitive, unmodifiable); empty if there was no head. */
    public Map<String, List<String>> headers() {
        HttpWire.Head h = awaitHead();
        return h == null ? Map.of() : h.headers();
    }

    private HttpWire.Head awaitHead() {
        lock.lock();
        try {
            long nanos = responseTimeout.toNanos();
            while (head == null && endReason == null) {
                if (nanos <= 0) {
                    throw fail("a response head within " + responseTimeout);
                }
                nanos = changed.awaitNanos(nanos);
            }
            return head;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw fail("a response head (interrupted)");
        } finally {
            lock.unlock();
        }
    }

    // ---- body and events -----------------------------------------------------------------------------------

    /** The body received so far (chunked framing removed), decoded as UTF-8; complete once the connection ended. */
    public String body() {
        lock.lock();
        try {
            return bodyBytes.toString(StandardCharsets.UTF_8);
        } finally {
            lock.unlock();
        }
    }

    /** Body bytes received and parsed so far (chunked framing removed). */
    public long bodyBytesReceived() {
        lock.lock();
        try {
            return bodyBytesReceived;
        } finally {
            lock.unlock();
        }
    }

    /** Every event dispatched so far, consumed or not. */
    public List<SseEvent> events() {
        lock.lock();
        try {
            return List.copyOf(events);
        } finally {
            lock.unlock();
        }
    }

    /** Every comment line so far, without the leading {@code :}, consumed or not. */
    public List<String> comments() {
        lock.lock();
        try {
            return List.copyOf(comments);
        } finally {
            lock.unlock();
        }
    }

    /** The last {@code retry} value accepted, or null if none. */
    public Integer retry() {
        lock.lock();
        try {
            return retry;
        } finally {
            lock.unlock();
        }
    }

    /** The last event ID string now: what a browser would send as {@code Last-Event-ID} if it reconnected now. */
    public String lastEventId() {
        lock.lock();
        try {
            return lastEventId;
        } finally {
            lock.unlock();
        }
    }

    /** Waits for the next unconsumed event and consumes it. */
    public SseEvent awaitEvent(Duration timeout) {
        return awaitEvents(1, timeout).get(0);
    }

    /** Waits until {@code count} unconsumed events are there and consumes exactly those. */
    public List<SseEvent> awaitEvents(int count, Duration timeout) {
        lock.lock();
        try {
            long nanos = timeout.toNanos();
            while (events.size() - eventCursor < count) {
                nanos = awaitChange(nanos, count + " more event(s) within " + timeout);
            }
            List<SseEvent> taken = List.copyOf(events.subList(eventCursor, eventCursor + count));
            eventCursor += count;
            return taken;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for the first unconsumed event that matches; it and every unconsumed event before it are consumed.
     */
    public SseEvent awaitEvent(Predicate<SseEvent> matcher, Duration timeout) {
        lock.lock();
        try {
            long nanos = timeout.toNanos();
            int scanned = eventCursor;
            for (;;) {
                for (; scanned < events.size(); scanned++) {
                    SseEvent e = events.get(scanned);
                    if (matcher.test(e)) {
                        eventCursor = scanned + 1;
                        return e;
                    }
                }
                nanos = awaitChange(nanos, "a matching event within " + timeout);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits for the next unconsumed comment line (without its leading {@code :}) and consumes it. */
    public String awaitComment(Duration timeout) {
        lock.lock();
        try {
            long nanos = timeout.toNanos();
            while (commentCursor >= comments.size()) {
                nanos = awaitChange(nanos, "a comment line within " + timeout);
            }
            return comments.get(commentCursor++);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for the server to end the connection (end of stream or reset).
     *
     * @return true if the server ended it, false on timeout or if this client closed it first
     */
    public boolean awaitClosed(Duration timeout) {
        lock.lock();
        try {
            long nanos = timeout.toNanos();
            while (endReason == null && !closeRequested && nanos > 0) {
                nanos = changed.awaitNanos(nanos);
            }
            return endedByServer;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return endedByServer;
        } finally {
            lock.unlock();
        }
    }

    /** Why the connection ended ("EOF after complete body", "reset: ...", ...), or null while it is open. */
    public String closeReason() {
        lock.lock();
        try {
            return endReason;
        } finally {
            lock.unlock();
        }
    }

    // ---- flow control --------------------------------------------------------------------------------------

    /**
     * Stops reading from the socket so the server's writes back up (a slow consumer; combine with a small
     * {@link Builder#receiveBufferSize}). Takes effect before the reader's next read: bytes of a read already in
     * progress are still parsed. While paused the end of the connection is not seen either, so resume before
     * {@link #awaitClosed}. See {@link #awaitReadingPaused}.
     */
    public void pauseReading() {
        lock.lock();
        try {
            paused = true;
        } finally {
            lock.unlock();
        }
    }

    public void resumeReading() {
        lock.lock();
        try {
            paused = false;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until the reader thread has actually stopped reading after {@link #pauseReading()}; from then on
     * nothing more is parsed until {@link #resumeReading()}. A reader blocked in a read stops only after that
     * read returns, i.e. after the server sends something.
     *
     * @throws AssertionError on timeout
     */
    public void awaitReadingPaused(Duration timeout) {
        lock.lock();
        try {
            long nanos = timeout.toNanos();
            while (!readerParked) {
                nanos = awaitChange(nanos, "the reader to pause within " + timeout);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Closes the socket and joins the reader thread; idempotent. Does not throw. */
    @Override
    public void close() {
        lock.lock();
        try {
            closeRequested = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        closeQuietly(socket);
        if (Thread.currentThread() != reader) {
            try {
                reader.join(JOIN_TIMEOUT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            return "SseTestClient[" + target + ", " + describe() + "]";
        } finally {
            lock.unlock();
        }
    }

    // ---- waiting, with the lock held -----------------------------------------------------------------------

    /**
     * Waits for a change; fails when the time is up, when the response was malformed, or when the connection
     * ended (so nothing more can arrive).
     */
    private long awaitChange(long nanos, String expected) {
        if (protocolError != null) {
            throw fail(expected + ", but the response was malformed: " + protocolError.getMessage());
        }
        if (endReason != null) {
            throw fail(expected + ", but the connection ended (" + endReason + ")");
        }
        if (closeRequested) {
            throw fail(expected + ", but the client was closed");
        }
        if (nanos <= 0) {
            throw fail(expected);
        }
        try {
            return changed.awaitNanos(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw fail(expected + " (interrupted)");
        }
    }

    private AssertionError fail(String expected) {
        return new AssertionError("expected " + expected + " from " + target + "; so far: " + describe());
    }

    private String describe() {
        StringBuilder sb = new StringBuilder();
        if (head == null) {
            sb.append("no response head");
        } else {
            sb.append("status ").append(head.status()).append(", Content-Type ").append(head.header("Content-Type"));
            if (!parsingEvents) {
                sb.append(" (not parsed as an event stream)");
            }
        }
        sb.append(", connection ").append(endReason == null ? (closeRequested ? "closed by the client" : "open")
                : "ended: " + endReason);
        if (paused) {
            sb.append(", reading paused");
        }
        sb.append(", ").append(events.size()).append(" event(s) (").append(eventCursor).append(" consumed)");
        appendTail(sb, events, eventCursor);
        sb.append(", ").append(comments.size()).append(" comment(s) (").append(commentCursor).append(" consumed)");
        appendTail(sb, comments, commentCursor);
        if (!parsingEvents || head == null) {
            String body = bodyBytes.toString(StandardCharsets.UTF_8);
            sb.append(", body: \"").append(body.length() > 2000 ? body.substring(0, 2000) + "…" : body).append('"');
        }
        return sb.toString();
    }

    private static void appendTail(StringBuilder sb, List<?> items, int cursor) {
        if (items.isEmpty()) {
            return;
        }
        int from = Math.max(0, Math.min(cursor, items.size() - SHOWN_ITEMS));
        int to = Math.min(items.size(), from + SHOWN_ITEMS);
        sb.append(from > 0 ? ": […, " : ": [");
        for (int i = from; i < to; i++) {
            sb.append(i > from ? ", " : "").append(i < cursor ? "(consumed) " : "").append(items.get(i));
        }
        sb.append(to < items.size() ? ", …]" : "]");
    }

    // ---- reader thread -------------------------------------------------------------------------------------

    private void readLoop() {
        String reason;
        boolean byServer = true;
        IOException malformed = null;
        try {
            HttpWire.Input in = new HttpWire.Input(socket.getInputStream(), this::gate);
            HttpWire.Head h = HttpWire.readHead(in);
            while (h != null && h.status() >= 100 && h.status() < 200 && h.status() != 101) {
                h = HttpWire.readHead(in); // interim response (100 Continue, 103 Early Hints): not the answer
            }
            if (h == null) {
                reason = "EOF before a response head";
            } else {
                HttpWire.Body body = new HttpWire.Body(in, h, false);
                SseParser parser = onHead(h) ? new SseParser(new Sink()) : null;
                byte[] buf = new byte[8192];
                int n;
                while ((n = body.read(buf, 0, buf.length)) >= 0) {
                    onBody(parser, buf, n);
                }
                if (body.framing() != HttpWire.Framing.CLOSE) {
                    int extra = in.read(buf, 0, buf.length);
                    if (extra > 0) {
                        throw new ProtocolException("unexpected bytes after the end of the response body: \""
                                + new String(buf, 0, extra, StandardCharsets.ISO_8859_1) + "\"");
                    }
                }
                reason = "EOF after complete body";
            }
        } catch (ProtocolException e) {
            malformed = e;
            reason = "malformed response: " + e.getMessage();
            closeQuietly(socket);
        } catch (IOException e) {
            lock.lock();
            try {
                byServer = !closeRequested;
            } finally {
                lock.unlock();
            }
            reason = byServer ? "reset: " + e : "closed by the client";
        } catch (RuntimeException | Error e) {
            malformed = new IOException("reader thread failed", e);
            reason = "reader thread failed: " + e;
            closeQuietly(socket);
        }
        lock.lock();
        try {
            endReason = reason;
            endedByServer = byServer && malformed == null;
            protocolError = malformed;
            readerParked = false;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Reader thread: before every socket read; parks while paused. */
    private void gate() throws IOException {
        lock.lock();
        try {
            while (paused && !closeRequested) {
                readerParked = true;
                changed.signalAll();
                changed.awaitUninterruptibly();
            }
            readerParked = false;
            if (closeRequested) {
                throw new IOException("closed by the client");
            }
        } finally {
            lock.unlock();
        }
    }

    /** Reader thread: publishes the head; returns whether the body is an event stream. */
    private boolean onHead(HttpWire.Head h) {
        String contentType = h.header("Content-Type");
        boolean sse = h.status() == 200 && contentType != null
                && contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT).equals("text/event-stream");
        lock.lock();
        try {
            head = h;
            parsingEvents = sse;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        return sse;
    }

    /** Reader thread: keeps and parses body bytes; listeners run with the lock held. */
    private void onBody(SseParser parser, byte[] buf, int n) {
        lock.lock();
        try {
            bodyBytes.write(buf, 0, n);
            if (parser != null) {
                parser.feed(buf, 0, n);
                lastEventId = parser.lastEventId();
            }
            bodyBytesReceived += n;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Reader thread, lock held (called from {@link #onBody}). */
    private final class Sink implements SseParser.Listener {
        @Override
        public void onEvent(SseEvent event) {
            events.add(event);
        }

        @Override
        public void onComment(String text) {
            comments.add(text);
        }

        @Override
        public void onRetry(int millis) {
            retry = millis;
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do: the socket is gone either way
        }
    }
}
