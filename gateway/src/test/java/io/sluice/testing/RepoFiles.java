package io.sluice.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Files of the repository outside the gateway module ({@code ops/}, {@code docs/}), found from the test's working
 * directory (Maven runs module tests in the module's directory).
 */
public final class RepoFiles {

    private RepoFiles() {
    }

    /** The repository's root: the nearest directory upwards holding both {@code pom.xml} and {@code ops/}. */
    public static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.isRegularFile(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("ops"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("no repository root (pom.xml and ops/) above " + Path.of("").toAbsolutePath());
    }

    /** {@code relative} under the repository root; it must exist. */
    public static Path file(String relative) {
        Path path = root().resolve(relative);
        if (!Files.exists(path)) {
            throw new AssertionError(relative + " is missing (looked at " + path + ")");
        }
        return path;
    }
}
