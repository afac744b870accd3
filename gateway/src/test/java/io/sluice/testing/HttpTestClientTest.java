package io.sluice.testing;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link HttpTestClient} and {@link HttpConnection} against a {@link ScriptedServer}. One-shot exchanges block
 * until the response, so the server side of those runs on one helper thread.
 */
class HttpTestClientTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private ScriptedServer server;
    private ExecutorService serverThread;

    @BeforeEach
    void start() {
        server = new ScriptedServer();
        serverThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "scripted-server");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterEach
    void stop() throws InterruptedException {
        server.close();
        serverThread.shutdownNow();
        assertTrue(serverThread.awaitTermination(10, TimeUnit.SECONDS));
    }

    /** Runs the server side of one connection on the helper thread; its result is what the server saw. */
    private CompletableFuture<String> serve(Function<ScriptedServer.Peer, String> script) {
        return CompletableFuture.supplyAsync(() -> {
            try (ScriptedServer.Peer peer = server.accept()) {
                return script.apply(peer);
            }
        }, serverThread);
    }

    private static String join(CompletableFuture<String> serverSide) throws Exception {
        return serverSide.get(10, TimeUnit.SECONDS);
    }

    @Test
    void postSendsAWellFormedRequestAndReadsAContentLengthResponse() throws Exception {
        CompletableFuture<String> seen = serve(peer -> {
            String head = peer.readRequestHead();
            String body = peer.readBytes("{\"topic\":\"é\"}".getBytes(StandardCharsets.UTF_8).length);
            peer.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: 22\r\n"
                    + "Connection: close\r\n\r\n{\"ids\":[\"1\"],\"sent\":0}");
            return head + body;
        });
        RawResponse response = HttpTestClient.post(server.host(), server.port(), "/v1/publish", "application/json",
                "{\"topic\":\"é\"}", Map.of("Authorization", "Bearer k"));
        assertEquals("POST /v1/publish HTTP/1.1\r\nHost: " + server.host() + ":" + server.port() + "\r\n"
                + "Content-Type: application/json\r\nConnection: close\r\nAuthorization: Bearer k\r\n"
                + "Content-Length: 14\r\n\r\n{\"topic\":\"é\"}", join(seen));
        assertEquals(200, response.status());
        assertEquals("OK", response.reason());
        assertEquals("application/json", response.header("Content-Type"));
        assertEquals(List.of("22"), response.headerValues("content-length"));
        assertEquals("{\"ids\":[\"1\"],\"sent\":0}", response.body());
        assertTrue(response.closedByServer());
    }

    @Test
    void exchangeReadsAChunkedResponseAndSeesThatTheServerKeptTheConnection() throws Exception {
        CompletableFuture<String> seen = serve(peer -> {
            String head = peer.readRequestHead();
            peer.write("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\n{\"err\r\n3\r\nor\"\r\n1\r\n}\r\n0\r\n\r\n");
            peer.readBytes(1); // holds the connection open until the client closes it (EOF)
            return head;
        });
        RawResponse response = HttpTestClient.exchange(server.host(), server.port(),
                "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII), WAIT);
        assertEquals("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", join(seen));
        assertEquals(404, response.status());
        assertEquals("{\"error\"}", response.body());
        assertFalse(response.closedByServer());
    }

    @Test
    void exchangeReadsACloseDelimitedResponse() throws Exception {
        CompletableFuture<String> seen = serve(peer -> {
            peer.readRequestHead();
            peer.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nretry: 5000\n: draining\n\n");
            return "";
        });
        RawResponse response = HttpTestClient.get(server.host(), server.port(), "/v1/events/stream?topic=a",
                Map.of("Accept", "text/event-stream"));
        join(seen);
        assertEquals(200, response.status());
        assertEquals("retry: 5000\n: draining\n\n", response.body());
        assertTrue(response.closedByServer());
    }

    @Test
    void serverClosingWithoutAnswerGivesStatusMinusOne() throws Exception {
        CompletableFuture<String> seen = serve(ScriptedServer.Peer::readRequestHead);
        RawResponse response = HttpTestClient.get(server.host(), server.port(), "/x", Map.of());
        join(seen);
        assertEquals(-1, response.status());
        assertTrue(response.closedByServer());
    }

    @Test
    void keepAliveConnectionReadsSequentialAndPipelinedResponsesInOrder() {
        try (HttpConnection connection = HttpConnection.open(server.host(), server.port(), WAIT)) {
            ScriptedServer.Peer peer = server.accept();

            connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", peer.readRequestHead());
            peer.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            RawResponse first = connection.readResponse();
            assertEquals("ok", first.body());
            assertFalse(first.closedByServer());

            connection.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(peer.readRequestHead().startsWith("GET /a "));
            assertTrue(peer.readRequestHead().startsWith("HEAD /b "));
            assertTrue(peer.readRequestHead().startsWith("GET /c "));
            peer.write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"
                    + "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n"
                    + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nc\r\n0\r\n\r\n");
            assertEquals("a", connection.readResponse().body());
            RawResponse head = connection.readResponseWithoutBody(WAIT);
            assertEquals("7", head.header("content-length"));
            assertEquals("", head.body());
            assertEquals("c", connection.readResponse().body());

            RawResponse viaRequest = requestAndAnswer(connection, peer);
            assertEquals("posted", viaRequest.body());

            assertFalse(connection.awaitClosedByServer(Duration.ofMillis(50)));
            peer.close();
            assertTrue(connection.awaitClosedByServer(WAIT));
            assertTrue(connection.isClosedByServer());
        }
    }

    private RawResponse requestAndAnswer(HttpConnection connection, ScriptedServer.Peer peer) {
        // The response is written before the request is sent: the kernel buffers it, so one thread can do both.
        peer.write("HTTP/1.1 201 Created\r\nContent-Length: 6\r\n\r\nposted");
        RawResponse response = connection.request("POST", "/p", Map.of("Content-Type", "text/plain"), "body");
        assertEquals("POST /p HTTP/1.1\r\nHost: " + server.host() + ":" + server.port() + "\r\n"
                + "Content-Type: text/plain\r\nContent-Length: 4\r\n\r\n", peer.readRequestHead());
        assertEquals("body", peer.readBytes(4));
        assertEquals(201, response.status());
        return response;
    }

    @Test
    void incompleteResponseFailsAtTheDeadlineShowingWhatArrived() {
        try (HttpConnection connection = HttpConnection.open(server.host(), server.port(), WAIT)) {
            ScriptedServer.Peer peer = server.accept();
            connection.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            peer.readRequestHead();
            peer.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf");
            AssertionError error = assertThrows(AssertionError.class,
                    () -> connection.readResponse(Duration.ofMillis(200)));
            assertTrue(error.getMessage().contains("within PT0.2S"), error.getMessage());
            assertTrue(error.getMessage().contains("Content-Length: 10\r\n\r\nhalf"), error.getMessage());
        }
    }

    @Test
    void malformedResponseFailsWithTheReason() {
        try (HttpConnection connection = HttpConnection.open(server.host(), server.port(), WAIT)) {
            ScriptedServer.Peer peer = server.accept();
            peer.write("HTTP/1.1 200 OK\nContent-Length: 0\n\n");
            AssertionError error = assertThrows(AssertionError.class, connection::readResponse);
            assertTrue(error.getMessage().contains("bare LF"), error.getMessage());
        }
    }
}
