package io.sluice.ops;


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
