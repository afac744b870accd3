package io.sluice.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A program from a Debian package that a test runs (promtool, prometheus, …).
 *
 * <p>Missing program: outside CI the test is skipped with a message naming the package to install; under
 * {@code CI=true} it fails, because {@code .ci/run} installs every package of {@code .ci/packages}.
 */
public final class ExternalTool {

    private ExternalTool() {
    }

    /** The program's path; skips (or under CI fails) the calling test when it is not installed. */
    public static Path require(String program, String debianPackage) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.addAll(List.of("/usr/bin", "/usr/sbin", "/usr/local/bin"));
        for (String dir : dirs) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        String message = program + " is not installed: apt-get install " + debianPackage + " (listed in .ci/packages)";
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError(message + "; CI installs it, so its absence is a failure there");
        }
        Assumptions.abort(message);
        throw new IllegalStateException("unreachable");
    }

    /**
     * Runs {@code command} in {@code workDir} to completion, its output (stdout and stderr together) captured
     * through a temporary file; kills it and fails if it runs past {@code timeout}.
     */
    public static Result run(Path workDir, Duration timeout, String... command) {
        Path output = null;
        try {
            output = Files.createTempFile("sluice-tool", ".log");
            Process process = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).start();
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
                }
            } finally {
                process.destroyForcibly();
            }
            return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + String.join(" ", command), e);
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // a leftover temporary file is harmless
                }
            }
        }
    }

    /** How a program ended: its exit code and everything it printed. */
    public record Result(int exitCode, String output) {
    }
}
