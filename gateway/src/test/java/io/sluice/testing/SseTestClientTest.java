package io.sluice.testing;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.sluice.testing.SseParserTest.ascii;
import static io.sluice.testing.SseParserTest.concat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SseTestClient} against a {@link ScriptedServer}: the wire bytes are written by the test, so splits
 * across TCP writes and chunk boundaries are exact. A split is made observable by waiting until the client has
 * received the first part before writing the next.
 */
class SseTestClientTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String SSE_HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
            + "Cache-Control: no-cache\r\n\r\n";
    private static final String CHUNKED_SSE_HEAD = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n";

    private ScriptedServer server;

    @BeforeEach
    void startServer() {
        server = new ScriptedServer();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private SseTestClient connect() {
        return SseTestClient.connect(server.host(), server.port(), "/v1/events/stream?topic=a");
    }

    /** Writes one part of a close-delimited body and waits until the client has received it. */
    private static void writeAndAwait(ScriptedServer.Peer peer, SseTestClient client, byte[] bodyPart) {
        writeAndAwait(peer, client, bodyPart, bodyPart.length);
    }

    /**
     * Writes wire bytes carrying {@code bodyBytes} bytes of body and waits until the client has received them,
     * so that the next write arrives in a separate read.
     */
    private static void writeAndAwait(ScriptedServer.Peer peer, SseTestClient client, byte[] wire, int bodyBytes) {
        long before = client.bodyBytesReceived();
        peer.write(wire);
        Await.until(() -> client.bodyBytesReceived() >= before + bodyBytes, WAIT,
                () -> bodyBytes + " more body bytes; client: " + client);
    }

    private static byte[] chunk(byte[] data) {
        return concat(ascii(Integer.toHexString(data.length) + "\r\n"), data, ascii("\r\n"));
    }

    private static void writeChunkAndAwait(ScriptedServer.Peer peer, SseTestClient client, String data) {
        writeAndAwait(peer, client, chunk(ascii(data)), data.length());
    }

    @Test
    void sendsTheRequestAndExposesStatusAndHeadersCaseInsensitively() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Last-Event-ID", "42");
        headers.put("accept", "text/event-stream, */*");
        try (SseTestClient client = SseTestClient.connect(server.host(), server.port(), "/v1/events/stream?topic=a&x=%20",
                headers)) {
            ScriptedServer.Peer peer = server.accept();
            String request = peer.readRequestHead();
            assertEquals("GET /v1/events/stream?topic=a&x=%20 HTTP/1.1\r\n"
                    + "Host: " + server.host() + ":" + server.port() + "\r\n"
                    + "Last-Event-ID: 42\r\n"
                    + "accept: text/event-stream, */*\r\n\r\n", request);
            peer.write(SSE_HEAD + "retry: 3000\n\nevent: connected\ndata: {\"connectionId\":\"c1\"}\n\n");

            assertEquals(200, client.status());
            assertEquals("text/event-stream; charset=utf-8", client.header("content-type"));
            assertEquals("no-cache", client.header("CACHE-CONTROL"));
            assertNull(client.header("X-Absent"));
            assertEquals(new SseEvent(null, "", "connected", "{\"connectionId\":\"c1\"}"), client.awaitEvent(WAIT));
            assertEquals(3000, client.retry());
        }
    }

    @Test
    void closeDelimitedStreamEndsWithEofAndKeepsTheBody() {
        try (SseTestClient client = connect()) {
            ScriptedServer.Peer peer = server.accept();
            peer.readRequestHead();
            peer.write(SSE_HEAD + "id: 1\ndata: a\n\nid: 2\ndata: b\n\n").close();

            assertTrue(client.awaitClosed(WAIT));
            assertEquals("EOF after complete body", client.closeReason());
            assertEquals(List.of(new SseEvent("1", "1", "message", "a"), new SseEvent("2", "2", "message", "b")),
                    client.awaitEvents(2, WAIT));
            assertEquals("2", client.lastEventId());
            assertEquals("id: 1\ndata: a\n\nid: 2\ndata: b\n\n", client.body());
        }
    }

    @Test
    void partsSplitMidLineMidCharacterAndBetweenCrAndLfAcrossTcpWrites() {
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
        try (SseTestClient client = connect()) {
            ScriptedServer.Peer peer = server.accept();
            peer.readRequestHead();
            peer.write(SSE_HEAD);
            writeAndAwait(peer, client, ascii("da"));
            writeAndAwait(peer, client, ascii("ta: 1 "));
            writeAndAwait(peer, client, slice(euro, 0, 1));
            writeAndAwait(peer, client, slice(euro, 1, 2));
            writeAndAwait(peer, client, concat(slice(euro, 2, 3), ascii("\r")));
            writeAndAwait(peer, client, ascii("\ndata: x\r"));
            writeAndAwait(peer, client, ascii("\n\r")); // a lone CR is a line end: this empty line dispatches
            writeAndAwait(peer, client, ascii("\ndata: y\n\n"));
            // Had a CR ending one read and the LF starting the next been two line ends, "1 €" would be an event alone.
            assertEquals(List.of(new SseEvent(null, "", "message", "1 €\nx"), new SseEvent(null, "", "message", "y")),
                    client.awaitEvents(2, WAIT));
            assertEquals(2, client.events().size());
        }
    }

    @Test
    void chunkedBodySplitAcrossChunkBoundariesAndTcpWrites() {
        byte[] stream = "id: 5\r\nevent: deployment:completed\r\ndata: é1\r\ndata: 2\r\n\r\n: hb\r\ndata: end\r\n\r\n"
                .getBytes(StandardCharsets.UTF_8);
        int afterCr = "id: 5\r".length();
        int insideE = new String(stream, StandardCharsets.ISO_8859_1).indexOf('\u00C3') + 1;
        try (SseTestClient client = connect()) {
            ScriptedServer.Peer peer = server.accept();
            peer.readRequestHead();
            peer.write(CHUNKED_SSE_HEAD);
            // chunk 1 ends with the CR of "id: 5\r\n"; chunk 2 starts with its LF and ends inside "é"
            writeAndAwait(peer, client, chunk(slice(stream, 0, afterCr)), afterCr);
            String size = Integer.toHexString(insideE - afterCr);
            peer.write(size.substring(0, 1));
            writeAndAwait(peer, client, concat(ascii(size.substring(1) + ";name=value\r\n"),
                    slice(stream, afterCr, insideE), ascii("\r\n")), insideE - afterCr);
            peer.write(chunk(slice(stream, insideE, stream.length)));
            peer.write("0\r\nX-Trailer: t\r\n\r\n");

            assertEquals(List.of(new SseEvent("5", "5", "deployment:completed", "é1\n2"),
                    new SseEvent(null, "5", "message", "end")), client.awaitEvents(2, WAIT));
            assertEquals(" hb", client.awaitComment(WAIT));
            peer.close();
            assertTrue(client.awaitClosed(WAIT));
            assertEquals("EOF after complete body", client.closeReason());
            assertEquals(new String(stream, StandardCharsets.UTF_8), client.body());
        }
    }

    @Test
    void chunkedCrLfOfTheStreamSplitAcrossChunksIsOneLineEnd() {
        try (SseTestClient client = connect()) {
            ScriptedServer.Peer peer = server.accept();
            peer.readRequestHead();
            peer.write(CHUNKED_SSE_HEAD);
            writeChunkAndAwait(peer, client, "data: a\r");
            writeChunkAndAwait(peer, client, "\ndata: b\r");
            writeChunkAndAwait(peer, client, "\n\r");
            writeChunkAndAwait(peer, client, "\ndata: c\n\n");
            assertEquals(List.of("a\nb", "c"), client.awaitEvents(2, WAIT).stream().map(SseEvent::data).toList());
            assertEquals(2, client.events().size());
        }
    }

    @Test
    void contentLengthErrorResponseIsNotParsedAsEventsAndExposesTheBody() {
        String json = "{\"error\":{\"code\":\"unauthorized\",\"message\":\"no token\"}}\n\n";
        try (SseTestClient client = connect()) {
            ScriptedServer.Peer peer = server.accept();
            peer.readRequestHead();
            peer.write("HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nWWW-Authenticate: Bearer\r\n"
                    + "Content-Length: " + json.length() + "\r\n\r\n" + json);
            assertEquals(401, client.status());
            assertEquals("Bearer", client.header("www-authenticate"));
            AssertionError error = assertThrows(AssertionError.class, () -> client.awaitEvent(Duration.ofMillis(200)));
            assertTrue(error.getMessage().contains("status 401"), error.getMessage());
            peer.close();
            assertTrue(client.awaitClosed(WAIT));
            assertEquals(json, client.body());
            assertTrue(client.events().isEmpty());
        }
    }

    @Test
    void twoHundredWithAnotherContentTypeIsNotAnEventStream() {
        try (SseTestClient client = connect()) {
            ScriptedServer.Peer peer = server.accept();
            peer.readRequestHead();
            peer.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\ndata: x\n\n").close();
            assertTrue(client.awaitClosed(WAIT));
            assertTrue(client.events().isEmpty());
            assertEquals("data: x\n\n", client.body());
        }
    }

    @Test
    void failingWaitSaysWhatWasExpectedAndWhatArrived() {
        try (SseTestClient client = connect()) {
            ScriptedServer.Peer peer = server.accept();
            peer.readRequestHead();
            peer.write(SSE_HEAD + ": heartbeat\n\ndata: only-one\n\n");
            AssertionError error = assertThrows(AssertionError.class,
                    () -> client.awaitEvents(2, Duration.ofMillis(300)));
            String message = error.getMessage();
            assertTrue(message.contains("expected 2 more event(s) within PT0.3S"), message);
            assertTrue(message.contains("only-one"), message);
            assertTrue(message.contains("heartbeat"), message);
            assertTrue(message.contains("connection open"), message);

            peer.close();
            assertTrue(client.awaitClosed(WAIT));
            AssertionError ended = assertThrows(AssertionError.class, () -> client.awaitEvents(2, WAIT),
                    "fails at once, not after WAIT, once nothing more can arrive");
            assertTrue(ended.getMessage().contains("connection ended (EOF after complete body)"), ended.getMessage());
        }
    }

    @Test
    void awaitWithPredicateSkipsEarlierEventsAndCommentsQueueSeparately() {
        try (SseTestClient client = connect()) {
            ScriptedServer.Peer peer = server.accept();
            peer.readRequestHead();
            peer.write(SSE_HEAD + "event: connected\ndata: {}\n\n: one\nid: 1\ndata: a\n\n: two\nid: 2\ndata: b\n\n");
            assertEquals("2", client.awaitEvent(e -> "b".equals(e.data()), WAIT).id());
            assertEquals(" one", client.awaitComment(WAIT));
            assertEquals(" two", client.awaitComment(WAIT));
            assertEquals(3, client.events().size());
            assertThrows(AssertionError.class, () -> client.awaitEvent(Duration.ofMillis(50)));
            peer.write("data: c\n\n");
            assertEquals(new SseEvent(null, "2", "message", "c"), client.awaitEvent(WAIT));
        }
    }

    @Test
    void pausedReaderReadsNothingUntilResumed() {
        try (SseTestClient client = SseTestClient.builder(server.host(), server.port(), "/s")
                .receiveBufferSize(4096).connect()) {
            ScriptedServer.Peer peer = server.accept();
            peer.readRequestHead();
            peer.write(SSE_HEAD + "data: 1\n\n");
            client.awaitEvent(WAIT);
            client.pauseReading();
            peer.write("data: 2\n\n"); // unblocks the read in progress; then the reader parks
            client.awaitReadingPaused(WAIT);
            long received = client.bodyBytesReceived();
            peer.write("data: 3\n\n");
            assertEquals(received, client.bodyBytesReceived(), "a parked reader reads nothing");
            client.resumeReading();
            Await.until(() -> client.events().size() == 3, WAIT, () -> "3 events; client: " + client);
            assertEquals("3", client.events().get(2).data());
        }
    }

    @Test
    void startPausedReadsNotEvenTheHead() {
        try (SseTestClient client = SseTestClient.builder(server.host(), server.port(), "/s").startPaused()
                .responseTimeout(Duration.ofMillis(200)).connect()) {
            ScriptedServer.Peer peer = server.accept();
            peer.readRequestHead();
            peer.write(SSE_HEAD + "data: 1\n\n");
            client.awaitReadingPaused(WAIT);
            AssertionError error = assertThrows(AssertionError.class, client::status);
            assertTrue(error.getMessage().contains("no response head"), error.getMessage());
            client.resumeReading();
            assertEquals("1", client.awaitEvent(WAIT).data());
            assertEquals(200, client.status());
        }
    }

    @Test
    void resetByServerCountsAsClosed() {
        try (SseTestClient client = connect()) {
            ScriptedServer.Peer peer = server.accept();
            peer.readRequestHead();
            peer.write(SSE_HEAD + "data: 1\n\n");
            client.awaitEvent(WAIT);
            peer.reset();
            assertTrue(client.awaitClosed(WAIT));
            assertTrue(client.closeReason().startsWith("reset: "), client.closeReason());
        }
    }

    @Test
    void closeBeforeAnyResponseGivesStatusMinusOne() {
        try (SseTestClient client = connect()) {
            ScriptedServer.Peer peer = server.accept();
            peer.readRequestHead();
            peer.close();
            assertEquals(-1, client.status());
            assertTrue(client.awaitClosed(WAIT));
            assertEquals("EOF before a response head", client.closeReason());
        }
    }

    @Test
    void malformedChunkFailsWaitsWithTheReason() {
        try (SseTestClient client = connect()) {
            ScriptedServer.Peer peer = server.accept();
            peer.readRequestHead();
            peer.write(CHUNKED_SSE_HEAD + "zz\r\ndata: x\n\n\r\n");
            AssertionError error = assertThrows(AssertionError.class, () -> client.awaitEvent(WAIT));
            assertTrue(error.getMessage().contains("malformed") && error.getMessage().contains("zz"), error.getMessage());
            assertFalse(client.awaitClosed(Duration.ofMillis(1)), "a malformed response is not a clean close by the server");
        }
    }

    @Test
    void stillOpenMeansNotClosedAndCloseJoinsTheReader() {
        SseTestClient client = connect();
        ScriptedServer.Peer peer = server.accept();
        peer.readRequestHead();
        peer.write(SSE_HEAD);
        assertEquals(200, client.status());
        assertFalse(client.awaitClosed(Duration.ofMillis(50)));
        client.close();
        assertFalse(client.awaitClosed(WAIT), "closed by the client, not the server");
        assertEquals("closed by the client", client.closeReason());
        assertTrue(Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("sse-test-client " + server.host() + ":" + server.port())));
    }

    private static byte[] slice(byte[] bytes, int from, int to) {
        return Arrays.copyOfRange(bytes, from, to);
    }
}
