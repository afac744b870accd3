package io.sluice.testing;


import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code redis-server} process for cluster-mode tests, on a free loopback port, with its own temporary
 * directory; never the system's service. Started with {@code --save '' --appendonly no} unless the extra
 * arguments say otherwise (a later {@code --appendonly yes} wins: Redis applies arguments in order).
 *
 * <p>{@link #kill()} ends it with SIGKILL (no shutdown save, as a crash), {@link #restart()} starts it again on
 * the same port and directory, {@link #close()} stops it and deletes the directory.
 *
 * <p>Where {@code redis-server} is missing the test is skipped with a message, except under {@code CI=true},
 * where it fails: CI installs it (.ci/packages). Confined to the test's thread.
 */
public final class RedisServer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

    private final int port;
    private final Path dir;
    private final List<String> extraArgs;
    private Process process;

    private RedisServer(int port, Path dir, List<String> extraArgs) {
        this.port = port;
        this.dir = dir;
        this.extraArgs = extraArgs;
    }

    /**
     * Starts a Redis on a free loopback port; returns once it answers PING.
     *
     * @param extraArgs more {@code redis-server} arguments, such as {@code "--stream-node-max-entries", "4"}
     */
    public static RedisServer start(String... extraArgs) {
        Path binary = binary();
        try {
            RedisServer server = new RedisServer(FreePort.find(), Files.createTempDirectory("sluice-redis"),
                    List.of(extraArgs));
            server.launch(binary);
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code redis-server} binary, or a skipped (outside CI) or failed (CI) test. */
    public static Path binary() {
        return ExternalTool.require("redis-server", "redis-server");
    }

    public int port() {
        return port;
    }

    /** The backplane flag for a gateway on this Redis. */
    public String backplaneFlag() {
        return "--backplane=redis://127.0.0.1:" + port;
    }

    /** Ends the process with SIGKILL, as a crash, and waits for it to be gone. */
    public void kill() {
        process.destroyForcibly();
        waitFor();
    }

    /** Starts it again on the same port and directory (after {@link #kill()}). */
    public void restart() {
        launch(binary());
    }

    /**
     * Runs one command and returns its reply as text: a simple string, an error ({@code -ERR …}), an integer or a
     * bulk string as itself, an array as its items' texts joined by newlines (nested arrays flattened).
     */
    public String command(String... args) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            StringBuilder request = new StringBuilder("*").append(args.length).append("\r\n");
            for (String arg : args) {
                byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
                request.append('$').append(bytes.length).append("\r\n").append(arg).append("\r\n");
            }
            out.write(request.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            List<String> items = new ArrayList<>();
            readReply(socket.getInputStream(), items);
            return String.join("\n", items);
        } catch (IOException e) {
            throw new UncheckedIOException("redis command " + List.of(args) + " on port " + port, e);
        }
    }

    /** Stops the process (SIGTERM, then SIGKILL) and deletes its directory. */
    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
            waitFor();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temp directory is harmless
        }
    }

    @Override
    public String toString() {
        return "redis-server on 127.0.0.1:" + port;
    }

    private void launch(Path binary) {
        List<String> command = new ArrayList<>(List.of(binary.toString(), "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString(),
                "--daemonize", "no", "--protected-mode", "yes"));
        command.addAll(extraArgs);
        try {
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
        Await.until(() -> {
            if (!process.isAlive()) {
                throw new AssertionError("redis-server exited at start: " + log());
            }
            try {
                return "PONG".equals(command("PING"));
            } catch (UncheckedIOException notYet) {
                return false;
            }
        }, START_TIMEOUT, () -> "redis-server to answer PING on port " + port + ": " + log());
    }

    private void waitFor() {
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                throw new AssertionError("redis-server did not exit");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for redis-server to exit", e);
        }
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("redis.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static void readReply(InputStream in, List<String> items) throws IOException {
        String line = readLine(in);
        char kind = line.charAt(0);
        String rest = line.substring(1);
        switch (kind) {
            case '+', ':' -> items.add(rest);
            case '-' -> items.add("-" + rest);
            case '$' -> {
                int length = Integer.parseInt(rest);
                if (length < 0) {
                    items.add("(nil)");
                    return;
                }
                byte[] bytes = in.readNBytes(length + 2);
                items.add(new String(bytes, 0, length, StandardCharsets.UTF_8));
            }
            case '*' -> {
                int count = Integer.parseInt(rest);
                for (int i = 0; i < count; i++) {
                    readReply(in, items);
                }
            }
            default -> throw new IOException("unexpected reply line " + line);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new IOException("connection closed mid-reply");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.UTF_8);
    }
}
