package io.sluice.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * A kept-open HTTP/1.1 connection for keep-alive and pipelining tests: send any bytes with {@link #send}, read
 * responses one at a time in order with {@link #readResponse}.
 *
 * <p>Confined to one thread (the test's). Every read has a deadline; running out of time throws an
 * {@link AssertionError} showing what did arrive. {@code closedByServer} in a returned response is true only if
 * the end of the connection was already seen while reading it (a close-delimited body, or end of stream right
 * behind a complete response); use {@link #awaitClosedByServer} to wait for it.
 */
public final class HttpConnection implements AutoCloseable {

    /** Per-read timeout unless given: long enough for a loaded CI machine, short enough to fail a hung test. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private final Socket socket;
    private final String peer;
    private final Duration timeout;
    private final HttpWire.Input in;
    private long deadline;
    private boolean closedByServer;

    private HttpConnection(Socket socket, String peer, Duration timeout) throws IOException {
        this.socket = socket;
        this.peer = peer;
        this.timeout = timeout;
        this.in = new HttpWire.Input(socket.getInputStream(), this::armTimeout);
    }

    /**
     * Opens a connection.
     *
     * @param timeout the connect timeout and the default for each {@link #readResponse()}
     * @throws UncheckedIOException if the connection cannot be made
     */
    public static HttpConnection open(String host, int port, Duration timeout) {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), Math.toIntExact(Math.max(1, timeout.toMillis())));
            return new HttpConnection(socket, host + ":" + port, timeout);
        } catch (IOException e) {
            closeQuietly(socket);
            throw new UncheckedIOException("cannot connect to " + host + ":" + port, e);
        }
    }

    public static HttpConnection open(String host, int port) {
        return open(host, port, DEFAULT_TIMEOUT);
    }

    /** Writes raw bytes as they are (a request, several pipelined requests, or a fragment of one). */
    public HttpConnection send(byte[] raw) {
        try {
            socket.getOutputStream().write(raw);
            socket.getOutputStream().flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to " + peer, e);
        }
        return this;
    }

    /**
     * Half-closes: the server reads end of stream (as when a client gives up in the middle of a request) while
     * this side can still read what the server answers.
     */
    public HttpConnection shutdownOutput() {
        try {
            socket.shutdownOutput();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot half-close the connection to " + peer, e);
        }
        return this;
    }

    /** Writes the string's UTF-8 bytes as they are; line ends must be written as {@code \r\n} by the caller. */
    public HttpConnection send(String raw) {
        return send(raw.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Sends a well-formed request ({@code Host} and, with a body, {@code Content-Length} added unless given) and
     * reads its response.
     *
     * @param body null for none
     */
    public RawResponse request(String method, String pathAndQuery, Map<String, String> headers, String body) {
        send(HttpTestClient.formatRequest(method, pathAndQuery, hostHeader(), headers, body));
        return method.equals("HEAD") ? readResponseWithoutBody(timeout) : readResponse(timeout);
    }

    /** Reads the next response within the default timeout. */
    public RawResponse readResponse() {
        return readResponse(timeout);
    }

    /** Reads the next response (an interim 1xx response counts as one). */
    public RawResponse readResponse(Duration readTimeout) {
        return read(readTimeout, false);
    }

    /** Reads the next response to a HEAD request: headers only, whatever Content-Length says. */
    public RawResponse readResponseWithoutBody(Duration readTimeout) {
        return read(readTimeout, true);
    }

    /**
     * Waits for the server to end the connection. Bytes that arrive meanwhile stay buffered for
     * {@link #readResponse}.
     *
     * @return true on end of stream or reset, false if the connection was still open at the deadline
     */
    public boolean awaitClosedByServer(Duration wait) {
        if (closedByServer) {
            return true;
        }
        deadline = System.nanoTime() + wait.toNanos();
        try {
            while (in.fill()) {
                // keep reading until end of stream; data stays buffered
            }
            closedByServer = true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            closedByServer = true;
        }
        return closedByServer;
    }

    /** Whether the end of the connection has been seen so far (does not wait). */
    public boolean isClosedByServer() {
        return closedByServer;
    }

    @Override
    public void close() {
        closeQuietly(socket);
    }

    private RawResponse read(Duration readTimeout, boolean bodyless) {
        deadline = System.nanoTime() + readTimeout.toNanos();
        in.mark();
        try {
            HttpWire.Head head = HttpWire.readHead(in);
            if (head == null) {
                closedByServer = true;
                return new RawResponse(-1, "", Map.of(), "", true);
            }
            HttpWire.Body body = new HttpWire.Body(in, head, bodyless);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = body.read(buf, 0, buf.length)) >= 0) {
                bytes.write(buf, 0, n);
            }
            if (body.framing() == HttpWire.Framing.CLOSE || in.eof() && in.buffered() == 0) {
                closedByServer = true;
            }
            return new RawResponse(head.status(), head.reason(), head.headers(),
                    bytes.toString(StandardCharsets.UTF_8), closedByServer);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("expected a complete response from " + peer + " within " + readTimeout
                    + "; received so far: \"" + in.capturedText() + "\"");
        } catch (ProtocolException e) {
            throw new AssertionError("malformed response from " + peer + ": " + e.getMessage()
                    + "; received: \"" + in.capturedText() + "\"", e);
        } catch (IOException e) {
            if (in.capturedText().isEmpty()) {
                closedByServer = true;
                return new RawResponse(-1, "", Map.of(), "", true);
            }
            throw new AssertionError("connection to " + peer + " failed inside a response (" + e
                    + "); received: \"" + in.capturedText() + "\"", e);
        }
    }

    /** Before each socket read: bounds it by the current deadline. */
    private void armTimeout() throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
    }

    private String hostHeader() {
        InetSocketAddress remote = (InetSocketAddress) socket.getRemoteSocketAddress();
        return SseTestClient.hostHeader(remote.getHostString(), remote.getPort());
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do: the socket is gone either way
        }
    }
}
