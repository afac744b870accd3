package io.sluice.testing;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server on a free loopback port serving a JSON Web Key Set at {@link #url()}, as an identity provider
 * would: the test changes what it serves at any moment ({@link #serve}), makes it fail ({@link #fail}) and counts the
 * requests. The JDK's {@code com.sun.net.httpserver}; one handler thread. Thread-safe.
 */
public final class JwksServer implements AutoCloseable {
    private static final String PATH = "/.well-known/jwks.json";

    private final HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    /** What the next request gets: status and body. */
    private volatile Answer answer = new Answer(503, "{\"error\":\"not yet\"}");

    private record Answer(int status, String body) {
    }

    private JwksServer() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext(PATH, this::handle);
        server.start();
    }

    /** A server answering 503 until told what to serve. */
    public static JwksServer start() {
        return new JwksServer();
    }

    /** A server serving the public parts of {@code keys}. */
    public static JwksServer serving(JWK... keys) {
        JwksServer s = new JwksServer();
        s.serve(keys);
        return s;
    }

    /** {@code http://127.0.0.1:<port>/.well-known/jwks.json}. */
    public String url() {
        return "http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort() + PATH;
    }

    /** From now on, serves the public parts of {@code keys} as {@code {"keys":[…]}}. */
    public void serve(JWK... keys) {
        serve(new JWKSet(List.of(keys)).toString(true));
    }

    /** From now on, serves {@code body} with 200 and {@code application/json}. */
    public void serve(String body) {
        answer = new Answer(200, body);
    }

    /** From now on, answers {@code status} (such as 500) with a short error body. */
    public void fail(int status) {
        answer = new Answer(status, "{\"error\":\"down\"}");
    }

    /** Requests answered so far. */
    public int requests() {
        return requests.get();
    }

    /** Waits until at least {@code n} requests have been answered. */
    public void awaitRequests(int n, Duration timeout) {
        Await.until(() -> requests.get() >= n, timeout, () -> n + " requests for the JWK set, got " + requests.get());
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Answer a = answer;
            byte[] body = a.body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(a.status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        } finally {
            requests.incrementAndGet();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
