package io.sluice.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A loopback server whose bytes the test writes by hand, to feed the test clients exact wire input. Confined to
 * the test thread; every blocking call has a timeout. Closing it closes every accepted peer.
 */
public final class ScriptedServer implements AutoCloseable {

    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final ServerSocket server;
    private final List<Peer> peers = new ArrayList<>();

    public ScriptedServer() {
        try {
            server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String host() {
        return server.getInetAddress().getHostAddress();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Accepts the next connection; fails after {@link #TIMEOUT}. */
    public Peer accept() {
        try {
            server.setSoTimeout(Math.toIntExact(TIMEOUT.toMillis()));
            Socket socket = server.accept();
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(Math.toIntExact(TIMEOUT.toMillis()));
            Peer peer = new Peer(socket);
            peers.add(peer);
            return peer;
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no connection within " + TIMEOUT, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        peers.forEach(Peer::close);
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** One accepted connection. */
    public static final class Peer implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Peer(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        /** Reads up to and including the blank line that ends a request head; returns it as ISO-8859-1 text. */
        public String readRequestHead() {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            try {
                int matched = 0;
                byte[] end = {'\r', '\n', '\r', '\n'};
                while (matched < end.length) {
                    int b = in.read();
                    if (b < 0) {
                        throw new AssertionError("connection closed inside a request head: " + head);
                    }
                    head.write(b);
                    matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return head.toString(StandardCharsets.ISO_8859_1);
        }

        /** Reads exactly {@code n} bytes (a request body). */
        public String readBytes(int n) {
            try {
                return new String(in.readNBytes(n), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Writes and flushes: with TCP_NODELAY each call leaves as its own segment(s). */
        public Peer write(byte[] bytes) {
            try {
                out.write(bytes);
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        public Peer write(String text) {
            return write(text.getBytes(StandardCharsets.UTF_8));
        }

        /** Closes with an RST instead of a FIN. */
        public void reset() {
            try {
                socket.setSoLinger(true, 0);
                socket.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Half-closes (FIN) without closing the socket, so the peer sees end of stream. */
        public void shutdownOutput() {
            try {
                socket.shutdownOutput();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
