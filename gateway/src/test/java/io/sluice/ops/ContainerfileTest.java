package io.sluice.ops;

import io.sluice.config.SluiceConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ops/container/Containerfile}. No container engine runs here, so the image is never built in the test suite;
 * this checks its structure instead: two stages (Maven build, JRE runtime), a non-root user, nothing copied that
 * does not exist or might be a secret, the jar path the build really produces, the gateway's ports, SIGTERM, a
 * health check, and container-aware JVM flags. (No Dockerfile linter is in Debian's packages, so none runs.)
 */
class ContainerfileTest {
    private static final Path FILE = OpsFiles.OPS.resolve("container/Containerfile");
    private static final Pattern SECRET_NAME =
            Pattern.compile("(?i)secret|token|passw|credential|private|api_?key|publish_?keys|jwt");
    private static final Pattern SECRET_FILE = Pattern.compile("(?i)\\.env\\b|\\.pem\\b|\\.key\\b|secret|id_rsa|settings\\.xml");

    private final List<Stage> stages = parse(OpsFiles.read(FILE));

    @Test
    void buildsWithMavenAndRunsOnAJre() {
        assertEquals(2, stages.size(), stages::toString);
        assertEquals("maven:3-eclipse-temurin-17 AS build", stages.get(0).from());
        assertEquals("eclipse-temurin:17-jre", runtime().from());
        assertEquals(List.of("/src"), stages.get(0).args("WORKDIR"));
    }

    @Test
    void runtimeRunsAsAFixedNonRootUser() {
        List<String> users = runtime().args("USER");

        assertEquals(1, users.size(), () -> "one USER in the runtime stage: " + users);
        String uid = users.get(0).split(":")[0];
        assertTrue(uid.matches("[1-9][0-9]*"), () -> "numeric non-zero uid (runAsNonRoot can check it): " + users);
        assertTrue(runtime().args("RUN").stream().anyMatch(r -> r.contains("--uid " + uid)), "the image creates uid " + uid);
        assertTrue(runtime().indexOf("USER") < runtime().indexOf("ENTRYPOINT"), "USER before ENTRYPOINT");
    }

    @Test
    void copiesNoSecretAndUsesNoAdd() {
        for (Stage stage : stages) {
            assertEquals(List.of(), stage.args("ADD"), "COPY, never ADD (no remote URLs, no auto-extraction)");
            for (String kind : List.of("ENV", "ARG")) {
                for (String arg : stage.args(kind)) {
                    String name = arg.split("[=\\s]", 2)[0];
                    assertFalse(SECRET_NAME.matcher(name).find(),
                            () -> kind + " " + name + " looks like a secret baked into the image");
                }
            }
            for (String copy : stage.args("COPY")) {
                assertFalse(SECRET_FILE.matcher(copy).find(), () -> "COPY " + copy + " looks like a secret");
            }
        }
    }

    @Test
    void buildStageCopiesWhatExistsAndTheRuntimeGetsTheJarTheBuildMakes() {
        for (String copy : stages.get(0).args("COPY")) {
            String source = copy.split("\\s+")[0];
            assertTrue(Files.exists(OpsFiles.ROOT.resolve(source)), () -> "COPY source " + source + " is not in the repository");
        }
        String pom = OpsFiles.read(OpsFiles.ROOT.resolve("gateway/pom.xml"));
        Matcher finalName = Pattern.compile("<finalName>([^<]+)</finalName>").matcher(pom);
        assertTrue(finalName.find(), "gateway/pom.xml names the shaded jar");
        String jar = "/src/gateway/target/" + finalName.group(1) + ".jar";

        assertEquals(List.of("--from=build " + jar + " /opt/sluice/sluice-gateway.jar"), runtime().args("COPY"));
        assertTrue(runtime().args("ENTRYPOINT").get(0).startsWith("[\"java\", \"-jar\", \"/opt/sluice/sluice-gateway.jar\""),
                () -> "exec-form ENTRYPOINT, so java is PID 1 and gets SIGTERM: " + runtime().args("ENTRYPOINT"));
    }

    @Test
    void exposesTheGatewayPortsStopsOnSigtermAndChecksHealth() {
        assertEquals(List.of(SluiceConfig.DEFAULT_PORT + " " + SluiceConfig.DEFAULT_MANAGEMENT_PORT), runtime().args("EXPOSE"));
        assertEquals(List.of("SIGTERM"), runtime().args("STOPSIGNAL"));
        List<String> health = runtime().args("HEALTHCHECK");
        assertEquals(1, health.size(), health::toString);
        assertTrue(health.get(0).contains("http://127.0.0.1:" + SluiceConfig.DEFAULT_MANAGEMENT_PORT + "/healthz"), health::toString);
    }

    @Test
    void jvmFollowsTheContainersMemoryLimitAndCommitsItsHeapAtStart() {
        String options = runtime().args("ENV").stream().filter(e -> e.startsWith("JAVA_TOOL_OPTIONS=")).findFirst().orElseThrow();

        assertTrue(options.contains("-XX:MaxRAMPercentage="), options);
        assertTrue(options.contains("-XX:+AlwaysPreTouch"), options);
        assertTrue(options.contains("-XX:MaxTenuringThreshold=0"), options);
        assertFalse(options.contains("ExitOnOutOfMemoryError"), "running short of memory is a 503, not an exit (§10)");
        assertFalse(options.contains("-Xmx"), "a fixed -Xmx would ignore the container's limit: " + options);
    }

    private Stage runtime() {
        return stages.get(stages.size() - 1);
    }

    /** One build stage: its FROM arguments and its instructions in order, each as {keyword, arguments}. */
    private record Stage(String from, List<String[]> instructions) {
        List<String> args(String keyword) {
            return instructions.stream().filter(i -> i[0].equals(keyword)).map(i -> i[1]).toList();
        }

        int indexOf(String keyword) {
            for (int i = 0; i < instructions.size(); i++) {
                if (instructions.get(i)[0].equals(keyword)) {
                    return i;
                }
            }
            return -1;
        }

        @Override
        public String toString() {
            return "FROM " + from + " (" + instructions.size() + " instructions)";
        }
    }

    /** Instructions by stage: comment lines dropped, continuation lines joined, whitespace runs collapsed. */
    private static List<Stage> parse(String text) {
        List<String> logical = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : text.split("\n")) {
            if (line.strip().startsWith("#")) {
                continue;
            }
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
            } else {
                logical.add(current.append(line).toString().strip().replaceAll("\\s+", " "));
                current.setLength(0);
            }
        }
        List<Stage> stages = new ArrayList<>();
        for (String instruction : logical) {
            if (instruction.isEmpty()) {
                continue;
            }
            String[] parts = instruction.split(" ", 2);
            String keyword = parts[0].toUpperCase(Locale.ROOT);
            String args = parts.length > 1 ? parts[1] : "";
            if (keyword.equals("FROM")) {
                stages.add(new Stage(args, new ArrayList<>()));
            } else {
                assertFalse(stages.isEmpty(), () -> keyword + " before the first FROM");
                stages.get(stages.size() - 1).instructions().add(new String[] {keyword, args});
            }
        }
        return stages;
    }
}
