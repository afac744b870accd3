package io.sluice.bench.floor;

import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The floor speaks what the load generator's {@code --server nchan} expects: a stream head, frames, a 202. */
class NettyFloorServerTest {
    private static final int TIMEOUT_MILLIS = 10_000;

    @Test
    void publishReachesEachSubscriberOfItsTopicOnly() throws Exception {
        assumeTrue(Epoll.isAvailable(), "the floor runs on Netty's epoll transport (Linux)");
        try (NettyFloorServer.Running floor = NettyFloorServer.start(0);
             Socket a = open(floor.port(), "GET /sub/a HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n");
             Socket b = open(floor.port(), "GET /sub/b HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")) {
            String headA = readUntil(a.getInputStream(), "\r\n\r\n");
            assertTrue(headA.startsWith("HTTP/1.1 200 OK\r\n") && headA.contains("content-type: text/event-stream"),
                    headA);
            String headB = readUntil(b.getInputStream(), "\r\n\r\n");
            assertTrue(headB.startsWith("HTTP/1.1 200 OK\r\n"), headB);

            try (Socket publisher = open(floor.port(), "POST /pub/a HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n"
                    + "{\"x\":1}")) {
                String answer = readUntil(publisher.getInputStream(), "subscribers: 1\n");
                assertTrue(answer.startsWith("HTTP/1.1 202 Accepted\r\n"), answer);
            }
            assertEquals("id: 1\ndata: {\"x\":1}\n\n", readUntil(a.getInputStream(), "\n\n"));

            try (Socket publisher = open(floor.port(), "POST /pub/b HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n"
                    + "{\"x\":2}")) {
                readUntil(publisher.getInputStream(), "subscribers: 1\n");
            }
            // b's first frame is the second publish: a's event never reached it
            assertEquals("id: 2\ndata: {\"x\":2}\n\n", readUntil(b.getInputStream(), "\n\n"));
        }
    }

    @Test
    void anyOtherRequestIsNotFound() throws Exception {
        assumeTrue(Epoll.isAvailable(), "the floor runs on Netty's epoll transport (Linux)");
        try (NettyFloorServer.Running floor = NettyFloorServer.start(0);
             Socket s = open(floor.port(), "GET /v1/events/stream HTTP/1.1\r\nHost: x\r\n\r\n")) {
            String answer = readUntil(s.getInputStream(), "not found\n");
            assertTrue(answer.startsWith("HTTP/1.1 404 Not Found\r\n"), answer);
        }
    }

    private static Socket open(int port, String request) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MILLIS);
        s.setSoTimeout(TIMEOUT_MILLIS);
        s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        return s;
    }

    /** Reads byte by byte until {@code end} was read (or the socket's timeout fails the test); returns all read. */
    private static String readUntil(InputStream in, String end) throws IOException {
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        while (!read.toString(StandardCharsets.US_ASCII).endsWith(end)) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed after: " + read.toString(StandardCharsets.US_ASCII));
            }
            read.write(b);
        }
        return read.toString(StandardCharsets.US_ASCII);
    }
}
