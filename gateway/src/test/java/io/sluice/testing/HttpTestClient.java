package io.sluice.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One-shot raw HTTP/1.1 exchanges for tests that need exact control of the bytes on the wire. Each call opens a
 * connection, sends, reads one response and closes. For keep-alive and pipelining use {@link HttpConnection}.
 *
 * <p>Stateless; any thread. A response that does not complete in time fails with an {@link AssertionError}
 * showing what arrived; a server that closes without answering gives {@code status == -1}.
 */
public final class HttpTestClient {

    /** Timeout of {@link #get} and {@link #post}. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /**
     * How long {@link #exchange(String, int, byte[], Duration)} watches for the server to close a connection it
     * did not announce closing ({@code Connection: close} absent): a server closing on purpose does so at once.
     */
    public static final Duration UNANNOUNCED_CLOSE_GRACE = Duration.ofMillis(200);

    private HttpTestClient() {
    }

    /**
     * Sends raw bytes on a new connection and reads one response (an interim 1xx response counts as one).
     * {@code closedByServer} is then decided by watching the connection: until the deadline if the response
     * carried {@code Connection: close}, else for at most {@link #UNANNOUNCED_CLOSE_GRACE}.
     *
     * @param timeout for connecting, the response, and watching for the close
     */
    public static RawResponse exchange(String host, int port, byte[] rawRequestBytes, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (HttpConnection connection = HttpConnection.open(host, port, timeout)) {
            RawResponse response = connection.send(rawRequestBytes).readResponse(remaining(deadline));
            if (response.closedByServer()) {
                return response;
            }
            Duration watch = remaining(deadline);
            if (!"close".equalsIgnoreCase(response.header("Connection")) && watch.compareTo(UNANNOUNCED_CLOSE_GRACE) > 0) {
                watch = UNANNOUNCED_CLOSE_GRACE;
            }
            boolean closed = connection.awaitClosedByServer(watch);
            return new RawResponse(response.status(), response.reason(), response.headers(), response.body(), closed);
        }
    }

    /** {@code GET} with {@code Connection: close}; {@code headers} may override any default header. */
    public static RawResponse get(String host, int port, String pathAndQuery, Map<String, String> headers) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("Connection", "close");
        all.putAll(headers);
        String request = formatRequest("GET", pathAndQuery, SseTestClient.hostHeader(host, port), all, null);
        return exchange(host, port, request.getBytes(StandardCharsets.UTF_8), DEFAULT_TIMEOUT);
    }

    public static RawResponse get(String host, int port, String pathAndQuery) {
        return get(host, port, pathAndQuery, Map.of());
    }

    /** {@code POST} of a UTF-8 body with {@code Content-Type}, {@code Content-Length} and {@code Connection: close}. */
    public static RawResponse post(String host, int port, String path, String contentType, String body,
                                   Map<String, String> headers) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("Content-Type", contentType);
        all.put("Connection", "close");
        all.putAll(headers);
        String request = formatRequest("POST", path, SseTestClient.hostHeader(host, port), all, body);
        return exchange(host, port, request.getBytes(StandardCharsets.UTF_8), DEFAULT_TIMEOUT);
    }

    public static RawResponse post(String host, int port, String path, String contentType, String body) {
        return post(host, port, path, contentType, body, Map.of());
    }

    /**
     * Formats a request. {@code Host} and, when {@code body} is not null, {@code Content-Length} are added unless
     * {@code headers} has them (compared case-insensitively).
     */
    static String formatRequest(String method, String pathAndQuery, String host, Map<String, String> headers, String body) {
        byte[] bodyBytes = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(method).append(' ').append(pathAndQuery).append(" HTTP/1.1\r\n");
        if (headers.keySet().stream().noneMatch("Host"::equalsIgnoreCase)) {
            sb.append("Host: ").append(host).append("\r\n");
        }
        headers.forEach((name, value) -> sb.append(name).append(": ").append(value).append("\r\n"));
        if (bodyBytes != null && headers.keySet().stream().noneMatch("Content-Length"::equalsIgnoreCase)) {
            sb.append("Content-Length: ").append(bodyBytes.length).append("\r\n");
        }
        sb.append("\r\n");
        if (body != null) {
            sb.append(body);
        }
        return sb.toString();
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }
}
