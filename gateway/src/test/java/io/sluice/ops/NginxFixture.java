package io.sluice.ops;

import io.sluice.testing.Await;
import io.sluice.testing.ExternalTool;
import io.sluice.testing.FreePort;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real nginx as a child process on loopback, running the repository's {@code ops/nginx/sluice.conf} byte for
 * byte in front of the upstreams a test names.
 *
 * <p>How "exactly that file" holds: the fixture writes its own {@code nginx.conf} in a fresh temporary directory
 * (no daemon, one process, pid file, logs and every temp path inside that directory, so it never touches the
 * system's nginx, {@code /var} or port 80) whose {@code http} block includes the site file by its path in the
 * repository. The site file includes {@code sluice/upstream.conf}, {@code sluice/server.conf} and
 * {@code sluice/stream-timeout.conf} relative to the directory of {@code nginx.conf}: the fixture writes those
 * three, and only those differ from what an operator installs. {@code stream-timeout.conf} is the shipped file
 * unless a test asks for another {@code proxy_read_timeout}.
 *
 * <p>Confined to the test thread. {@link #close()} stops nginx (SIGTERM, its fast shutdown), waits for it to exit
 * with a deadline, and deletes the directory.
 */
final class NginxFixture implements AutoCloseable {
    static final String HOST = "127.0.0.1";
    static final Path SITE_FILE = OpsFiles.OPS.resolve("nginx/sluice.conf");
    static final Path SHIPPED_INCLUDES = OpsFiles.OPS.resolve("nginx/sluice");
    static final String UPSTREAM_FILE = "upstream.conf";
    static final String SERVER_FILE = "server.conf";
    static final String STREAM_TIMEOUT_FILE = "stream-timeout.conf";
    /** client_max_body_size in the fixture's server.conf: the gateway's default maxBodyBytes, as shipped. */
    static final String BODY_LIMIT = "1m";

    private static final Duration START_DEADLINE = Duration.ofSeconds(15);
    private static final long STOP_DEADLINE_SECONDS = 10;
    /** A port found free may be taken before nginx binds it: then nginx exits and the fixture tries another. */
    private static final int START_ATTEMPTS = 3;

    private final Path dir;
    private final Process process;
    private final int port;

    private NginxFixture(Path dir, Process process, int port) {
        this.dir = dir;
        this.process = process;
        this.port = port;
    }

    /** The nginx binary; skips the test (outside CI) or fails it (under CI) when there is none. */
    static Path binary() {
        return ExternalTool.require("nginx", "nginx");
    }

    static Builder builder() {
        return new Builder();
    }

    /** Options for one nginx; use once. */
    static final class Builder {
        private final List<String> upstreams = new ArrayList<>();
        private String streamReadTimeout;

        private Builder() {
        }

        /** Adds a {@code server host:port;} line to the upstream (in order). */
        Builder upstream(String hostPort) {
            upstreams.add(hostPort);
            return this;
        }

        /** Replaces the shipped {@code stream-timeout.conf} by {@code proxy_read_timeout <nginxTime>;}. */
        Builder streamReadTimeout(String nginxTime) {
            this.streamReadTimeout = nginxTime;
            return this;
        }

        NginxFixture start() {
            if (upstreams.isEmpty()) {
                throw new IllegalStateException("an upstream needs at least one server");
            }
            Path nginx = binary();
            Path dir = createPrefix();
            try {
                StringBuilder servers = new StringBuilder("# written by NginxFixture\n");
                upstreams.forEach(u -> servers.append("server ").append(u).append(";\n"));
                write(dir.resolve("sluice").resolve(UPSTREAM_FILE), servers.toString());
                if (streamReadTimeout == null) {
                    copy(SHIPPED_INCLUDES.resolve(STREAM_TIMEOUT_FILE), dir.resolve("sluice").resolve(STREAM_TIMEOUT_FILE));
                } else {
                    write(dir.resolve("sluice").resolve(STREAM_TIMEOUT_FILE),
                            "# written by NginxFixture\nproxy_read_timeout " + streamReadTimeout + ";\n");
                }
                for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
                    int port = FreePort.find();
                    write(dir.resolve("sluice").resolve(SERVER_FILE), "# written by NginxFixture\nlisten " + HOST + ":" + port
                            + ";\nclient_max_body_size " + BODY_LIMIT + ";\n");
                    Process process = launch(nginx, dir);
                    if (awaitListening(process, port, dir)) {
                        return new NginxFixture(dir, process, port);
                    }
                    String logs = logs(dir);
                    if (!logs.contains("Address already in use")) {
                        throw new AssertionError("nginx exited with " + process.exitValue() + " at start-up:\n" + logs);
                    }
                }
                throw new AssertionError("nginx found no free port in " + START_ATTEMPTS + " attempts:\n" + logs(dir));
            } catch (RuntimeException | Error e) {
                delete(dir);
                throw e;
            }
        }
    }

    /**
     * Runs {@code nginx -t} on the site file with the three included files exactly as shipped in
     * {@code ops/nginx/sluice/}, as an operator's {@code nginx -t} would after installing the kit unchanged.
     *
     * @return nginx's output; fails unless nginx exits 0
     */
    static String configTestShippedKit() {
        Path nginx = binary();
        Path dir = createPrefix();
        try {
            for (String name : List.of(UPSTREAM_FILE, SERVER_FILE, STREAM_TIMEOUT_FILE)) {
                copy(SHIPPED_INCLUDES.resolve(name), dir.resolve("sluice").resolve(name));
            }
            Process process = new ProcessBuilder(nginx.toString(), "-t", "-p", dir + "/",
                    "-c", dir.resolve("nginx.conf").toString(), "-e", dir.resolve("error.log").toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("nginx.out").toFile())
                    .start();
            if (!OpsFiles.awaitExit(process, STOP_DEADLINE_SECONDS)) {
                throw new AssertionError("nginx -t did not finish within " + STOP_DEADLINE_SECONDS + "s:\n" + logs(dir));
            }
            String output = logs(dir);
            if (process.exitValue() != 0) {
                throw new AssertionError("nginx -t rejected the shipped kit (exit " + process.exitValue() + "):\n" + output);
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            delete(dir);
        }
    }

    /** The port nginx listens on, on {@link #HOST}. */
    int port() {
        return port;
    }

    /** nginx's error log so far (level info: also connections and upstream errors). */
    String errorLog() {
        return readIfExists(dir.resolve("error.log"));
    }

    /** The error log and whatever nginx printed, for failure messages. */
    String describe() {
        return "nginx on " + HOST + ":" + port + (process.isAlive() ? " running" : " exited " + process.exitValue())
                + "\n" + logs(dir);
    }

    /** Stops nginx, waits for it to exit, deletes its directory; fails if it had to be killed. */
    @Override
    public void close() {
        process.destroy();
        boolean exited = OpsFiles.awaitExit(process, STOP_DEADLINE_SECONDS);
        String logs = exited ? "" : logs(dir);
        delete(dir);
        if (!exited) {
            throw new AssertionError("nginx did not exit within " + STOP_DEADLINE_SECONDS + "s of SIGTERM and was killed:\n"
                    + logs);
        }
    }

    // ---- files and process -------------------------------------------------------------------------------------

    /** A fresh directory holding the generated nginx.conf and the temp directories it names. */
    private static Path createPrefix() {
        try {
            Path dir = Files.createTempDirectory("sluice-nginx-").toRealPath();
            Files.createDirectories(dir.resolve("sluice"));
            Files.createDirectories(dir.resolve("temp"));
            write(dir.resolve("nginx.conf"), mainConfig(dir));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** nginx.conf for one private nginx; relative includes in the site file resolve against {@code dir}. */
    private static String mainConfig(Path dir) {
        String d = dir.toString();
        return "# written by NginxFixture: a private nginx for one test, loopback only\n"
                + "daemon off;\n"
                + "master_process off;\n"
                + "worker_processes 1;\n"
                + "pid \"" + d + "/nginx.pid\";\n"
                + "error_log \"" + d + "/error.log\" info;\n"
                + "events {\n"
                + "    worker_connections 1024;\n"
                + "}\n"
                + "http {\n"
                + "    access_log \"" + d + "/access.log\";\n"
                + "    client_body_temp_path \"" + d + "/temp/client_body\";\n"
                + "    proxy_temp_path \"" + d + "/temp/proxy\";\n"
                + "    fastcgi_temp_path \"" + d + "/temp/fastcgi\";\n"
                + "    uwsgi_temp_path \"" + d + "/temp/uwsgi\";\n"
                + "    scgi_temp_path \"" + d + "/temp/scgi\";\n"
                + "    include \"" + SITE_FILE.toAbsolutePath().normalize() + "\";\n"
                + "}\n";
    }

    private static Process launch(Path nginx, Path dir) {
        try {
            return new ProcessBuilder(nginx.toString(), "-p", dir + "/", "-c", dir.resolve("nginx.conf").toString(),
                    "-e", dir.resolve("error.log").toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("nginx.out").toFile())
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + nginx, e);
        }
    }

    /** True once nginx accepts on {@code port}; false if it exited first; kills it and fails on the deadline. */
    private static boolean awaitListening(Process process, int port, Path dir) {
        try {
            Await.until(() -> !process.isAlive() || accepts(port), START_DEADLINE,
                    () -> "nginx to listen on " + HOST + ":" + port + "\n" + logs(dir));
        } catch (AssertionError e) {
            process.destroyForcibly();
            OpsFiles.awaitExit(process, STOP_DEADLINE_SECONDS);
            throw e;
        }
        if (process.isAlive()) {
            return true;
        }
        OpsFiles.awaitExit(process, STOP_DEADLINE_SECONDS);
        return false;
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String logs(Path dir) {
        return "--- error.log ---\n" + readIfExists(dir.resolve("error.log"))
                + "--- output ---\n" + readIfExists(dir.resolve("nginx.out"));
    }

    private static String readIfExists(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copy(Path from, Path to) {
        try {
            Files.copy(from, to);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
