package io.sluice.ops;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Where the repository's {@code ops/} kit lives, and the rule for tests that need a program the machine may lack:
 * outside CI ({@code CI} is not {@code "true"}) such a test is skipped with a message saying what to install;
 * under CI it fails, since {@code .ci/run} installs everything {@code .ci/packages} lists. Stateless.
 */
final class OpsFiles {
    /** Surefire runs in the gateway module; the kit is beside it. */
    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    static final Path OPS = ROOT.resolve("ops");

    private OpsFiles() {
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean underCi() {
        return "true".equals(System.getenv("CI"));
    }

    /**
     * Skips the calling test (outside CI) or fails it (under CI) because {@code what} is missing.
     *
     * @param install what a person runs to get it, e.g. {@code apt-get install nginx}
     */
    static AssertionError missing(String what, String install) {
        String message = what + " is not installed; to run this test: " + install;
        if (underCi()) {
            return new AssertionError(message + " (required under CI=true; .ci/packages lists it)");
        }
        Assumptions.abort(message);
        throw new IllegalStateException("unreachable");
    }

    /** The first executable named {@code name} in {@code candidates}, then on PATH; null if there is none. */
    static Path findExecutable(String name, Path... candidates) {
        for (Path candidate : candidates) {
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                Path candidate = Path.of(dir, name);
                if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        return null;
    }

    /** Waits for {@code process} to exit within {@code seconds}; kills it forcibly if it does not. */
    static boolean awaitExit(Process process, long seconds) {
        try {
            if (process.waitFor(seconds, TimeUnit.SECONDS)) {
                return true;
            }
            process.destroyForcibly();
            process.waitFor(seconds, TimeUnit.SECONDS);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return false;
        }
    }
}
