package io.sluice.config;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's config table and the shipped example config stay true to the code. */
class DocumentedConfigTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    @Test
    void readmeConfigTableIsTheGeneratedOne() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        String start = "<!-- config-table:start (generated from ConfigKey; DocumentedConfigTest keeps it in sync) -->\n";
        int from = readme.indexOf(start);
        int to = readme.indexOf("\n<!-- config-table:end -->");
        assertTrue(from >= 0 && to > from, "README.md lacks the config-table markers");
        assertEquals(ConfigLoader.markdownTable().strip(), readme.substring(from + start.length(), to).strip(),
                "README config table is stale: paste ConfigLoader.markdownTable() between the markers");
    }

    @Test
    void exampleConfigLoadsAndSetsEveryKey() throws IOException {
        Path example = ROOT.resolve("ops/sluice.conf.example");
        ConfigLoader.LoadedConfig loaded = ConfigLoader.load(new String[] {"--config", example.toString()}, Map.of());
        assertTrue(loaded.warnings().isEmpty(), loaded.warnings().toString());
        assertFalse(loaded.config().devClock());
        String text = Files.readString(example);
        for (ConfigKey<?> key : ConfigKey.all()) {
            assertTrue(text.contains("\n" + key.name() + " = "), "example config lacks " + key.name());
        }
    }
}
