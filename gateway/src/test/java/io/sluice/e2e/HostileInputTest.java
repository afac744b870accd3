package io.sluice.e2e;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.util.Base64URL;
import io.sluice.auth.JwksKeys;
import io.sluice.testing.Await;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpConnection;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.JwksServer;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import io.sluice.testing.TestTokens;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static io.sluice.e2e.PublishTestSupport.accepted;
import static io.sluice.e2e.PublishTestSupport.assertError;
import static io.sluice.e2e.PublishTestSupport.openStream;
import static io.sluice.e2e.PublishTestSupport.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A corpus of malformed and hostile requests, each written as exact bytes on its own raw socket to one real
 * gateway (open mode, small limits). For each case: the exact status and §6 error code and the start of the
 * message (which names the field), or no answer at all for a client that gives up inside a request; whether the
 * connection closes or stays usable for a next request; and, where a case could publish, what was published.
 *
 * <p>After every case the same gateway must be whole: its own count of open connections back to zero, a health
 * check answered, and nothing logged at WARN or above (an exception that reached a handler or the pipeline's
 * tail, a leak report, an internal error). After the corpus it must still stream and publish on every event loop.
 * A leaked buffer fails the class through LeakGuard (PARANOID). Every wait has a deadline: a case that gets
 * neither its answer nor its close within {@link #ANSWER} fails.
 *
 * <p>docs/architecture.md, "Hostile input", lists the categories and the answer each gets.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputTest {
    /** Deadline for every answer and every close. */
    private static final Duration ANSWER = Duration.ofSeconds(5);
    private static final int MAX_BODY_BYTES = 64 * 1024;
    private static final int MAX_EVENT_BYTES = 8 * 1024;
    private static final int MAX_LINE = 24 * 1024;
    private static final int MAX_HEADERS = 2 * 1024;
    private static final int LOOPS = 2;
    private static final String INVALID = "invalid_request";
    private static final String MALFORMED = "request: malformed HTTP (";
    private static final String JSON = "application/json";
    private static final String FORM = "application/x-www-form-urlencoded";
    private static final String HEALTHY = "{\"status\":\"ok\"}";
    private static final String PUBLISHED = "{\"ids\":[\"";
    private static final String SNAPSHOT = "{\"events\":[";
    private static final String UTF8 = "body: not valid UTF-8; a JSON body must be UTF-8 text";
    private static final String FORM_UTF8 = "body: not valid UTF-8 once percent-decoded";
    private static final String TOPIC_RULE = "must be 1-200 characters from A-Z a-z 0-9 - _ . ~ : / @";
    private static final String TYPE_RULE = "must be 1-64 characters from A-Z a-z 0-9 - _ . :";
    private static final String CONNECTED = "event: connected\ndata: {\"connectionId\":\"";

    private GatewayFixture gateway;
    private final WarningLog warnings = new WarningLog();
    /** The identity provider of {@link #jwksGateway}; each JWK-set case changes what it serves. */
    private JwksServer provider;
    /** A second gateway, verifying tokens with {@link #provider}'s set (and a secret), for the JWK-set corpus. */
    private GatewayFixture jwksGateway;
    /** What the previous JWK-set case's refused set logs; its last fetch may still be logged during the next case. */
    private String previousRefusal;

    @BeforeAll
    void start() {
        gateway = GatewayFixture.start("--max-body-bytes=" + MAX_BODY_BYTES, "--max-event-bytes=" + MAX_EVENT_BYTES,
                "--max-initial-line-length=" + MAX_LINE, "--max-header-size=" + MAX_HEADERS,
                "--event-loop-threads=" + LOOPS);
        // first use loads classes and JIT-compiles: done here so that it does not count against a case's deadline
        everyLoopStreamsAndPublishes("warm-up");
        provider = JwksServer.serving(TestTokens.jwk(JWKS_BASE, "base"));
        jwksGateway = GatewayFixture.start("--jwks-url=" + provider.url(), "--jwks-refresh-interval=1s",
                "--jwt-secret=" + TestTokens.SECRET);
        Await.until(() -> jwksGateway.server().isReady(), ANSWER, "the JWK-set gateway ready");
        warnings.attach();
    }

    @AfterAll
    void stop() {
        warnings.detach();
        if (gateway != null) {
            gateway.close();
        }
        if (jwksGateway != null) {
            jwksGateway.close();
        }
        if (provider != null) {
            provider.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    @Order(1)
    void hostileRequestGetsItsAnswerAndNothingElse(Case c) {
        if (c.streamStatusLine != null) {
            assertStreamOpens(c);
        } else {
            assertAnswers(c);
        }
        if (c.topic != null) {
            assertEquals(c.published, snapshot(gateway, "topic=" + c.topic + "&limit=100").events().size(),
                    () -> "events on " + c.topic + " after: " + c);
        }
    }

    /** The cheap check after every case: connections gone, a request answered, nothing logged at WARN+. */
    @AfterEach
    void gatewayIsWhole() {
        RawResponse health = HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/healthz");
        assertEquals(200, health.status(), () -> "health check: " + health);
        Await.until(() -> gateway.server().openConnections() == 0, ANSWER,
                () -> "no connection left open on the gateway, but " + gateway.server().openConnections() + " are");
        // a refused JWK set is fetched (and refused, and logged) again every second until the next case serves another
        warnings.drain(line -> previousRefusal != null && line.contains(previousRefusal));
        warnings.assertNone();
    }

    @Test
    @Order(2)
    void afterTheCorpusEveryEventLoopStillStreamsAndPublishes() {
        everyLoopStreamsAndPublishes("after-corpus");
        assertEquals(0, gateway.server().metrics().openStreams(), "streams the gateway still counts as open");
    }

    /**
     * Streams on every loop (connections are spread round-robin) each receive events published from every loop.
     */
    private void everyLoopStreamsAndPublishes(String topic) {
        List<SseTestClient> streams = new ArrayList<>();
        try {
            for (int i = 0; i < 2 * LOOPS; i++) {
                streams.add(openStream(gateway, "/v1/events/stream?topic=" + topic));
            }
            for (int i = 0; i < 2 * LOOPS; i++) {
                long id = accepted(gateway.publishJson("{\"topic\":\"" + topic + "\",\"data\":" + i + "}"), 1,
                        2 * LOOPS).get(0);
                for (SseTestClient stream : streams) {
                    SseEvent event = stream.awaitEvent(ANSWER);
                    assertEquals(new SseEvent(Long.toString(id), Long.toString(id), "message", Integer.toString(i)),
                            event);
                }
            }
        } finally {
            streams.forEach(SseTestClient::close);
        }
        Await.until(() -> gateway.server().metrics().openStreams() == 0, ANSWER, "every stream closed");
    }

    /**
     * A hostile JWK set from the identity provider: refused whole (the last good set stays in use, the failure is
     * counted and logged) or loaded without its unusable keys; either way the gateway keeps verifying with what it
     * trusts, and answers each token as the case says.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("jwksCorpus")
    @Order(3)
    void hostileKeySetIsRefusedOrFilteredAndTokensGetTheirAnswer(JwksCase c) {
        long failures = jwksGateway.server().metrics().jwksRefreshFailures();
        c.serve().accept(provider);
        if (c.refusal() != null) {
            Await.until(() -> jwksGateway.server().metrics().jwksRefreshFailures() > failures, ANSWER,
                    () -> "the set refused (" + c.refusal() + ")");
            assertTrue(jwksGateway.server().isReady(), "the last good set keeps the gateway ready");
        } else {
            Await.until(() -> tokenStatus(jwksToken(JWKS_MARKER, c.name())) == 200, ANSWER,
                    () -> "the set with the marker kid of " + c.name() + " loaded");
        }
        assertEquals(200, tokenStatus(jwksToken(JWKS_BASE, "base")), "the base key of every good set verifies");
        for (TokenAnswer expected : c.tokens()) {
            RawResponse r = HttpTestClient.get(GatewayFixture.HOST, jwksGateway.port(), "/v1/events?topic=jwks/a",
                    Map.of("Authorization", "Bearer " + expected.token()));
            if (expected.message() == null) {
                assertEquals(200, r.status(), () -> expected + ": " + r);
            } else {
                assertEquals(expected.message(), assertError(r, 401, "unauthorized", expected.message()), expected::what);
                assertEquals("Bearer error=\"invalid_token\"", r.header("WWW-Authenticate"));
            }
        }
        List<String> logged = warnings.drain(line -> line.contains("] " + JwksKeys.class.getName() + ": "));
        for (String line : logged) {
            assertTrue(c.refusal() != null && line.contains(c.refusal())
                    || previousRefusal != null && line.contains(previousRefusal), () -> "unexpected: " + line);
        }
        assertTrue(c.refusal() == null || logged.stream().anyMatch(l -> l.contains(c.refusal())
                && l.contains("keeping the set fetched")), () -> "the refusal logged: " + logged);
        previousRefusal = c.refusal();
    }

    @Test
    @Order(4)
    void afterTheKeySetCorpusTheGatewayStillRefreshesAndVerifies() {
        provider.serve(TestTokens.jwk(JWKS_BASE, "base"));
        int served = provider.requests();
        provider.awaitRequests(served + 2, ANSWER); // the refresher lives on, and is done with every hostile body
        warnings.drain(line -> previousRefusal != null && line.contains(previousRefusal));
        assertEquals(200, tokenStatus(jwksToken(JWKS_BASE, "base")));
        assertTrue(jwksGateway.server().isReady());
        Await.until(() -> jwksGateway.server().openConnections() == 0, ANSWER, "no connection left open");
    }

    private int tokenStatus(String token) {
        return HttpTestClient.get(GatewayFixture.HOST, jwksGateway.port(), "/v1/events?topic=jwks/a",
                Map.of("Authorization", "Bearer " + token)).status();
    }

    // ---- running a case ---------------------------------------------------------------------------------------

    private void assertAnswers(Case c) {
        try (HttpConnection connection = HttpConnection.open(GatewayFixture.HOST, gateway.port(), ANSWER)) {
            connection.send(c.bytes);
            if (c.halfClose) {
                connection.shutdownOutput();
            }
            for (int i = 0; i < c.answers.size(); i++) {
                Answer expected = c.answers.get(i);
                RawResponse r = connection.readResponse();
                assertAnswer(expected, r);
                boolean last = i == c.answers.size() - 1;
                if (last && c.closes) {
                    assertEquals("close", r.header("Connection"), () -> "the answer announces the close: " + r);
                } else {
                    assertNotEquals("close", r.header("Connection"), () -> "kept alive: " + r);
                }
            }
            if (c.closes) {
                if (c.answers.isEmpty()) {
                    RawResponse r = connection.readResponse();
                    assertEquals(-1, r.status(), () -> "expected the connection closed without an answer: " + r);
                }
                assertTrue(connection.awaitClosedByServer(ANSWER), "the gateway closes the connection");
            } else {
                RawResponse next = connection.request("GET", "/healthz", Map.of(), null);
                assertEquals(200, next.status(), () -> "the connection serves a next request: " + next);
                assertEquals(HEALTHY, next.body());
            }
        }
    }

    private static void assertAnswer(Answer expected, RawResponse r) {
        if (expected.code() != null) {
            assertError(r, expected.status(), expected.code(), expected.text());
        } else {
            assertEquals(expected.status(), r.status(), () -> "status of " + r);
            assertTrue(r.body().startsWith(expected.text()), () -> "body should start with " + expected.text() + ": " + r);
        }
        if (expected.allow() != null) {
            assertEquals(List.of(expected.allow()), r.headerValues("Allow"), () -> "Allow of " + r);
        }
    }

    /** A stream answer is close-delimited: read until its status line, headers and {@code marker} have arrived. */
    private void assertStreamOpens(Case c) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(GatewayFixture.HOST, gateway.port()), (int) ANSWER.toMillis());
            socket.getOutputStream().write(c.bytes);
            String text = readUntil(socket, c.streamMarker);
            assertTrue(text.startsWith(c.streamStatusLine + "\r\n"), () -> "status line of " + text);
            assertTrue(text.contains("\r\ncontent-type: text/event-stream; charset=utf-8\r\n"), text);
            assertTrue(text.contains("\r\n\r\nretry: "), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String readUntil(Socket socket, String marker) throws IOException {
        long deadline = System.nanoTime() + ANSWER.toNanos();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        InputStream in = socket.getInputStream();
        byte[] buf = new byte[4096];
        while (!got.toString(StandardCharsets.UTF_8).contains(marker)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("expected '" + marker + "' within " + ANSWER + "; got: " + got);
            }
            socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
            int n;
            try {
                n = in.read(buf);
            } catch (SocketTimeoutException e) {
                continue;
            }
            if (n < 0) {
                throw new AssertionError("closed before '" + marker + "'; got: " + got);
            }
            got.write(buf, 0, n);
        }
        return got.toString(StandardCharsets.UTF_8);
    }

    // ---- the corpus -------------------------------------------------------------------------------------------

    static Stream<Case> corpus() {
        List<Case> all = new ArrayList<>();
        requestLines(all);
        headerFields(all);
        framing(all);
        jsonBodies(all);
        formBodies(all);
        queries(all);
        methodsAndVersions(all);
        pipelining(all);
        return all.stream();
    }

    private static void requestLines(List<Case> all) {
        all.add(send("request line: one word", "GARBAGE\r\n\r\n").error(400, INVALID, MALFORMED).closes());
        all.add(send("request line: TLS ClientHello on the plain port",
                "\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003")
                .error(400, INVALID, MALFORMED).closes());
        all.add(send("request line: no HTTP version", "GET /healthz\r\nHost: gw\r\n\r\n")
                .error(400, INVALID, MALFORMED).closes());
        all.add(send("request line: HTTP/2.0", "GET /healthz HTTP/2.0\r\nHost: gw\r\n\r\n")
                .error(505, INVALID, "request line: HTTP/2.0 is not supported; use HTTP/1.1").closes());
        all.add(send("request line: HTTP/9.9", "GET /healthz HTTP/9.9\r\nHost: gw\r\n\r\n")
                .error(505, INVALID, "request line: HTTP/9.9 is not supported").closes());
        all.add(send("request line: HTTP/0.9 spelled out", "GET /healthz HTTP/0.9\r\nHost: gw\r\n\r\n")
                .error(505, INVALID, "request line: HTTP/0.9 is not supported").closes());
        all.add(send("request line: HTTP/2 prior-knowledge preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
                .error(505, INVALID, "request line: HTTP/2.0 is not supported").closes());
        all.add(send("request line: HTTP/1.2 is served as HTTP/1.1", "GET /healthz HTTP/1.2\r\nHost: gw\r\n\r\n")
                .ok(HEALTHY));
        all.add(send("request line: not HTTP", "GET /healthz FOO/1.1\r\nHost: gw\r\n\r\n")
                .error(400, INVALID, MALFORMED + "invalid version format").closes());
        all.add(send("request line: absolute-form target", "GET http://gw/healthz HTTP/1.1\r\nHost: gw\r\n\r\n")
                .ok(HEALTHY));
        all.add(send("request line: absolute-form target with port and query",
                "GET HTTPS://gw:8443/v1/events?topic=hostile-abs HTTP/1.1\r\nHost: gw\r\n\r\n").ok(SNAPSHOT));
        all.add(send("request line: asterisk-form on GET", "GET * HTTP/1.1\r\nHost: gw\r\n\r\n")
                .error(400, INVALID, "request target: '*' must be a path such as /v1/events").closes());
        all.add(send("request line: authority-form", "CONNECT gw:443 HTTP/1.1\r\nHost: gw:443\r\n\r\n")
                .error(400, INVALID, "request target: 'gw:443' must be a path").closes());
        all.add(send("request line: over maxInitialLineLength", "GET /" + "a".repeat(MAX_LINE + 100)
                + " HTTP/1.1\r\nHost: gw\r\n\r\n")
                .error(400, INVALID, "request line: longer than maxInitialLineLength (" + MAX_LINE + " bytes)").closes());
        all.add(send("request line: raw CR in the target", "GET /v1/events?topic=a\rb HTTP/1.1\r\nHost: gw\r\n\r\n")
                .error(400, INVALID, MALFORMED).closes());
        all.add(send("request line: raw LF in the target", "GET /v1/events?topic=a\nb HTTP/1.1\r\nHost: gw\r\n\r\n")
                .error(400, INVALID, MALFORMED).closes());
    }

    private static void headerFields(List<Case> all) {
        all.add(send("headers: one over maxHeaderSize", "GET /healthz HTTP/1.1\r\nHost: gw\r\nX-Big: "
                + "a".repeat(MAX_HEADERS + 100) + "\r\n\r\n")
                .error(431, INVALID, "headers: larger than maxHeaderSize (" + MAX_HEADERS + " bytes)").closes());
        all.add(send("headers: many small ones over maxHeaderSize", "GET /healthz HTTP/1.1\r\nHost: gw\r\n"
                + "X-A: b\r\n".repeat(400) + "\r\n").error(431, INVALID, "headers: larger than maxHeaderSize").closes());
        all.add(send("headers: two Content-Length values that differ", "POST /v1/publish HTTP/1.1\r\nHost: gw\r\n"
                + "Content-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{\"a\":1}")
                .error(400, INVALID, MALFORMED + "Multiple Content-Length values found").closes());
        all.add(send("headers: the same Content-Length twice", post("/v1/publish", JSON, "{\"topic\":\"t\",\"data\":1}")
                .replace("Content-Length: 22\r\n", "Content-Length: 22\r\nContent-Length: 22\r\n"))
                .error(400, INVALID, MALFORMED + "Multiple Content-Length values found").closes());
        all.add(send("headers: Content-Length list", post("/v1/publish", JSON, "{\"topic\":\"t\",\"data\":1}")
                .replace("Content-Length: 22", "Content-Length: 22, 23")).error(400, INVALID, MALFORMED).closes());
        all.add(send("headers: Content-Length not a number", post("/v1/publish", JSON, "{\"topic\":\"t\",\"data\":1}")
                .replace("Content-Length: 22", "Content-Length: abc")).error(400, INVALID, MALFORMED).closes());
        all.add(send("headers: Content-Length with a sign", post("/v1/publish", JSON, "{\"topic\":\"t\",\"data\":1}")
                .replace("Content-Length: 22", "Content-Length: +22")).error(400, INVALID, MALFORMED).closes());
        all.add(send("headers: Content-Length past 2^63", post("/v1/publish", JSON, "{\"topic\":\"t\",\"data\":1}")
                .replace("Content-Length: 22", "Content-Length: 99999999999999999999999"))
                .error(400, INVALID, MALFORMED).closes());
        all.add(send("headers: two Host fields", "GET /healthz HTTP/1.1\r\nHost: gw\r\nHost: evil\r\n\r\n")
                .error(400, INVALID, "Host: given more than once").closes());
        all.add(send("headers: NUL in a value", "GET /healthz HTTP/1.1\r\nHost: gw\r\nX-A: a\0b\r\n\r\n")
                .error(400, INVALID, MALFORMED).closes());
        all.add(send("headers: CR inside a value", "GET /healthz HTTP/1.1\r\nHost: gw\r\nX-A: a\rb\r\n\r\n")
                .error(400, INVALID, MALFORMED).closes());
        all.add(send("headers: bare LF line ends", "GET /healthz HTTP/1.1\nHost: gw\nX-A: b\n\n")
                .error(400, INVALID, MALFORMED + "Line Feed must be preceded by Carriage Return").closes());
        all.add(send("headers: obs-fold is unfolded to a space",
                "GET /healthz HTTP/1.1\r\nHost: gw\r\nX-A: a\r\n  folded\r\n\r\n").ok(HEALTHY));
        all.add(send("headers: space before the colon", "GET /healthz HTTP/1.1\r\nHost: gw\r\nX-A : b\r\n\r\n")
                .error(400, INVALID, MALFORMED).closes());
        all.add(send("headers: line without a colon", "GET /healthz HTTP/1.1\r\nHost: gw\r\nNoColon\r\n\r\n")
                .error(400, INVALID, MALFORMED).closes());
        all.add(send("headers: whitespace before the first field", "GET /healthz HTTP/1.1\r\n Host: gw\r\n\r\n")
                .error(400, INVALID, MALFORMED).closes());
        all.add(send("headers: name with a separator", "GET /healthz HTTP/1.1\r\nHost: gw\r\nX(A): b\r\n\r\n")
                .error(400, INVALID, MALFORMED).closes());
        all.add(send("headers: Expect other than 100-continue", post("/v1/publish", JSON, "{\"topic\":\"t\",\"data\":1}")
                .replace("Host: gw\r\n", "Host: gw\r\nExpect: 200-ok\r\n"))
                .error(417, INVALID, "Expect: '200-ok' cannot be met; only 100-continue is supported").closes());
        all.add(send("headers: Last-Event-ID garbage gets reset",
                "GET /v1/events/stream?topic=hostile-lei HTTP/1.1\r\nHost: gw\r\nLast-Event-ID: not-an-id\r\n\r\n")
                .stream("HTTP/1.1 200 OK",
                        "event: reset\ndata: {\"reason\":\"history-unavailable\",\"lastEventId\":\"not-an-id\"}\n\n"));
        all.add(send("headers: Last-Event-ID past 2^63 gets reset", "GET /v1/events/stream?topic=hostile-lei HTTP/1.1\r\n"
                + "Host: gw\r\nLast-Event-ID: 99999999999999999999999999\r\n\r\n")
                .stream("HTTP/1.1 200 OK", "\"lastEventId\":\"99999999999999999999999999\"}\n\n"));
        all.add(send("query: lastEventId with %0d%0a gets reset, escaped",
                "GET /v1/events/stream?topic=hostile-lei&lastEventId=x%0d%0ay HTTP/1.1\r\nHost: gw\r\n\r\n")
                .stream("HTTP/1.1 200 OK", "\"lastEventId\":\"x\\r\\ny\"}\n\n"));
    }

    private static void framing(List<Case> all) {
        String chunkedHead = "POST /v1/publish HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n";
        all.add(send("chunked: size not hex", chunkedHead + "zz\r\nabc\r\n0\r\n\r\n")
                .error(400, INVALID, MALFORMED).closes());
        all.add(send("chunked: data without its CRLF", chunkedHead + "3\r\nabcXX5\r\nhello\r\n0\r\n\r\n")
                .error(400, INVALID, MALFORMED).closes());
        all.add(send("chunked: size overflows", chunkedHead + "FFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n")
                .error(400, INVALID, MALFORMED).closes());
        all.add(send("chunked: negative size", chunkedHead + "-3\r\nabc\r\n0\r\n\r\n")
                .error(400, INVALID, MALFORMED).closes());
        all.add(send("chunked: extension ending in a bare LF", chunkedHead + "3;a=b\nabc\r\n0\r\n\r\n")
                .error(400, INVALID, MALFORMED).closes());
        all.add(send("smuggling: Content-Length and Transfer-Encoding", "POST /v1/publish HTTP/1.1\r\nHost: gw\r\n"
                + "Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                + post("/v1/publish", JSON, "{\"topic\":\"hostile-smuggled\",\"data\":1}"))
                .error(400, INVALID, MALFORMED).closes().published("hostile-smuggled", 0));
        all.add(send("smuggling: Transfer-Encoding gzip", "POST /v1/publish HTTP/1.1\r\nHost: gw\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: gzip\r\n\r\n"
                + post("/v1/publish", JSON, "{\"topic\":\"hostile-smuggled\",\"data\":2}"))
                .error(400, INVALID, "Transfer-Encoding: 'gzip' is not accepted").closes().published("hostile-smuggled", 0));
        all.add(send("smuggling: chunked given twice", chunkedHead.replace("Transfer-Encoding: chunked\r\n",
                "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n")
                .error(400, INVALID, "Transfer-Encoding: 'chunked, chunked' is not accepted").closes());
        all.add(send("smuggling: gzip then chunked", chunkedHead.replace("chunked", "gzip, chunked") + "0\r\n\r\n")
                .error(400, INVALID, "Transfer-Encoding: 'gzip, chunked' is not accepted").closes());
        all.add(send("smuggling: chunked then gzip", chunkedHead.replace("chunked", "chunked, gzip") + "0\r\n\r\n")
                .error(400, INVALID, MALFORMED + "chunked must be the last encoding").closes());
        all.add(send("smuggling: identity with Content-Length", post("/v1/publish", JSON, "{\"topic\":\"t\",\"data\":1}")
                .replace("Host: gw\r\n", "Host: gw\r\nTransfer-Encoding: identity\r\n"))
                .error(400, INVALID, "Transfer-Encoding: 'identity' is not accepted").closes());
        all.add(send("smuggling: Transfer-Encoding on HTTP/1.0", chunkedHead.replace("HTTP/1.1", "HTTP/1.0")
                + "0\r\n\r\n").error(400, INVALID, MALFORMED + "The Transfer-Encoding header is only allowed").closes());
        all.add(send("truncated: body shorter than Content-Length, then the client half-closes",
                "POST /v1/publish HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                + "{\"topic\":\"hostile-truncated\",\"data\":1}").halfClose().closesSilently()
                .published("hostile-truncated", 0));
        all.add(send("truncated: chunked body without its last chunk, then the client half-closes", chunkedHead
                + "27\r\n{\"topic\":\"hostile-truncated\",\"data\":1}\r\n").halfClose().closesSilently()
                .published("hostile-truncated", 0));
        all.add(send("truncated: head cut short, then the client half-closes", "POST /v1/publish HTTP/1.1\r\nHost: gw\r\n"
                + "Content-Ty").halfClose().closesSilently());
        all.add(send("huge Content-Length is refused before any body is read", "POST /v1/publish HTTP/1.1\r\nHost: gw\r\n"
                + "Content-Type: application/json\r\nContent-Length: 99999999999999\r\n\r\n{\"topic\":")
                .error(413, "too_large", "body: larger than maxBodyBytes (" + MAX_BODY_BYTES + " bytes)").closes());
    }

    private static void jsonBodies(List<Case> all) {
        all.add(json("JSON: invalid", "{\"topic\":}").error(400, INVALID, "body: invalid JSON at line 1"));
        all.add(json("JSON: truncated", "{\"topic\":\"t\",\"data\":[1,2").error(400, INVALID, "body: invalid JSON"));
        all.add(json("JSON: content after the value", "{\"topic\":\"t\",\"data\":1} xyz")
                .error(400, INVALID, "body: invalid JSON"));
        all.add(json("JSON: comment", "{\"topic\":\"t\",/*x*/\"data\":1}").error(400, INVALID, "body: invalid JSON"));
        all.add(json("JSON: NaN", "{\"topic\":\"t\",\"data\":NaN}").error(400, INVALID, "body: invalid JSON"));
        all.add(json("JSON: empty body", "").error(400, INVALID, "body: empty"));
        all.add(json("JSON: 10,000 nested arrays as data", "{\"topic\":\"hostile-deep\",\"data\":" + "[".repeat(10_000)
                + "]".repeat(10_000) + "}").error(400, INVALID, "body: JSON too deeply nested or too large")
                .published("hostile-deep", 0));
        all.add(json("JSON: 10,000 nested objects as data", "{\"topic\":\"hostile-deep\",\"data\":"
                + "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000) + "}")
                .error(400, INVALID, "body: JSON too deeply nested or too large").published("hostile-deep", 0));
        all.add(json("JSON: 10,000 nested arrays as the body", "[".repeat(10_000) + "]".repeat(10_000))
                .error(400, INVALID, "[0]: expected an event object"));
        all.add(json("JSON: 999 nested arrays as data fit the nesting limit", "{\"topic\":\"hostile-deep-ok\",\"data\":"
                + "[".repeat(999) + "]".repeat(999) + "}").ok(PUBLISHED));
        all.add(json("JSON: number of 5,000 digits", "{\"topic\":\"t\",\"data\":" + "9".repeat(5000) + "}")
                .error(400, INVALID, "body: JSON too deeply nested or too large"));
        all.add(json("JSON: invalid UTF-8 in a string", "{\"topic\":\"t\",\"data\":\"\u00c3\u0028\"}")
                .error(400, INVALID, UTF8));
        all.add(json("JSON: invalid UTF-8 in the topic", "{\"topic\":\"\u00ff\",\"data\":1}").error(400, INVALID, UTF8));
        all.add(json("JSON: overlong UTF-8", "{\"topic\":\"t\",\"data\":\"\u00c0\u00af\"}").error(400, INVALID, UTF8));
        all.add(json("JSON: UTF-8-encoded surrogate", "{\"topic\":\"t\",\"data\":\"\u00ed\u00a0\u0080\"}")
                .error(400, INVALID, UTF8));
        all.add(json("JSON: UTF-16 body", "\u00ff\u00fe{\0}\0").error(400, INVALID, UTF8));
        all.add(json("JSON: unpaired surrogate escape in string data", "{\"topic\":\"t\",\"data\":\"\\ud800\"}")
                .error(400, INVALID, "data: contains an unpaired surrogate"));
        all.add(json("JSON: NUL escape in the topic", "{\"topic\":\"a\\u0000b\",\"data\":1}")
                .error(400, INVALID, "topic: " + TOPIC_RULE));
        all.add(json("JSON: CR LF escapes in the type", "{\"topic\":\"t\",\"type\":\"a\\r\\nb\",\"data\":1}")
                .error(400, INVALID, "type: " + TYPE_RULE));
        all.add(json("JSON: %00 in the topic", "{\"topic\":\"a%00b\",\"data\":1}").error(400, INVALID, "topic: " + TOPIC_RULE));
        all.add(json("JSON: %0d%0a in the type", "{\"topic\":\"t\",\"type\":\"a%0d%0ab\",\"data\":1}")
                .error(400, INVALID, "type: " + TYPE_RULE));
        all.add(json("JSON: raw NUL in a string", "{\"topic\":\"a\0b\",\"data\":1}").error(400, INVALID, "body: invalid JSON"));
        all.add(json("JSON: 5,000-character field name", "{\"" + "a".repeat(5000) + "\":1}")
                .error(400, INVALID, "a".repeat(64) + "\u2026: unknown field"));
        all.add(json("JSON: empty batch", "[]").error(400, INVALID, "body: an empty batch publishes nothing"));
        all.add(json("JSON: batch with one invalid event publishes nothing",
                "[{\"topic\":\"hostile-batch\",\"data\":1},{\"topic\":\"b t\",\"data\":2},"
                        + "{\"topic\":\"hostile-batch\",\"data\":3}]")
                .error(400, INVALID, "[1].topic: " + TOPIC_RULE).published("hostile-batch", 0));
        all.add(json("JSON: event over maxEventBytes", "{\"topic\":\"t\",\"data\":\"" + "x".repeat(MAX_EVENT_BYTES + 1) + "\"}")
                .error(413, "too_large", "data: " + (MAX_EVENT_BYTES + 1) + " bytes exceeds maxEventBytes"));
        all.add(send("Content-Type: text/plain", post("/v1/publish", "text/plain", "{\"topic\":\"t\",\"data\":1}"))
                .error(400, INVALID, "Content-Type: 'text/plain' is not accepted"));
        all.add(send("Content-Type: multipart", post("/v1/publish", "multipart/form-data; boundary=x", "--x--"))
                .error(400, INVALID, "Content-Type: 'multipart/form-data' is not accepted"));
        all.add(send("Content-Type: empty", post("/v1/publish", "", "{\"topic\":\"t\",\"data\":1}"))
                .error(400, INVALID, "Content-Type: '' is not accepted"));
    }

    private static void formBodies(List<Case> all) {
        all.add(form("form: bad percent-encoding", "topic=t&data=%zz").error(400, INVALID, "body: malformed form encoding"));
        all.add(form("form: truncated percent-encoding", "topic=t&data=%4").error(400, INVALID, "body: malformed form encoding"));
        all.add(form("form: percent-encoded invalid UTF-8", "topic=t&data=%ff").error(400, INVALID, FORM_UTF8));
        all.add(form("form: raw invalid UTF-8", "topic=t&data=\u00ff").error(400, INVALID, FORM_UTF8));
        all.add(form("form: percent-encoded overlong UTF-8", "topic=t&data=%C0%AF").error(400, INVALID, FORM_UTF8));
        all.add(form("form: %00 in the topic", "topic=a%00&data=1").error(400, INVALID, "topic: " + TOPIC_RULE));
        all.add(form("form: %0d%0a in the type", "topic=t&type=a%0d%0ab&data=1").error(400, INVALID, "type: " + TYPE_RULE));
        all.add(form("form: 5,000 unknown fields", "topic=t&data=1" + "&a=b".repeat(5000))
                .error(400, INVALID, "a: unknown field"));
    }

    private static void queries(List<Case> all) {
        all.add(get("query: %00 in a topic", "/v1/events?topic=a%00b").error(400, INVALID, "topic: 'a?b' " + TOPIC_RULE));
        all.add(get("query: %0d%0a in a stream topic", "/v1/events/stream?topic=a%0d%0aSet-Cookie:x")
                .error(400, INVALID, "topic: 'a??Set-Cookie:x' " + TOPIC_RULE));
        all.add(get("query: raw NUL in a topic", "/v1/events?topic=a\0b").error(400, INVALID, "topic: 'a?b' " + TOPIC_RULE));
        all.add(get("query: %0d%0a in types", "/v1/events?topic=a&types=x%0d%0ay").error(400, INVALID, "types: 'x??y' must be"));
        all.add(get("query: percent-encoded invalid UTF-8 in a topic", "/v1/events?topic=%ff").error(400, INVALID, "topic: '"));
        all.add(get("query: raw invalid UTF-8 in a topic", "/v1/events?topic=\u00ff").error(400, INVALID, "topic: '"));
        all.add(get("query: bad percent-encoding", "/v1/events?topic=%zz")
                .error(400, INVALID, "query: malformed percent-encoding"));
        all.add(get("path: bad percent-encoding", "/v1/events%zz?topic=a")
                .error(400, INVALID, "path: malformed percent-encoding"));
        all.add(get("query: 10,000 parameters", "/v1/events?topic=a" + "&p".repeat(10_000))
                .error(400, INVALID, "query: more than 256 parameters"));
        all.add(get("query: 256 parameters are served", "/v1/events?topic=a" + "&p".repeat(255)).ok(SNAPSHOT));
        all.add(get("query: limit=-1", "/v1/events?topic=a&limit=-1")
                .error(400, INVALID, "limit: '-1' must be a whole number from 0 to 1000"));
        all.add(get("query: limit=abc on a stream", "/v1/events/stream?topic=a&limit=abc")
                .error(400, INVALID, "limit: 'abc' must be a whole number from 0 to 1000000"));
        all.add(get("query: limit=99999999999", "/v1/events?topic=a&limit=99999999999")
                .error(400, INVALID, "limit: '99999999999' must be"));
        all.add(get("query: limit empty", "/v1/events?topic=a&limit=").error(400, INVALID, "limit: '' must be"));
        all.add(get("query: types glob with brackets", "/v1/events?topic=a&types=%5B!a%5D")
                .error(400, INVALID, "types: '[!a]' must be"));
        all.add(get("query: empty types glob", "/v1/events?topic=a&types=a,,b").error(400, INVALID, "types: '' must be"));
        all.add(get("query: types glob of 65 characters", "/v1/events?topic=a&types=" + "a".repeat(65))
                .error(400, INVALID, "types: '" + "a".repeat(64) + "\u2026' must be"));
        all.add(get("query: types glob of 64 stars", "/v1/events?topic=a&types=" + "*".repeat(64)).ok(SNAPSHOT));
        all.add(get("query: after=zz", "/v1/events?topic=a&after=zz")
                .error(400, INVALID, "after: 'zz' is not an event id issued by this gateway"));
    }

    private static void methodsAndVersions(List<Case> all) {
        all.add(send("method: PROPFIND", "PROPFIND /v1/events HTTP/1.1\r\nHost: gw\r\n\r\n")
                .notAllowed("GET", "PROPFIND is not allowed on /v1/events; use GET"));
        all.add(send("method: BREW", "BREW /v1/publish HTTP/1.1\r\nHost: gw\r\n\r\n")
                .notAllowed("POST", "BREW is not allowed on /v1/publish; use POST"));
        all.add(send("method: TRACE", "TRACE /v1/events HTTP/1.1\r\nHost: gw\r\n\r\n")
                .notAllowed("GET", "TRACE is not allowed on /v1/events; use GET"));
        all.add(send("method: CONNECT on a path", "CONNECT /v1/events/stream HTTP/1.1\r\nHost: gw\r\n\r\n")
                .notAllowed("GET", "CONNECT is not allowed on /v1/events/stream; use GET"));
        all.add(send("method: lowercase get", "get /healthz HTTP/1.1\r\nHost: gw\r\n\r\n")
                .notAllowed("GET", "get is not allowed on /healthz; use GET"));
        all.add(send("method: 300 characters", "X".repeat(300) + " /healthz HTTP/1.1\r\nHost: gw\r\n\r\n")
                .notAllowed("GET", "X".repeat(64) + "\u2026 is not allowed on /healthz; use GET"));
        all.add(send("method: separator in the name", "G(T /healthz HTTP/1.1\r\nHost: gw\r\n\r\n")
                .error(400, INVALID, MALFORMED).closes());
        all.add(send("HTTP/1.0 without keep-alive", "GET /healthz HTTP/1.0\r\n\r\n").ok(HEALTHY).closes());
        all.add(send("HTTP/1.0 with keep-alive, then without", "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                + "GET /healthz HTTP/1.0\r\n\r\n").ok(HEALTHY).ok(HEALTHY).closes());
        all.add(send("HTTP/1.0 stream", "GET /v1/events/stream?topic=hostile-10 HTTP/1.0\r\n\r\n")
                .stream("HTTP/1.0 200 OK", CONNECTED));
    }

    private static void pipelining(List<Case> all) {
        all.add(send("pipelined: three publishes in one write", post("/v1/publish", JSON,
                "{\"topic\":\"hostile-pipelined\",\"data\":1}") + post("/v1/publish", JSON,
                "{\"topic\":\"hostile-pipelined\",\"data\":2}") + post("/v1/publish", JSON,
                "{\"topic\":\"hostile-pipelined\",\"data\":3}"))
                .ok(PUBLISHED).ok(PUBLISHED).ok(PUBLISHED).published("hostile-pipelined", 3));
        all.add(send("pipelined: a publish behind Connection: close is never run", post("/v1/publish", JSON,
                "{\"topic\":\"hostile-close\",\"data\":1}").replace("Host: gw\r\n", "Host: gw\r\nConnection: close\r\n")
                + post("/v1/publish", JSON, "{\"topic\":\"hostile-close\",\"data\":2}"))
                .ok(PUBLISHED).closes().published("hostile-close", 1));
        all.add(send("pipelined: a publish behind a stream request is never run",
                "GET /v1/events/stream?topic=hostile-behind HTTP/1.1\r\nHost: gw\r\n\r\n"
                + post("/v1/publish", JSON, "{\"topic\":\"hostile-behind\",\"data\":1}"))
                .stream("HTTP/1.1 200 OK", CONNECTED).published("hostile-behind", 0));
        all.add(send("body on GET: snapshot, then a pipelined request",
                "GET /v1/events?topic=hostile-get HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello"
                + "GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n").ok(SNAPSHOT).ok(HEALTHY));
        all.add(send("body on GET: stream", "GET /v1/events/stream?topic=hostile-get HTTP/1.1\r\nHost: gw\r\n"
                + "Content-Length: 5\r\n\r\nhello").stream("HTTP/1.1 200 OK", CONNECTED));
        all.add(send("body on GET: chunked, on a stream", "GET /v1/events/stream?topic=hostile-get HTTP/1.1\r\n"
                + "Host: gw\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n").stream("HTTP/1.1 200 OK", CONNECTED));
    }

    // ---- building cases ---------------------------------------------------------------------------------------

    /** A case whose request is {@code raw}, one char per byte (ISO-8859-1), so any byte can be written. */
    private static Case send(String name, String raw) {
        return new Case(name, raw.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static Case json(String name, String body) {
        return send(name, post("/v1/publish", JSON, body));
    }

    private static Case form(String name, String body) {
        return send(name, post("/v1/publish", FORM, body));
    }

    private static Case get(String name, String target) {
        return send(name, "GET " + target + " HTTP/1.1\r\nHost: gw\r\n\r\n");
    }

    /** A request with a Content-Length; {@code body} is one char per byte. */
    private static String post(String path, String contentType, String body) {
        return "POST " + path + " HTTP/1.1\r\nHost: gw\r\nContent-Type: " + contentType + "\r\nContent-Length: "
                + body.length() + "\r\n\r\n" + body;
    }

    // ---- the JWK-set corpus -----------------------------------------------------------------------------------

    private static final KeyPair JWKS_BASE = TestTokens.rsa(2048);
    private static final KeyPair JWKS_MARKER = TestTokens.ec("secp256r1");
    private static final KeyPair JWKS_OTHER_RSA = TestTokens.rsa(2048);
    private static final KeyPair JWKS_EC = TestTokens.ec("secp256r1");
    private static final KeyPair JWKS_WEAK_RSA = TestTokens.rsa(1024);
    private static final String PUBLISHED_SECRET = "a-secret-the-provider-published!!";
    private static final String UNPARSABLE = "Unable to parse JWK set";
    private static final String NOT_IN_SET = " is not in the JWK set of jwksUrl (the set is fetched again, at most every"
            + " 30s, in case the provider rotated its keys)";

    /** A token that may read {@code jwks/*}, signed by {@code pair} with {@code kid} (RS256 or ES256 by key type). */
    private static String jwksToken(KeyPair pair, String kid) {
        return TestTokens.signed(pair, kid, TestTokens.claims("hostile", List.of("jwks/*"), null, false));
    }

    /** The base key and this case's marker key, then {@code more}: a set that must load. */
    private static String goodSetWith(String marker, String... more) {
        StringBuilder keys = new StringBuilder("{\"keys\":[").append(TestTokens.jwk(JWKS_BASE, "base").toJSONString())
                .append(',').append(TestTokens.jwk(JWKS_MARKER, marker).toJSONString());
        for (String key : more) {
            keys.append(',').append(key);
        }
        return keys.append("]}").toString();
    }

    static Stream<JwksCase> jwksCorpus() {
        String wrongTypes = "keys of wrong types beside good ones";
        String duplicates = "duplicate kids";
        String base = TestTokens.jwk(JWKS_BASE, "base").toJSONString();
        return Stream.of(
                refusedSet("a set over 256 KiB", s -> s.serve("{\"keys\":[" + base + "],\"padding\":\""
                        + "x".repeat(JwksKeys.MAX_BYTES) + "\"}"), "Exceeded configured input limit of 262144 bytes"),
                refusedSet("not JSON", s -> s.serve("<html>login required</html>"), UNPARSABLE),
                refusedSet("keys not an array", s -> s.serve("{\"keys\":\"base\"}"), UNPARSABLE),
                refusedSet("nesting 100,000 deep", s -> s.serve("{\"keys\":" + "[".repeat(100_000)), UNPARSABLE),
                refusedSet("an EC point off its curve", s -> s.serve("{\"keys\":[" + base + ",{\"kty\":\"EC\","
                        + "\"crv\":\"P-256\",\"kid\":\"off\",\"x\":\"AQ\",\"y\":\"AQ\"}]}"), UNPARSABLE),
                refusedSet("no usable key", s -> s.serve("{\"keys\":[" + new OctetSequenceKey.Builder(
                        PUBLISHED_SECRET.getBytes(StandardCharsets.UTF_8)).keyID("oct").build().toJSONString() + ","
                        + TestTokens.jwk(JWKS_WEAK_RSA, "weak").toJSONString() + "]}"), "no usable key among 2"),
                refusedSet("an empty set", s -> s.serve("{\"keys\":[]}"), "no usable key among 0"),
                refusedSet("HTTP 500", s -> s.fail(500), "HTTP response code: 500"),
                new JwksCase(wrongTypes, s -> s.serve(goodSetWith(wrongTypes,
                        new OctetSequenceKey.Builder(PUBLISHED_SECRET.getBytes(StandardCharsets.UTF_8)).keyID("oct").build()
                                .toJSONString(),
                        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"okp\","
                                + "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
                        TestTokens.jwk(JWKS_WEAK_RSA, "weak").toJSONString(),
                        TestTokens.jwk(TestTokens.ec("secp384r1"), "p384").toJSONString(),
                        TestTokens.jwk(JWKS_EC, "ec-only").toJSONString())), null, List.of(
                        new TokenAnswer("HS256 signed with the published oct key, its kid", TestTokens.sign(
                                new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("oct").build(), TestTokens.claims("hostile",
                                        List.of("jwks/*"), null, false).build(),
                                TestTokens.macSigner(PUBLISHED_SECRET.getBytes(StandardCharsets.UTF_8))),
                                "token: invalid signature"),
                        new TokenAnswer("EdDSA naming the OKP key", Base64URL.encode("{\"alg\":\"EdDSA\",\"kid\":\"okp\"}")
                                + "." + Base64URL.encode("{\"sub\":\"hostile\"}") + ".c2ln",
                                "token: algorithm EdDSA is not accepted here (accepted: ES256, HS256, RS256)"),
                        new TokenAnswer("RS256 by the 1024-bit key", jwksToken(JWKS_WEAK_RSA, "weak"),
                                "token: kid 'weak'" + NOT_IN_SET),
                        new TokenAnswer("RS256 header naming an EC key", TestTokens.sign(new JWSHeader.Builder(
                                JWSAlgorithm.RS256).keyID("ec-only").build(), TestTokens.claims("hostile", List.of("jwks/*"),
                                null, false).build(), TestTokens.signer(JWKS_OTHER_RSA)),
                                "token: kid 'ec-only' of jwksUrl is not a key for RS256"),
                        new TokenAnswer("ES256 by the EC key", jwksToken(JWKS_EC, "ec-only"), null))),
                new JwksCase(duplicates, s -> s.serve(goodSetWith(duplicates,
                        TestTokens.jwk(JWKS_OTHER_RSA, "dup").toJSONString(),
                        TestTokens.jwk(JWKS_BASE, "dup").toJSONString(),
                        TestTokens.jwk(JWKS_EC, "dup").toJSONString())), null, List.of(
                        new TokenAnswer("RS256 by the first RSA key of the kid", jwksToken(JWKS_OTHER_RSA, "dup"), null),
                        new TokenAnswer("RS256 by the second RSA key of the kid", jwksToken(JWKS_BASE, "dup"),
                                "token: invalid signature"),
                        new TokenAnswer("ES256 by the EC key sharing the kid", jwksToken(JWKS_EC, "dup"), null))));
    }

    private static JwksCase refusedSet(String name, Consumer<JwksServer> serve, String logged) {
        return new JwksCase(name, serve, logged, List.of());
    }

    /**
     * One JWK-set case: what the provider serves; for a set refused whole, what its logged refusal says (else null,
     * and the set carries a marker kid named after the case); the answer to each token once it is in.
     */
    record JwksCase(String name, Consumer<JwksServer> serve, String refusal,
                    List<TokenAnswer> tokens) {
        @Override
        public String toString() {
            return "jwks: " + name;
        }
    }

    /** A token and its answer: 200 ({@code message} null) or 401 {@code invalid_token} with exactly this message. */
    record TokenAnswer(String what, String token, String message) {
        @Override
        public String toString() {
            return what;
        }
    }

    /** One expected response: a §6 error ({@code code} set, {@code text} the message start) or a body start. */
    record Answer(int status, String code, String text, String allow) {
    }

    /** One corpus entry, built fluently. Unless told otherwise, the connection must stay usable after the answers. */
    static final class Case {
        final String name;
        final byte[] bytes;
        final List<Answer> answers = new ArrayList<>();
        boolean closes;
        boolean halfClose;
        String streamStatusLine;
        String streamMarker;
        String topic;
        int published;

        Case(String name, byte[] bytes) {
            this.name = name;
            this.bytes = bytes;
        }

        Case error(int status, String code, String messagePrefix) {
            answers.add(new Answer(status, code, messagePrefix, null));
            return this;
        }

        Case notAllowed(String allow, String messagePrefix) {
            answers.add(new Answer(405, "method_not_allowed", messagePrefix, allow));
            return this;
        }

        Case ok(String bodyPrefix) {
            answers.add(new Answer(200, null, bodyPrefix, null));
            return this;
        }

        /** The gateway closes the connection after the last answer. */
        Case closes() {
            closes = true;
            return this;
        }

        /** The gateway closes the connection without answering. */
        Case closesSilently() {
            answers.clear();
            closes = true;
            return this;
        }

        /** The client half-closes right after sending, as one that gives up in the middle of its request. */
        Case halfClose() {
            halfClose = true;
            return this;
        }

        /** The answer is a stream: its status line, then {@code marker} among its first events. */
        Case stream(String statusLine, String marker) {
            streamStatusLine = statusLine;
            streamMarker = marker;
            return this;
        }

        /** After the case, a snapshot of {@code topicName} holds exactly {@code count} events. */
        Case published(String topicName, int count) {
            topic = topicName;
            published = count;
            return this;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * Collects what is logged at WARN or above by anyone while attached: on a healthy gateway no hostile request
     * makes it complain. Appended to from any thread.
     */
    private static final class WarningLog extends AppenderBase<ILoggingEvent> {
        private final Queue<String> seen = new ConcurrentLinkedQueue<>();

        void attach() {
            Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            setContext(root.getLoggerContext());
            setName("hostile-input-warnings");
            start();
            root.addAppender(this);
        }

        void detach() {
            ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(this);
            stop();
        }

        @Override
        protected void append(ILoggingEvent event) {
            if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
                IThrowableProxy thrown = event.getThrowableProxy();
                seen.add(event.getLevel() + " [" + event.getThreadName() + "] " + event.getLoggerName() + ": "
                        + event.getFormattedMessage()
                        + (thrown == null ? "" : " (" + thrown.getClassName() + ": " + thrown.getMessage() + ")"));
            }
        }

        /** Removes and returns the lines logged so far that match {@code which}; others stay. */
        List<String> drain(Predicate<String> which) {
            List<String> taken = new ArrayList<>();
            seen.removeIf(line -> which.test(line) && taken.add(line));
            return taken;
        }

        void assertNone() {
            List<String> all = new ArrayList<>();
            String line;
            while ((line = seen.poll()) != null) {
                all.add(line);
            }
            assertTrue(all.isEmpty(), () -> "logged at WARN or above: " + String.join("\n", all));
        }
    }
}
