package io.sluice.testing;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A program from Debian's packages that a test starts itself (nginx, prometheus, redis-server, chromium).
 * Outside CI a missing program skips the test with a message saying what to install; under CI ({@code CI=true})
 * it fails, since {@code .ci/run} installs every such package first.
 */
public final class ExternalBinary {
    private ExternalBinary() {
    }

    /** The first of {@code candidates} that is an executable file; skips or fails (see above) if none is. */
    public static Path require(String debianPackage, String... candidates) {
        for (String candidate : candidates) {
            Path path = Path.of(candidate);
            if (Files.isExecutable(path)) {
                return path;
            }
        }
        String message = String.join(" or ", candidates) + " not found: install it with `apt-get install "
                + debianPackage + "`";
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError(message + " (required under CI; .ci/packages lists it)");
        }
        Assumptions.abort(message);
        throw new IllegalStateException("unreachable");
    }
}
