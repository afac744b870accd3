package io.sluice.testing;

import io.sluice.SluiceServer;
import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A real gateway in this JVM on loopback, on free ports, for real-socket tests. Flags use the same syntax as
 * the command line ({@code "--history-size=10"}); {@code port}, {@code managementPort}, {@code bindAddress}
 * and {@code devClock} default to 0, 0, 127.0.0.1 and false unless given. {@link #close()} stops it and
 * releases every buffer it held, so the leak guard sees any leak.
 */
public final class GatewayFixture implements AutoCloseable {
    public static final String HOST = "127.0.0.1";

    private final SluiceServer server;

    private GatewayFixture(SluiceServer server) {
        this.server = server;
    }

    public static GatewayFixture start(String... flags) {
        List<String> args = new ArrayList<>(List.of("--port=0", "--management-port=0", "--bind-address=" + HOST,
                "--dev-clock=false"));
        if (Arrays.stream(flags).noneMatch(f -> f.startsWith("--warmup"))) {
            args.add("--warmup=0s"); // seconds per test; WarmupTest covers it
        }
        args.addAll(List.of(flags));
        SluiceConfig config = ConfigLoader.load(args.toArray(new String[0]), Map.of()).config();
        try {
            return new GatewayFixture(SluiceServer.start(config));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public SluiceServer server() {
        return server;
    }

    public int port() {
        return server.port();
    }

    public int managementPort() {
        return server.managementPort();
    }

    /** Publishes a JSON body on {@code /v1/publish} and returns the response (any status). */
    public RawResponse publishJson(String body) {
        return HttpTestClient.post(HOST, port(), "/v1/publish", "application/json", body);
    }

    /** Opens an SSE stream on {@code pathAndQuery} with the given extra headers. */
    public SseTestClient stream(String pathAndQuery, Map<String, String> headers) {
        return SseTestClient.connect(HOST, port(), pathAndQuery, headers);
    }

    @Override
    public void close() {
        server.close();
    }
}
