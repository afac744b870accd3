package io.sluice.e2e;

import io.sluice.testing.GatewayFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CONTRACT §6: an error answered before the request body was read reaches a client that writes its whole body first
 * and only then reads, as many HTTP client libraries do. Without a lingering close the gateway would close with unread
 * input, the kernel would send a reset, and the client would see ECONNRESET or EPIPE instead of the answer. Raw
 * sockets, so nothing between the test and the gateway reads on the client's behalf.
 */
class LingeringCloseTest {
    private static final int BODY = 1536 * 1024;
    private final GatewayFixture gateway = GatewayFixture.start();

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void aClientThatWritesATooLargeBodyFirstStillReadsThe413() throws IOException {
        byte[] body = new byte[BODY];
        Arrays.fill(body, (byte) 'x');
        for (int round = 0; round < 10; round++) {
            String response = writeEverythingThenRead(("POST /v1/publish HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + BODY + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII), body);
            assertTrue(response.startsWith("HTTP/1.1 413 "), "round " + round + ": " + response);
            assertTrue(response.contains("\"code\":\"too_large\""), response);
            assertTrue(response.toLowerCase().contains("connection: close"), response);
        }
    }

    @Test
    void aChunkedBodyThatPassesTheLimitMidwayStillGetsIts413() throws IOException {
        ByteArrayOutputStream chunks = new ByteArrayOutputStream();
        byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, (byte) 'y');
        for (int sent = 0; sent < BODY; sent += chunk.length) {
            chunks.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            chunks.write(chunk);
            chunks.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        chunks.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        String response = writeEverythingThenRead(("POST /v1/publish HTTP/1.1\r\nHost: x\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII), chunks.toByteArray());
        assertTrue(response.startsWith("HTTP/1.1 413 "), response);
    }

    @Test
    void theGatewayStillServesAndLeavesNoConnectionOpenAfterward() throws IOException {
        aClientThatWritesATooLargeBodyFirstStillReadsThe413();
        io.sluice.testing.Await.until(() -> gateway.server().openConnections() == 0, PublishTestSupport.WAIT,
                "every lingering connection closed once its client did");
        assertEquals(200, gateway.publishJson("{\"topic\":\"t\",\"data\":1}").status());
    }

    /** Writes the head and the whole body before reading a byte, then reads the answer to the end. */
    private String writeEverythingThenRead(byte[] head, byte[] body) throws IOException {
        try (Socket socket = new Socket(GatewayFixture.HOST, gateway.port())) {
            socket.setSoTimeout((int) PublishTestSupport.WAIT.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(head);
            out.write(body);
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
