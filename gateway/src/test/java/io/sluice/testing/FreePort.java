package io.sluice.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * A TCP port on the loopback address that was free a moment ago. Another process may take it before the test
 * binds it; prefer binding port 0 and reading the chosen port (the gateway prints it) where possible.
 */
public final class FreePort {

    private FreePort() {
    }

    /** @throws UncheckedIOException if no port can be bound */
    public static int find() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }
}
