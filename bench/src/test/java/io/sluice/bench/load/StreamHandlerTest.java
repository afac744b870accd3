package io.sluice.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StreamHandlerTest {

    private static int headEnd(String text, int readerIndex) {
        ByteBuf b = Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
        try {
            b.readerIndex(readerIndex);
            return StreamHandler.headEnd(b);
        } finally {
            b.release();
        }
    }

    @Test
    void findsTheBlankLineEndingTheHead() {
        String head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n";
        assertEquals(head.length(), headEnd(head + "retry: 3000\n", 0));
        assertEquals(-1, headEnd("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n", 0));
        assertEquals(-1, headEnd("HTTP/1.1 200 OK\r\n\r", 0));
        // A CR LF CR before the reader index does not count.
        assertEquals(-1, headEnd("\r\n\r\nabc\n", 3));
    }

    @Test
    void readsTheStatusCode() {
        assertEquals(200, StreamHandler.status("HTTP/1.1 200 OK\r\nx: y"));
        assertEquals(503, StreamHandler.status("HTTP/1.1 503 Service Unavailable"));
        assertEquals(0, StreamHandler.status("SSH-2.0-OpenSSH"));
        assertEquals(0, StreamHandler.status("HTTP/1.1 2x0 OK"));
    }
}
