package io.sluice.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * An application's web server on its own loopback port, so a page runs on another origin than the gateway, as it
 * does in production. It serves two files: {@code /} with {@code ?gateway=http://127.0.0.1:<port>}, a page whose
 * module script imports {@code SluiceClient} from that gateway's {@code /v1/client.js} and hands it to
 * {@code install} of {@code /harness.js}, the test resource {@code io/sluice/testing/client-harness.js}. One thread
 * serves; {@link #close()} stops it and frees the port.
 */
public final class PageServer implements AutoCloseable {
    private static final Pattern GATEWAY = Pattern.compile("http://127\\.0\\.0\\.1:[0-9]{1,5}");
    private static final byte[] HARNESS = harness();

    private final HttpServer server;
    private final ExecutorService thread = Executors.newSingleThreadExecutor();

    private PageServer(HttpServer server) {
        this.server = server;
        server.setExecutor(thread);
        server.createContext("/", this::serve);
        server.start();
    }

    public static PageServer start() {
        try {
            return new PageServer(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind a loopback port for the page", e);
        }
    }

    /** The page's origin, as a browser sends it in {@code Origin}. */
    public String origin() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The page that uses the client served by {@code gatewayBase} ({@code http://127.0.0.1:<port>}). */
    public String pageUrl(String gatewayBase) {
        return origin() + "/?gateway=" + gatewayBase;
    }

    private void serve(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String query = exchange.getRequestURI().getQuery();
            String gateway = query != null && query.startsWith("gateway=") ? query.substring("gateway=".length()) : "";
            if ("/harness.js".equals(path)) {
                send(exchange, 200, "text/javascript; charset=utf-8", HARNESS);
            } else if ("/".equals(path) && GATEWAY.matcher(gateway).matches()) {
                send(exchange, 200, "text/html; charset=utf-8", page(gateway).getBytes(StandardCharsets.UTF_8));
            } else {
                send(exchange, 404, "text/plain; charset=utf-8", "not here".getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private static String page(String gateway) {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>app</title></head><body>\n"
                + "<script type=\"module\">\n"
                + "import { SluiceClient } from '" + gateway + "/v1/client.js';\n"
                + "import { install } from './harness.js';\n"
                + "install(SluiceClient, '" + gateway + "');\n"
                + "</script>\n</body></html>\n";
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static byte[] harness() {
        try (InputStream in = PageServer.class.getResourceAsStream("client-harness.js")) {
            if (in == null) {
                throw new IllegalStateException("missing test resource io/sluice/testing/client-harness.js");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        thread.shutdownNow();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the page server's thread did not stop");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
