package io.sluice.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway as a separate JVM, the way an operator runs it: {@code io.sluice.Main} on this JVM's test class path
 * with the {@code SLUICE_*} variables of this environment removed. Its output is read line by line on two daemon
 * threads; every wait has a deadline. Whoever starts one kills it ({@link #kill()}) whatever happens.
 */
public final class GatewayProcess {
    public static final Duration START_DEADLINE = Duration.ofSeconds(30);
    public static final Duration EXIT_DEADLINE = Duration.ofSeconds(30);
    public static final Pattern LISTENING = Pattern.compile("sluice listening port=(\\d+) managementPort=(\\d+)");

    private final Process process;
    private final String description;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<String> stdout = new ArrayList<>();
    private final List<String> stderr = new ArrayList<>();
    private int streamsEnded;
    private Matcher listening;

    private GatewayProcess(Process process, String description) throws IOException {
        this.process = process;
        this.description = description;
        process.getOutputStream().close();
        collect(process.getInputStream(), stdout, "stdout");
        collect(process.getErrorStream(), stderr, "stderr");
    }

    /**
     * Starts {@code io.sluice.Main} with {@code args}, the environment without {@code SLUICE_*} plus
     * {@code SLUICE_WARMUP=0s} (no start-up warm-up unless {@code env} or {@code args} set one) plus {@code env}.
     */
    public static GatewayProcess start(Map<String, String> env, String... args) throws IOException {
        return start(List.of(), env, args);
    }

    /** As {@link #start(Map, String...)}, with more flags for the JVM after its default heap of 256 MiB. */
    public static GatewayProcess start(List<String> jvmFlags, Map<String, String> env, String... args)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1"));
        command.addAll(jvmFlags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.sluice.Main"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(name -> name.startsWith("SLUICE_"));
        builder.environment().put("SLUICE_WARMUP", "0s"); // seconds per child; a test's env or flags may turn it on
        builder.environment().putAll(env);
        return new GatewayProcess(builder.start(), String.join(" ", args) + (env.isEmpty() ? "" : " with " + env));
    }

    public Process process() {
        return process;
    }

    /** Ends the process with SIGKILL, as a crash, and waits for it to be gone. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void collect(InputStream in, List<String> lines, String name) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    add(lines, line);
                }
            } catch (IOException ignored) {
                // the process is gone: what was read is kept
            } finally {
                lock.lock();
                try {
                    streamsEnded++;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }, "child " + name);
        t.setDaemon(true);
        t.start();
    }

    private void add(List<String> lines, String line) {
        lock.lock();
        try {
            lines.add(line);
            if (lines == stdout && listening == null) {
                Matcher m = LISTENING.matcher(line);
                if (m.matches()) {
                    listening = m;
                }
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits for the start-up line; fails if the process ends first or the deadline passes. */
    public Matcher awaitListening() throws InterruptedException {
        long nanos = START_DEADLINE.toNanos();
        lock.lock();
        try {
            while (listening == null) {
                if (streamsEnded == 2) {
                    throw new AssertionError("the gateway ended before printing its ports: " + describe());
                }
                if (nanos <= 0) {
                    throw new AssertionError("no 'sluice listening' line within " + START_DEADLINE + ": " + describe());
                }
                nanos = changed.awaitNanos(nanos);
            }
            return listening;
        } finally {
            lock.unlock();
        }
    }

    public int awaitPort() throws InterruptedException {
        return Integer.parseInt(awaitListening().group(1));
    }

    /** Waits until both output streams ended (after the process exited). */
    public void awaitOutputEnd() throws InterruptedException {
        long nanos = EXIT_DEADLINE.toNanos();
        lock.lock();
        try {
            while (streamsEnded < 2) {
                if (nanos <= 0) {
                    throw new AssertionError("output did not end within " + EXIT_DEADLINE + ": " + describe());
                }
                nanos = changed.awaitNanos(nanos);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits for the process to exit with {@code code} without printing its ports; returns its stderr. */
    public String awaitExit(int code) throws InterruptedException {
        assertTrue(process.waitFor(EXIT_DEADLINE.toSeconds(), TimeUnit.SECONDS), () -> "still running: " + describe());
        awaitOutputEnd();
        assertEquals(code, process.exitValue(), () -> "exit code: " + describe());
        lock.lock();
        try {
            assertEquals(null, listening, () -> "started although it should not: " + describe());
            return String.join("\n", stderr);
        } finally {
            lock.unlock();
        }
    }

    /** What the process wrote to stderr so far, one line per line. */
    public String stderr() {
        lock.lock();
        try {
            return String.join("\n", stderr);
        } finally {
            lock.unlock();
        }
    }

    public List<String> stdout() {
        lock.lock();
        try {
            return List.copyOf(stdout);
        } finally {
            lock.unlock();
        }
    }

    private String describe() {
        lock.lock();
        try {
            return "gateway [" + description + "]" + (process.isAlive() ? " running" : " exited " + process.exitValue())
                    + "\n--- stdout ---\n" + String.join("\n", stdout) + "\n--- stderr ---\n" + String.join("\n", stderr);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return describe();
    }
}
