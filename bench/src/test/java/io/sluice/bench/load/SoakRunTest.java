package io.sluice.bench.load;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sluice.SluiceServer;
import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A two-second soak against a real gateway in this JVM, on loopback: streams are renewed with fresh topics, slow ones
 * pause, publishes are accepted, and {@code --samples} writes one line at the start and one per second with the
 * gateway's memory (jcmd on this JVM) and metrics.
 */
class SoakRunTest {

    @Test
    void aShortSoakRenewsStreamsPublishesAndSamplesTheGateway(@TempDir Path dir) throws Exception {
        SluiceConfig config = ConfigLoader.load(new String[] {"--port=0", "--management-port=0",
            "--bind-address=127.0.0.1", "--dev-clock=false", "--access-log=off", "--max-connections-per-user=100000",
            "--history-max-bytes=1MiB"}, Map.of()).config();
        try (SluiceServer gateway = SluiceServer.start(config)) {
            Path samples = dir.resolve("samples.jsonl");
            LoadOptions o = LoadOptions.parse(new String[] {"--url", "http://127.0.0.1:" + gateway.port(), "--soak",
                "--streams", "20", "--rate", "100", "--publishers", "2", "--threads", "1", "--warmup", "0s",
                "--duration", "2s", "--grace", "0s", "--soak-lifetime", "100ms-300ms", "--soak-slow-share", "0.3",
                "--soak-slow-pause", "100ms-300ms", "--soak-hot-share", "0.3", "--soak-large-size", "2KiB-4KiB",
                "--soak-burst", "1s:500ms:2", "--samples", samples.toString(), "--sample-interval", "1s",
                "--metrics-url", "http://127.0.0.1:" + gateway.managementPort() + "/metrics",
                "--gateway-pid", Long.toString(ProcessHandle.current().pid())});
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertEquals(0, new LoadRun(o, out).run());

            Map<?, ?> summary = (Map<?, ?>) parse(out.toString(StandardCharsets.UTF_8));
            assertEquals(20L, get(summary, "connect", "opened"));
            assertTrue((Long) get(summary, "soak", "streamsRenewed") > 20, summary.toString());
            assertTrue((Long) get(summary, "soak", "slowPauses") > 0, summary.toString());
            assertTrue((Long) get(summary, "publish", "acceptedEvents") > 0, summary.toString());
            assertEquals(0L, get(summary, "publish", "requestsFailed"));
            assertEquals(0L, get(summary, "delivery", "duplicates"));
            assertEquals(0L, get(summary, "delivery", "outOfOrder"));
            assertNull(get(summary, "delivery", "loss"));
            assertEquals(3L, get(summary, "samples", "written"));

            List<String> lines = Files.readAllLines(samples);
            assertEquals(3, lines.size());
            for (String line : lines) {
                Map<?, ?> s = (Map<?, ?>) parse(line);
                assertTrue((Long) get(s, "gateway", "rssKiB") > 0, line);
                assertTrue((Long) get(s, "gateway", "rssHeapKiB") > 0, line);
                assertTrue((Long) get(s, "gateway", "heapLiveBytes") > 0, line);
                assertNotNull(get(s, "gateway", "topics"), line);
                assertNotNull(get(s, "gateway", "historyBytes"), line);
                assertNotNull(get(s, "gateway", "evictions", "bytes"), line);
                assertNotNull(get(s, "gateway", "nettyDirectBytes"), line);
                assertTrue(!((List<?>) s.get("topClasses")).isEmpty(), line);
            }
            Map<?, ?> last = (Map<?, ?>) parse(lines.get(2));
            assertTrue((Long) get(last, "generator", "renewals") > 0, lines.get(2));
            assertNotNull(get(last, "generator", "publishPerSec"), lines.get(2));
            assertTrue((Long) get(last, "gateway", "eventsPublished") > 0, lines.get(2));
        }
    }

    private static Object get(Map<?, ?> m, String... path) {
        Object v = m;
        for (String k : path) {
            v = ((Map<?, ?>) v).get(k);
        }
        return v;
    }

    /** JSON into maps, lists, Long, Double, String, Boolean and null. */
    private static Object parse(String json) throws IOException {
        try (JsonParser p = new JsonFactory().createParser(json)) {
            p.nextToken();
            return value(p);
        }
    }

    private static Object value(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    m.put(name, value(p));
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    l.add(value(p));
                }
                return l;
            }
            case VALUE_NUMBER_INT -> {
                return p.getLongValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                return p.getDoubleValue();
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return p.getBooleanValue();
            }
            default -> {
                return null;
            }
        }
    }
}
