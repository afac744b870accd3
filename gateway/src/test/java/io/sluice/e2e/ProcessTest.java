package io.sluice.e2e;

import io.sluice.testing.Await;
import io.sluice.testing.GatewayProcess;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway as a separate JVM, the way an operator runs it (CONTRACT §8 SIGTERM, §9 configuration): the
 * start-up line with the chosen ports, a clean exit 0 on SIGTERM, exit 2 with a message naming key, value and
 * what is allowed for a bad setting from each source, and file &lt; environment &lt; flag precedence.
 *
 * <p>The child runs {@code io.sluice.Main} on this JVM's test class path with the {@code SLUICE_*} variables of
 * this environment removed. Its output is read on threads; every wait has a deadline; every child is killed in
 * {@link #killChildren()} whatever happened.
 */
class ProcessTest {
    private static final Duration START_DEADLINE = GatewayProcess.START_DEADLINE;
    private static final Duration EXIT_DEADLINE = GatewayProcess.EXIT_DEADLINE;
    private static final Pattern LISTENING = GatewayProcess.LISTENING;
    private static final String HOST = "127.0.0.1";

    private final List<GatewayProcess> children = new ArrayList<>();
    private final List<ServerSocket> blockers = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void killChildren() throws IOException {
        children.forEach(GatewayProcess::kill);
        for (ServerSocket s : blockers) {
            s.close();
        }
    }

    // ---- start-up line and SIGTERM -----------------------------------------------------------------------------

    @Test
    void printsTheChosenPortsOnOneLineServesBothAndExitsZeroOnSigterm() throws Exception {
        GatewayProcess child = start(Map.of(), "--port=0", "--management-port=0", "--bind-address=" + HOST);

        Matcher ports = child.awaitListening();
        int port = Integer.parseInt(ports.group(1));
        int managementPort = Integer.parseInt(ports.group(2));
        assertTrue(port > 0 && managementPort > 0 && port != managementPort, ports.group());
        assertEquals(200, HttpTestClient.get(HOST, port, "/healthz").status(), "/healthz on the public port");
        assertEquals(200, HttpTestClient.get(HOST, managementPort, "/healthz").status(), "/healthz on the management port");

        // SIGTERM, as Process.destroy() sends it; through the handle because Process.destroy() also closes this
        // side's pipes, which would lose whatever the gateway writes while it shuts down.
        assertTrue(child.process().toHandle().destroy(), "SIGTERM requested");

        assertTrue(child.process().waitFor(EXIT_DEADLINE.toSeconds(), TimeUnit.SECONDS), () -> "no exit after SIGTERM: " + child);
        child.awaitOutputEnd();
        assertEquals(1, child.stdout().stream().filter(l -> LISTENING.matcher(l).matches()).count(),
                () -> "lines matching '" + LISTENING + "': " + child);
        assertEquals(0, child.process().exitValue(), () -> "exit code after SIGTERM (CONTRACT §8): " + child);
    }

    @Test
    void sigtermDrainsStreamsSpreadOverTheWindowWhileRefusingNewOnesAndExitsZero() throws Exception {
        GatewayProcess child = start(Map.of(), "--port=0", "--management-port=0", "--bind-address=" + HOST, "--drain-window=2s",
                "--reconnect-millis=1000");
        Matcher ports = child.awaitListening();
        int port = Integer.parseInt(ports.group(1));
        int managementPort = Integer.parseInt(ports.group(2));
        List<SseTestClient> streams = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                SseTestClient s = SseTestClient.connect(HOST, port, "/v1/events/stream?topic=drain");
                streams.add(s);
                s.awaitEvent(e -> "connected".equals(e.type()), START_DEADLINE);
            }

            assertTrue(child.process().toHandle().destroy(), "SIGTERM requested");

            Await.until(() -> HttpTestClient.get(HOST, managementPort, "/readyz").status() == 503, Duration.ofSeconds(5),
                    "/readyz turns 503 at once on SIGTERM");
            RawResponse plain = HttpTestClient.get(HOST, port, "/v1/events/stream?topic=drain");
            assertEquals(503, plain.status(), plain::toString);
            assertTrue(plain.body().contains("\"code\":\"unavailable\""), plain::toString);
            assertTrue(Integer.parseInt(plain.header("retry-after")) >= 1, plain::toString);
            try (SseTestClient eventSource = SseTestClient.connect(HOST, port, "/v1/events/stream?topic=drain",
                    Map.of("Accept", "text/event-stream"))) {
                assertEquals(200, eventSource.status(), "an EventSource is told to retry, not failed (CONTRACT §6)");
                assertTrue(eventSource.awaitClosed(Duration.ofSeconds(5)), "refused EventSource is closed at once");
                Integer backoff = eventSource.retry();
                assertTrue(backoff != null && backoff >= 1000, "a refused EventSource is told to back off: " + backoff);
                assertTrue(eventSource.comments().stream().anyMatch(c -> c.contains("draining")), eventSource::toString);
            }
            RawResponse publish = HttpTestClient.post(HOST, port, "/v1/publish", "application/json",
                    "{\"topic\":\"drain\",\"data\":\"during\"}");
            assertEquals(200, publish.status(), () -> "publishes are accepted while draining: " + publish);

            long[] closedAt = new long[streams.size()];
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            int open = streams.size();
            while (open > 0 && System.nanoTime() < deadline) {
                for (int i = 0; i < streams.size(); i++) {
                    if (closedAt[i] == 0 && streams.get(i).awaitClosed(Duration.ofMillis(5))) {
                        closedAt[i] = System.nanoTime();
                        open--;
                    }
                }
            }
            assertEquals(0, open, "every stream is ended within the drain window");
            long spread = Arrays.stream(closedAt).max().getAsLong() - Arrays.stream(closedAt).min().getAsLong();
            assertTrue(spread >= Duration.ofSeconds(1).toNanos(),
                    "8 streams over a 2s window end spread out, not at once: first to last " + spread / 1_000_000 + " ms");
            for (SseTestClient s : streams) {
                assertRetryJittered(s.retry());
                assertTrue(s.comments().stream().anyMatch(c -> c.contains("draining")), s::toString);
            }
            assertTrue(streams.stream().anyMatch(s -> s.events().stream().anyMatch(e -> "during".equals(e.data()))),
                    "streams still open during the drain get events published during it");

            assertTrue(child.process().waitFor(EXIT_DEADLINE.toSeconds(), TimeUnit.SECONDS), () -> "no exit: " + child);
            assertEquals(0, child.process().exitValue(), () -> "exit code after a drain: " + child);
        } finally {
            streams.forEach(SseTestClient::close);
        }
    }

    /** A drain's retry: is reconnectMillis (1000 here) jittered to [500, 1500). */
    private static void assertRetryJittered(Integer retry) {
        assertTrue(retry != null && retry >= 500 && retry < 1500, "retry: " + retry);
    }

    // ---- bad values stop start-up with exit code 2 ---------------------------------------------------------------

    @Test
    void badFlagValueExitsTwoNamingKeyValueAndWhatIsAllowed() throws Exception {
        GatewayProcess child = start(Map.of(), "--port=0", "--management-port=0", "--bind-address=" + HOST,
                "--max-event-bytes=lots");

        String stderr = child.awaitExit(2);

        assertMentions(stderr, "maxEventBytes", "'lots'", "64KiB", "16MiB");
    }

    @Test
    void badEnvironmentValueExitsTwoNamingKeyValueAndWhatIsAllowed() throws Exception {
        GatewayProcess child = start(Map.of("SLUICE_HEARTBEAT_INTERVAL", "15"), "--port=0", "--management-port=0",
                "--bind-address=" + HOST);

        String stderr = child.awaitExit(2);

        assertMentions(stderr, "heartbeatInterval", "'15'", "SLUICE_HEARTBEAT_INTERVAL", "unit", "ms");
    }

    @Test
    void badConfigFileValueExitsTwoNamingKeyValueAndWhatIsAllowed() throws Exception {
        Path file = Files.writeString(dir.resolve("sluice.conf"), "# test\nport = 0\nhistorySize = -5\n");
        GatewayProcess child = start(Map.of(), "--config=" + file, "--management-port=0", "--bind-address=" + HOST);

        String stderr = child.awaitExit(2);

        assertMentions(stderr, "historySize", "'-5'", file.toString(), "line 3", "1000000");
    }

    @Test
    void unknownFlagExitsTwoNamingIt() throws Exception {
        GatewayProcess child = start(Map.of(), "--port=0", "--management-port=0", "--bind-address=" + HOST, "--max-evnt-bytes=1");

        String stderr = child.awaitExit(2);

        assertMentions(stderr, "--max-evnt-bytes");
    }

    @Test
    void unusableJwtPublicKeyFileExitsTwoNamingTheKeyAndTheFile() throws Exception {
        Path notAKey = Files.writeString(dir.resolve("not-a-key.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n");
        Path missing = dir.resolve("missing.pem");

        GatewayProcess bad = start(Map.of(), "--port=0", "--management-port=0", "--bind-address=" + HOST,
                "--jwt-public-key-file=" + notAKey);
        GatewayProcess absent = start(Map.of("SLUICE_JWT_PUBLIC_KEY_FILE", missing.toString()), "--port=0", "--management-port=0",
                "--bind-address=" + HOST);

        assertMentions(bad.awaitExit(2), "configuration error", "jwtPublicKeyFile", notAKey.toString(), "CERTIFICATE",
                "BEGIN PUBLIC KEY");
        assertMentions(absent.awaitExit(2), "configuration error", "jwtPublicKeyFile", missing.toString(), "cannot read");
    }

    @Test
    void malformedJwksUrlExitsTwoNamingTheKey() throws Exception {
        GatewayProcess child = start(Map.of("SLUICE_JWKS_URL", "idp.example.com/jwks.json"), "--port=0", "--management-port=0",
                "--bind-address=" + HOST);

        assertMentions(child.awaitExit(2), "configuration error", "jwksUrl", "'idp.example.com/jwks.json'",
                "SLUICE_JWKS_URL", "https://");
    }

    private static void assertMentions(String stderr, String... parts) {
        for (String part : parts) {
            assertTrue(stderr.contains(part), () -> "stderr should mention '" + part + "': " + stderr);
        }
    }

    // ---- precedence: flag > environment > file ---------------------------------------------------------------

    @Test
    void configFileSetsPortAndReconnectMillis() throws Exception {
        int filePort = freePort();
        Path file = Files.writeString(dir.resolve("file.conf"), "port = " + filePort + "\nreconnectMillis = 1111\n");

        GatewayProcess child = start(Map.of(), "--config", file.toString(), "--management-port=0", "--bind-address=" + HOST);

        assertEquals(filePort, child.awaitPort(), "port from the file");
        assertEquals(1111, retryOf(child), "retry: from the file's reconnectMillis");
    }

    @Test
    void environmentBeatsTheConfigFile() throws Exception {
        int blockedFilePort = blockedPort();
        int envPort = freePort();
        Path file = Files.writeString(dir.resolve("env.conf"), "port = " + blockedFilePort + "\nreconnectMillis = 1111\n");

        GatewayProcess child = start(Map.of("SLUICE_PORT", Integer.toString(envPort), "SLUICE_RECONNECT_MILLIS", "2222"),
                "--config=" + file, "--management-port=0", "--bind-address=" + HOST);

        assertEquals(envPort, child.awaitPort(), "port from the environment");
        assertEquals(2222, retryOf(child), "retry: from SLUICE_RECONNECT_MILLIS");
    }

    @Test
    void flagBeatsTheEnvironmentAndTheConfigFile() throws Exception {
        int blockedFilePort = blockedPort();
        int blockedEnvPort = blockedPort();
        int flagPort = freePort();
        Path file = Files.writeString(dir.resolve("flag.conf"), "port = " + blockedFilePort + "\nreconnectMillis = 1111\n");

        GatewayProcess child = start(Map.of("SLUICE_PORT", Integer.toString(blockedEnvPort), "SLUICE_RECONNECT_MILLIS", "2222"),
                "--config=" + file, "--port=" + flagPort, "--reconnect-millis=3333", "--management-port=0",
                "--bind-address=" + HOST);

        assertEquals(flagPort, child.awaitPort(), "port from the flag");
        assertEquals(3333, retryOf(child), "retry: from --reconnect-millis");
    }

    /** Opens a stream on the child and returns the {@code retry:} it sends before {@code connected}. */
    private static int retryOf(GatewayProcess child) throws InterruptedException {
        int port = child.awaitPort();
        try (SseTestClient stream = SseTestClient.connect(HOST, port, "/v1/events/stream?topic=precedence")) {
            assertEquals(200, stream.status(), () -> "stream on the child: " + stream);
            SseEvent connected = stream.awaitEvent(Duration.ofSeconds(10));
            assertEquals("connected", connected.type());
            Integer retry = stream.retry();
            assertTrue(retry != null, () -> "no retry: before connected: " + stream.body());
            return retry;
        }
    }

    // ---- bounded state (CONTRACT §10) ------------------------------------------------------------------------------

    /**
     * The whole answer the gateway sent on {@code socket} (head and a Content-Length body) within {@code wait}, or null
     * when none came by then.
     */
    private static String answerWithin(Socket socket, Duration wait) throws IOException {
        socket.setSoTimeout((int) wait.toMillis());
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = socket.getInputStream().read(buf)) > 0; ) {
                got.write(buf, 0, n);
                String text = got.toString(StandardCharsets.UTF_8);
                int headEnd = text.indexOf("\r\n\r\n");
                Matcher length = Pattern.compile("(?i)content-length: (\\d+)").matcher(text);
                if (headEnd > 0 && length.find() && text.length() - headEnd - 4 >= Integer.parseInt(length.group(1))) {
                    return text;
                }
            }
        } catch (SocketTimeoutException nothingYet) {
            return null;
        }
        return got.size() == 0 ? null : got.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aHistoryBudgetTheJvmCannotHoldExitsTwoNamingBoth() throws Exception {
        String stderr = start(List.of("-XX:MaxDirectMemorySize=64m"), Map.of(), "--port=0", "--management-port=0",
                "--bind-address=" + HOST, "--history-max-bytes=48MiB").awaitExit(2);
        assertMentions(stderr, "historyMaxBytes", "48MiB", "64MiB of direct memory", "MaxDirectMemorySize",
                "flag --history-max-bytes");
    }

    @Test
    void theDefaultHistoryBudgetIsLoweredToFitASmallJvmWithAWarning() throws Exception {
        GatewayProcess child = start(List.of("-XX:MaxDirectMemorySize=64m"), Map.of(), "--port=0", "--management-port=0",
                "--bind-address=" + HOST);
        int managementPort = Integer.parseInt(child.awaitListening().group(2));
        assertTrue(child.stderr().contains("historyMaxBytes: the default 256MiB does not fit this JVM"), child::toString);
        assertTrue(child.stderr().contains("history keeps at most 32MiB"), child::toString);
        assertEquals(200, HttpTestClient.get(HOST, managementPort, "/readyz").status());
    }

    /**
     * A node whose direct memory is taken by publish bodies in flight refuses further publishes with 503, JSON and
     * Retry-After (never a reset connection), keeps its open streams, and publishes again once the memory is free.
     */
    @Test
    void memoryExhaustionIsA503AndTheNodeRecovers() throws Exception {
        GatewayProcess child = start(List.of("-XX:MaxDirectMemorySize=48m"), Map.of(), "--port=0", "--management-port=0",
                "--bind-address=" + HOST, "--history-max-bytes=4MiB", "--max-body-bytes=4MiB",
                "--heartbeat-interval=500ms", "--dev-clock=false");
        int port = child.awaitPort();
        List<Socket> bodiesInFlight = new ArrayList<>();
        try (SseTestClient stream = SseTestClient.connect(HOST, port, "/v1/events/stream?topic=live")) {
            stream.awaitEvent(e -> "connected".equals(e.type()), START_DEADLINE);
            byte[] body = new byte[3 * 1024 * 1024];
            Arrays.fill(body, (byte) 'x');
            // Publishes whose 4 MiB bodies are mostly sent, then held: the gateway buffers what it reads until it
            // cannot hold more. The publish that finds no memory (a body being read, or the next one) gets the 503.
            String refused = null;
            for (int i = 0; i < 40 && refused == null; i++) {
                Socket s = new Socket(HOST, port);
                bodiesInFlight.add(s);
                s.getOutputStream().write(("POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + (4 * 1024 * 1024) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().write(body);
                s.getOutputStream().flush();
                refused = answerWithin(s, Duration.ofMillis(300));
                if (refused == null) {
                    RawResponse probe = HttpTestClient.post(HOST, port, "/v1/publish", "application/json",
                            "{\"topic\":\"live\",\"data\":0}");
                    refused = probe.status() == 200 ? null : probe.toString();
                }
            }
            String answer = refused;
            assertTrue(answer != null, () -> "no publish was refused with 48 MiB of direct memory: " + child);
            assertTrue(answer.startsWith("HTTP/1.1 503") || answer.contains("503"), answer);
            assertTrue(answer.contains("\"code\":\"unavailable\""), answer);
            assertTrue(answer.toLowerCase(Locale.ROOT).contains("retry-after"), answer);
            int commentsBefore = stream.comments().size();
            Await.until(() -> stream.comments().size() > commentsBefore, START_DEADLINE,
                    "the open stream still gets its heartbeats while publishes are refused");

            for (Socket s : bodiesInFlight) {
                s.close();
            }
            Await.until(() -> HttpTestClient.post(HOST, port, "/v1/publish", "application/json",
                    "{\"topic\":\"live\",\"data\":\"after\"}").status() == 200, START_DEADLINE,
                    "publishing works again once the bodies in flight are gone");
            stream.awaitEvent(e -> "after".equals(e.data()), START_DEADLINE);
            assertTrue(child.process().isAlive(), child::toString);
        } finally {
            for (Socket s : bodiesInFlight) {
                s.close();
            }
        }
    }

    /** A loopback port held open by this test, so a child that tried to bind it would fail to start. */
    private int blockedPort() throws IOException {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST));
        blockers.add(s);
        return s.getLocalPort();
    }

    /**
     * A loopback port free a moment ago, for a child that must be told a fixed port: another process could take it
     * first (then the child exits 1 and the test says so), which port 0 cannot avoid here since the port under test
     * is the one given.
     */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return s.getLocalPort();
        }
    }

    private GatewayProcess start(Map<String, String> env, String... args) throws IOException {
        return start(List.of(), env, args);
    }

    /** @param jvmFlags more flags for the child's JVM, after the default heap of 256 MiB (a later -Xmx wins) */
    private GatewayProcess start(List<String> jvmFlags, Map<String, String> env, String... args) throws IOException {
        GatewayProcess child = GatewayProcess.start(jvmFlags, env, args);
        children.add(child);
        return child;
    }
}
