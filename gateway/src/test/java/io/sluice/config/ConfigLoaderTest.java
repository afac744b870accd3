package io.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    private static final String[] NO_ARGS = new String[0];

    @TempDir
    Path dir;

    private Path file(String... lines) throws IOException {
        Path path = dir.resolve("sluice.conf");
        Files.write(path, List.of(lines), StandardCharsets.UTF_8);
        return path;
    }

    private static String error(String[] args, Map<String, String> env) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(args, env)).getMessage();
    }

    @Test
    void fileSetsKeys() throws IOException {
        Path path = file(
                "# Sluice test config",
                "",
                "port = 1001",
                "  heartbeatInterval=30s  ",
                "   # indented comment",
                "maxEventBytes = 128KiB",
                "transport = nio");
        SluiceConfig c = ConfigLoader.load(new String[] {"--config", path.toString()}, Map.of()).config();
        assertEquals(1001, c.port());
        assertEquals(Duration.ofSeconds(30), c.heartbeatInterval());
        assertEquals(131072L, c.maxEventBytes());
        assertEquals(SluiceConfig.Transport.NIO, c.transport());
        assertEquals(9090, c.managementPort());
    }

    @Test
    void precedenceIsFileThenEnvironmentThenFlag() throws IOException {
        Path path = file("port = 1001", "managementPort = 2001", "historySize = 3001");
        Map<String, String> env = Map.of("SLUICE_CONFIG", path.toString(),
                "SLUICE_PORT", "1002", "SLUICE_MANAGEMENT_PORT", "2002");
        SluiceConfig c = ConfigLoader.load(new String[] {"--port=1003"}, env).config();
        assertEquals(1003, c.port());
        assertEquals(2002, c.managementPort());
        assertEquals(3001, c.historySize());
        assertEquals(3000, c.reconnectMillis());
    }

    @Test
    void configFlagBeatsConfigEnvironmentVariable() throws IOException {
        Path fromFlag = file("port = 1111");
        Path fromEnv = dir.resolve("other.conf");
        Files.writeString(fromEnv, "port = 2222\n");
        Map<String, String> env = Map.of("SLUICE_CONFIG", fromEnv.toString());
        assertEquals(2222, ConfigLoader.load(NO_ARGS, env).config().port());
        assertEquals(1111, ConfigLoader.load(new String[] {"--config=" + fromFlag}, env).config().port());
    }

    @Test
    void flagTakesItsValueAfterEqualsOrAsTheNextArgument() {
        SluiceConfig c = ConfigLoader.load(new String[] {"--max-event-bytes", "1KiB", "--max-body-bytes=2KiB",
            "--reconnect-millis", "-0"}, Map.of()).config();
        assertEquals(1024L, c.maxEventBytes());
        assertEquals(2048L, c.maxBodyBytes());
        assertEquals(0, c.reconnectMillis());
    }

    @Test
    void valueAfterEqualsMayContainEquals() {
        assertEquals("invalid bindAddress 'a=b c' (from flag --bind-address): expected an IP address or host name"
                + " (non-empty, no whitespace)", error(new String[] {"--bind-address=a=b c"}, Map.of()));
    }

    @Test
    void lastOfARepeatedFlagWins() {
        assertEquals(2, ConfigLoader.load(new String[] {"--port=1", "--port", "2"}, Map.of()).config().port());
    }

    @Test
    void booleanFlagWithoutValueMeansTrue() {
        assertTrue(ConfigLoader.load(new String[] {"--dev-clock=false", "--dev-clock"}, Map.of()).config().devClock());
        SluiceConfig c = ConfigLoader.load(new String[] {"--dev-clock", "--port=5"}, Map.of("SLUICE_DEV_CLOCK", "false"))
                .config();
        assertTrue(c.devClock());
        assertEquals(5, c.port());
        assertFalse(ConfigLoader.load(new String[] {"--dev-clock", "false"}, Map.of()).config().devClock());
    }

    @Test
    void flagWithoutValueIsRejected() {
        assertEquals("flag --port needs a value, as in --port=VALUE", error(new String[] {"--port"}, Map.of()));
        assertEquals("flag --bind-address needs a value, as in --bind-address=VALUE",
                error(new String[] {"--bind-address", "--port=1"}, Map.of()));
        assertEquals("flag --config needs a value, as in --config=VALUE", error(new String[] {"--config"}, Map.of()));
    }

    @Test
    void unknownFlagIsRejectedByName() {
        assertEquals("unknown flag --max-events; run with --help to list flags",
                error(new String[] {"--max-events=3"}, Map.of()));
        assertEquals("unknown flag --maxEventBytes (did you mean --max-event-bytes?); run with --help to list flags",
                error(new String[] {"--maxEventBytes", "1KiB"}, Map.of()));
        assertEquals("unknown flag --log-format; run with --help to list flags",
                error(new String[] {"--log-format=json"}, Map.of()));
    }

    @Test
    void strayArgumentIsRejected() {
        assertEquals("unexpected argument 'serve': settings are flags such as --port=8080; run with --help to list them",
                error(new String[] {"serve"}, Map.of()));
        assertEquals("unexpected argument '-p': settings are flags such as --port=8080; run with --help to list them",
                error(new String[] {"-p", "80"}, Map.of()));
    }

    @Test
    void unknownFileKeyIsRejectedWithFileAndLine() throws IOException {
        Path path = file("port = 1", "# comment", "portt = 2");
        assertEquals("unknown key 'portt' in config file " + path + " line 3; run with --help to list keys",
                error(new String[] {"--config", path.toString()}, Map.of()));
        Path snake = file("max_event_bytes = 1KiB");
        assertEquals("unknown key 'max_event_bytes' in config file " + snake
                        + " line 1 (did you mean maxEventBytes?); run with --help to list keys",
                error(new String[] {"--config", snake.toString()}, Map.of()));
    }

    @Test
    void malformedFileLineIsRejected() throws IOException {
        Path path = file("port 8080");
        assertEquals("malformed line 'port 8080' in config file " + path
                        + " line 1: expected 'key = value' or a comment starting with '#'",
                error(new String[] {"--config", path.toString()}, Map.of()));
    }

    @Test
    void keySetTwiceInFileIsRejected() throws IOException {
        Path path = file("port = 1", "", "port = 2");
        assertEquals("key port is set twice in config file " + path + " (lines 1 and 3)",
                error(new String[] {"--config", path.toString()}, Map.of()));
    }

    @Test
    void byteOrderMarkIsIgnored() throws IOException {
        Path path = dir.resolve("bom.conf");
        Files.write(path, "\uFEFFport = 4242\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(4242, ConfigLoader.load(new String[] {"--config", path.toString()}, Map.of()).config().port());
    }

    @Test
    void missingConfigFileNamesPathAndReason() {
        Path missing = dir.resolve("missing.conf");
        assertEquals("cannot read config file '" + missing + "' (from flag --config): no such file",
                error(new String[] {"--config=" + missing}, Map.of()));
        assertEquals("cannot read config file '" + missing + "' (from environment SLUICE_CONFIG): no such file",
                error(NO_ARGS, Map.of("SLUICE_CONFIG", missing.toString())));
    }

    @Test
    void configFileThatIsNotUtf8IsRejected() throws IOException {
        Path path = dir.resolve("latin1.conf");
        Files.write(path, new byte[] {'p', 'o', 'r', 't', '=', '1', ' ', '#', (byte) 0xE9, '\n'});
        assertEquals("cannot read config file '" + path + "' (from flag --config): not valid UTF-8",
                error(new String[] {"--config", path.toString()}, Map.of()));
    }

    @Test
    void directoryAsConfigFileIsRejected() {
        String message = error(new String[] {"--config", dir.toString()}, Map.of());
        assertTrue(message.startsWith("cannot read config file '" + dir + "' (from flag --config): "), message);
    }

    @Test
    void unknownSluiceEnvironmentVariableIsAWarning() {
        Map<String, String> env = Map.of("SLUICE_FROB", "1", "SLUICE_MAXEVENTBYTES", "2", "PATH", "/bin",
                "SLUICE_PORT", "1234");
        ConfigLoader.LoadedConfig loaded = ConfigLoader.load(NO_ARGS, env);
        assertEquals(1234, loaded.config().port());
        assertEquals(List.of("ignoring unknown environment variable SLUICE_FROB",
                "ignoring unknown environment variable SLUICE_MAXEVENTBYTES (did you mean SLUICE_MAX_EVENT_BYTES?)"),
                loaded.warnings());
    }

    @Test
    void errorsNameKeyValueAndSource() throws IOException {
        assertEquals("invalid maxEventBytes 'lots' (from environment SLUICE_MAX_EVENT_BYTES): expected a size such as"
                        + " 512, 64KiB or 1MiB between 1 and 16MiB",
                error(NO_ARGS, Map.of("SLUICE_MAX_EVENT_BYTES", "lots")));
        assertEquals("invalid maxEventBytes 'lots' (from flag --max-event-bytes): expected a size such as"
                        + " 512, 64KiB or 1MiB between 1 and 16MiB",
                error(new String[] {"--max-event-bytes", "lots"}, Map.of()));
        Path path = file("", "maxEventBytes = lots");
        assertEquals("invalid maxEventBytes 'lots' (from config file " + path + " line 2): expected a size such as"
                        + " 512, 64KiB or 1MiB between 1 and 16MiB",
                error(new String[] {"--config", path.toString()}, Map.of()));
    }

    @Test
    void jwksUrlMustBeAnAbsoluteHttpsHttpOrFileUrl() {
        String allowed = "expected empty (off) or an https:// URL such as https://idp.example.com/.well-known/jwks.json"
                + " (http:// and file: for tests and air-gapped set-ups)";
        for (String bad : List.of("idp.example.com/jwks.json", "ftp://idp.example.com/jwks.json", "https://",
                "https:///jwks.json", "https://idp.example.com/jwks.json#keys", "https://idp example.com/jwks",
                "file:", "file:relative/jwks.json", "jwks.json", "https://[::1/jwks")) {
            assertEquals("invalid jwksUrl '" + bad + "' (from flag --jwks-url): " + allowed,
                    error(new String[] {"--jwks-url=" + bad}, Map.of()), bad);
        }
        for (String good : List.of("https://idp.example.com/.well-known/jwks.json",
                "https://login.microsoftonline.com/tenant/discovery/v2.0/keys?appid=x", "http://127.0.0.1:8081/certs",
                "https://[::1]:8443/jwks", "file:/etc/sluice/jwks.json", "file:///etc/sluice/jwks.json")) {
            SluiceConfig c = ConfigLoader.load(new String[] {"--jwks-url=" + good}, Map.of()).config();
            assertEquals(good, c.jwksUrl());
            assertTrue(c.authConfigured(), "a JWK set alone turns auth on");
        }
    }

    @Test
    void identityProviderKeysAreReadFromEverySource() throws IOException {
        Path path = file("jwksUrl = https://idp.example.com/jwks", "jwtIssuer = https://idp.example.com/");
        SluiceConfig c = ConfigLoader.load(new String[] {"--config", path.toString(), "--jwt-claim=https://x.example/g"},
                Map.of("SLUICE_JWT_AUDIENCE", "api://sluice", "SLUICE_JWKS_REFRESH_INTERVAL", "90s")).config();

        assertEquals("https://idp.example.com/jwks", c.jwksUrl());
        assertEquals("https://idp.example.com/", c.jwtIssuer());
        assertEquals("api://sluice", c.jwtAudience());
        assertEquals("https://x.example/g", c.jwtClaim());
        assertEquals(Duration.ofSeconds(90), c.jwksRefreshInterval());
        assertEquals("", ConfigLoader.load(new String[] {"--jwt-claim="}, Map.of()).config().jwtClaim(),
                "empty: no grants claim");
        assertEquals("invalid jwksRefreshInterval '500ms' (from flag --jwks-refresh-interval): expected a duration such"
                + " as 250ms, 15s, 5m or 1h between 1s and 24h", error(new String[] {"--jwks-refresh-interval=500ms"}, Map.of()));
        assertTrue(error(NO_ARGS, Map.of("SLUICE_JWT_ISSUER", "a\u0007b")).startsWith("invalid jwtIssuer "));
        assertTrue(error(NO_ARGS, Map.of("SLUICE_JWT_AUDIENCE", "x".repeat(1025))).startsWith("invalid jwtAudience "));
    }

    @Test
    void badFileValueIsAnErrorEvenWhenOverridden() throws IOException {
        Path path = file("port = abc");
        assertEquals("invalid port 'abc' (from config file " + path + " line 1): expected an integer between 0 and 65535",
                error(new String[] {"--config", path.toString(), "--port=80"}, Map.of()));
    }

    @Test
    void bodyMustHoldTheLargestEvent() throws IOException {
        assertEquals("invalid maxBodyBytes '32KiB' (from flag --max-body-bytes): must be at least maxEventBytes,"
                + " which is '64KiB' (from default)", error(new String[] {"--max-body-bytes=32KiB"}, Map.of()));
        Path path = file("maxBodyBytes = 1MiB");
        assertEquals("invalid maxBodyBytes '1MiB' (from config file " + path + " line 1): must be at least"
                        + " maxEventBytes, which is '2MiB' (from environment SLUICE_MAX_EVENT_BYTES)",
                error(new String[] {"--config", path.toString()}, Map.of("SLUICE_MAX_EVENT_BYTES", "2MiB")));
        SluiceConfig c = ConfigLoader.load(new String[] {"--max-body-bytes=2MiB"},
                Map.of("SLUICE_MAX_EVENT_BYTES", "2MiB")).config();
        assertEquals(2097152L, c.maxBodyBytes());
        assertEquals(2097152L, c.maxEventBytes());
    }

    @Test
    void highWaterMarkMustBeAtLeastLowWaterMark() {
        assertEquals("invalid writeBufferHighWaterMark '64KiB' (from default): must be at least writeBufferLowWaterMark,"
                        + " which is '128KiB' (from flag --write-buffer-low-water-mark)",
                error(new String[] {"--write-buffer-low-water-mark=128KiB"}, Map.of()));
        SluiceConfig c = ConfigLoader.load(new String[] {"--write-buffer-low-water-mark=128KiB",
            "--write-buffer-high-water-mark=256KiB"}, Map.of()).config();
        assertEquals(131072, c.writeBufferLowWaterMark());
        assertEquals(262144, c.writeBufferHighWaterMark());
    }

    @Test
    void helpIsDetectedAndIgnoredByLoad() {
        assertTrue(ConfigLoader.isHelpRequested(new String[] {"--port=1", "--help"}));
        assertTrue(ConfigLoader.isHelpRequested(new String[] {"-h"}));
        assertFalse(ConfigLoader.isHelpRequested(new String[] {"--port=1"}));
        assertFalse(ConfigLoader.isHelpRequested(NO_ARGS));
        assertEquals(1, ConfigLoader.load(new String[] {"--help", "--port=1"}, Map.of()).config().port());
    }

    @Test
    void helpTextDescribesEveryKey() {
        String help = ConfigLoader.helpText();
        for (ConfigKey<?> key : ConfigKey.all()) {
            String entry = "  " + key.name() + "  " + key.flag() + ", " + key.envVar() + "  (default "
                    + (key.defaultText().isEmpty() ? "empty" : key.defaultText()) + ")\n      " + key.description()
                    + "\n      Allowed: " + key.allowed() + ".\n";
            assertTrue(help.contains(entry), "help text lacks " + key.name() + ":\n" + help);
        }
        assertTrue(help.contains("--config FILE, SLUICE_CONFIG"));
        assertTrue(help.contains("  maxBodyBytes  --max-body-bytes, SLUICE_MAX_BODY_BYTES  (default 1MiB)\n"
                + "      Largest publish request body; a larger one is rejected with 413.\n"
                + "      Allowed: a size such as 512, 64KiB or 1MiB between 1 and 64MiB, and at least maxEventBytes.\n"),
                help);
    }

    @Test
    void markdownTableHasOneRowPerKey() {
        String table = ConfigLoader.markdownTable();
        List<String> lines = table.lines().toList();
        assertEquals("| key | env | flag | default | meaning |", lines.get(0));
        assertEquals("|---|---|---|---|---|", lines.get(1));
        assertEquals(2 + ConfigKey.all().size(), lines.size());
        for (int i = 0; i < ConfigKey.all().size(); i++) {
            ConfigKey<?> key = ConfigKey.all().get(i);
            assertTrue(lines.get(i + 2).startsWith("| `" + key.name() + "` | `" + key.envVar() + "` | `" + key.flag()
                    + "` | " + (key.defaultText().isEmpty() ? "(empty)" : "`" + key.defaultText() + "`") + " | "),
                    lines.get(i + 2));
        }
        assertEquals("| `heartbeatInterval` | `SLUICE_HEARTBEAT_INTERVAL` | `--heartbeat-interval` | `15s` | A stream that"
                + " has sent nothing for this long gets a comment line, keeping proxies from timing it out. Allowed: a"
                + " duration such as 250ms, 15s, 5m or 1h between 100ms and 1h. |", lines.get(5));
    }

    @Test
    void listsAreCommaSeparatedTrimmedAndCheckedPerItem() {
        SluiceConfig c = ConfigLoader.load(new String[] {"--public-topics= news/* , status,user/@x",
            "--allowed-origins=https://app.example.com,http://localhost:3000,http://[::1]:8080",
            "--trusted-proxies=127.0.0.1,10.0.0.0/8,::1,fd00::/8"}, Map.of()).config();
        assertEquals(List.of("news/*", "status", "user/@x"), c.publicTopics());
        assertEquals(List.of("https://app.example.com", "http://localhost:3000", "http://[::1]:8080"), c.allowedOrigins());
        assertEquals(List.of("127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"), c.trustedProxies());
        assertEquals(List.of(), SluiceConfig.defaults().publicTopics());
        assertTrue(error(new String[] {"--public-topics=a,,b"}, Map.of()).contains("empty item in the list"));
        assertTrue(error(new String[] {"--public-topics=news/#"}, Map.of()).contains("item 'news/#' is not allowed"));
        assertTrue(error(new String[] {"--allowed-origins=https://a.example/path"}, Map.of()).contains("allowedOrigins"));
        assertTrue(error(new String[] {"--trusted-proxies=10.0.0.0/33"}, Map.of()).contains("trustedProxies"));
        assertTrue(error(new String[] {"--trusted-proxies=proxy.example"}, Map.of()).contains("trustedProxies"));
    }

    @Test
    void secretsAreNeverQuotedInErrors() {
        String secret = error(new String[] {"--jwt-secret=too-short-secret"}, Map.of());
        assertFalse(secret.contains("too-short-secret"), secret);
        assertTrue(secret.startsWith("invalid jwtSecret (16 characters, not shown) (from flag --jwt-secret)"), secret);
        String keys = error(new String[] {"--publish-keys=short"}, Map.of());
        assertFalse(keys.contains("short'"), keys);
        assertTrue(keys.contains("publishKeys (5 characters, not shown)"), keys);
        SluiceConfig c = ConfigLoader.load(new String[] {"--jwt-secret=0123456789abcdef0123456789abcdef",
            "--publish-keys=pk_live_0123456789abcdef"}, Map.of()).config();
        assertTrue(c.authConfigured());
        assertFalse(c.toString().contains("0123456789abcdef"), c.toString());
        assertFalse(SluiceConfig.defaults().authConfigured());
    }
}
