package io.sluice.testing;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Response framing, fed one byte per socket read so that every boundary falls between two reads. */
class HttpWireTest {

    /** Returns at most one byte per read, like a very fragmented TCP stream. */
    private static InputStream trickle(String wire) {
        ByteArrayInputStream all = new ByteArrayInputStream(wire.getBytes(StandardCharsets.ISO_8859_1));
        return new InputStream() {
            @Override
            public int read() {
                return all.read();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return all.read(b, off, Math.min(len, 1));
            }
        };
    }

    private static String readBody(String wire) throws IOException {
        HttpWire.Input in = new HttpWire.Input(trickle(wire), () -> { });
        HttpWire.Head head = HttpWire.readHead(in);
        HttpWire.Body body = new HttpWire.Body(in, head, false);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[64];
        int n;
        while ((n = body.read(buf, 0, buf.length)) >= 0) {
            out.write(buf, 0, n);
        }
        assertTrue(body.complete());
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void chunkedWithExtensionsAndTrailers() throws IOException {
        assertEquals("data: a\r\n\r\n0123456789abcdef!",
                readBody("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                        + "8;ext=1\r\ndata: a\r\r\n3 ; e\r\n\n\r\n\r\n11\r\n0123456789abcdef!\r\n0\r\nT: 1\r\n\r\n"));
    }

    @Test
    void contentLengthAndCloseDelimitedAndNoBody() throws IOException {
        assertEquals("abc", readBody("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcEXTRA"));
        assertEquals("abc", readBody("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc"));
        assertEquals("until close", readBody("HTTP/1.1 200 OK\r\n\r\nuntil close"));
        assertEquals("", readBody("HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\nabc"));
    }

    @Test
    void headersAreCaseInsensitiveAndKeepEveryValue() throws IOException {
        HttpWire.Input in = new HttpWire.Input(trickle("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 3\r\n"
                + "set-cookie: a=1\r\nSet-Cookie: b=2\r\nX-Empty:\r\n\r\n"), () -> { });
        HttpWire.Head head = HttpWire.readHead(in);
        assertEquals(503, head.status());
        assertEquals("Service Unavailable", head.reason());
        assertEquals("3", head.header("retry-after"));
        assertEquals(List.of("a=1", "b=2"), head.headers().get("SET-COOKIE"));
        assertEquals("", head.header("x-empty"));
    }

    @Test
    void malformedFramingIsAProtocolError() {
        assertThrows(ProtocolException.class, () -> readBody("HTTP/1.1 200 OK\nContent-Length: 0\n\n"));
        assertThrows(ProtocolException.class, () -> readBody("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabcX\r\n0\r\n\r\n"));
        assertThrows(ProtocolException.class, () -> readBody("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nab"));
        assertThrows(ProtocolException.class, () -> readBody("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"));
        assertThrows(ProtocolException.class, () -> readBody("HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nab"));
        assertThrows(ProtocolException.class, () -> readBody("HTTP/1.1 2000 OK\r\n\r\n"));
        assertThrows(ProtocolException.class, () -> readBody("HTTP/1.1 200 OK\r\n Folded: x\r\n\r\n"));
    }
}
