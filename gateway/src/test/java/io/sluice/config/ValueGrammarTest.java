package io.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The value grammars, read through flags so the whole path from text to config is covered. */
class ValueGrammarTest {
    private static final String DURATION_ALLOWED =
            "expected a duration such as 250ms, 15s, 5m or 1h between 100ms and 1h";
    private static final String EVENT_SIZE_ALLOWED = "expected a size such as 512, 64KiB or 1MiB between 1 and 16MiB";

    private static SluiceConfig flags(String... args) {
        return ConfigLoader.load(args, Map.of()).config();
    }

    private static String error(String... args) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(args, Map.of())).getMessage();
    }

    @ParameterizedTest
    @CsvSource({"250ms, 250", "100ms, 100", "15s, 15000", "5m, 300000", "1h, 3600000", "90s, 90000"})
    void durationsWithUnits(String text, long millis) {
        assertEquals(Duration.ofMillis(millis), flags("--heartbeat-interval=" + text).heartbeatInterval());
    }

    @Test
    void durationWithoutUnitIsRejectedSayingSo() {
        assertEquals("invalid heartbeatInterval '15' (from flag --heartbeat-interval): a duration needs a unit"
                + " (ms, s, m or h); " + DURATION_ALLOWED, error("--heartbeat-interval=15"));
    }

    @Test
    void durationWithUnknownUnitNamesIt() {
        assertEquals("invalid heartbeatInterval '15sec' (from flag --heartbeat-interval): unknown unit 'sec'"
                + " (units are ms, s, m and h); " + DURATION_ALLOWED, error("--heartbeat-interval=15sec"));
        assertEquals("invalid heartbeatInterval '15S' (from flag --heartbeat-interval): unknown unit 'S'"
                + " (units are ms, s, m and h); " + DURATION_ALLOWED, error("--heartbeat-interval=15S"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-5s", "1.5s", "s", "", "2h", "99ms", "0s", "61m", "99999999999999999999s", "9223372036854775807h"})
    void badOrOutOfRangeDurations(String text) {
        assertEquals("invalid heartbeatInterval '" + text + "' (from flag --heartbeat-interval): " + DURATION_ALLOWED,
                error("--heartbeat-interval=" + text));
    }

    @ParameterizedTest
    @CsvSource({"512, 512", "1, 1", "64KiB, 65536", "1MiB, 1048576", "16MiB, 16777216", "0016KiB, 16384"})
    void sizes(String text, long bytes) {
        assertEquals(bytes, flags("--max-event-bytes=" + text, "--max-body-bytes=64MiB").maxEventBytes());
    }

    @Test
    void gibibytesParse() throws ValueType.Rejected {
        assertEquals(1L << 30, ValueType.size(1, 4 * ValueType.GIB).read("1GiB"));
        assertEquals(3L << 30, ValueType.size(1, 4 * ValueType.GIB).read("3GiB"));
    }

    @Test
    void sizeWithUnknownUnitNamesIt() {
        assertEquals("invalid maxEventBytes '12XB' (from flag --max-event-bytes): unknown unit 'XB'"
                + " (units are KiB, MiB and GiB); " + EVENT_SIZE_ALLOWED, error("--max-event-bytes=12XB"));
        assertEquals("invalid maxEventBytes '64KB' (from flag --max-event-bytes): unknown unit 'KB'"
                + " (units are KiB, MiB and GiB); " + EVENT_SIZE_ALLOWED, error("--max-event-bytes=64KB"));
        assertEquals("invalid maxEventBytes '64kib' (from flag --max-event-bytes): unknown unit 'kib'"
                + " (units are KiB, MiB and GiB); " + EVENT_SIZE_ALLOWED, error("--max-event-bytes=64kib"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "0", "lots", "KiB", "1.5MiB", "17MiB", "1GiB", "99999999999999999999",
        "9007199254740992GiB"})
    void badOrOutOfRangeSizes(String text) {
        assertEquals("invalid maxEventBytes '" + text + "' (from flag --max-event-bytes): " + EVENT_SIZE_ALLOWED,
                error("--max-event-bytes=" + text));
    }

    @Test
    void intSizesRejectValuesBeyondAnInt() {
        assertEquals("invalid maxHeaderSize '4GiB' (from flag --max-header-size): expected a size such as 512,"
                + " 64KiB or 1MiB between 1KiB and 1MiB", error("--max-header-size=4GiB"));
        assertEquals(2048, flags("--max-header-size=2KiB").maxHeaderSize());
    }

    @ParameterizedTest
    @CsvSource({"0, 0", "65535, 65535", "080, 80"})
    void integers(String text, int port) {
        assertEquals(port, flags("--port=" + text).port());
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "65536", "+80", "8_080", "80.0", "0x50", "eighty", "99999999999999999999", "٨٠"})
    void badOrOutOfRangeIntegers(String text) {
        assertEquals("invalid port '" + text + "' (from flag --port): expected an integer between 0 and 65535",
                error("--port=" + text));
    }

    @Test
    void negativeIntegerParsesButFailsTheRange() {
        assertEquals("invalid eventLoopThreads '-4' (from flag --event-loop-threads): expected an integer between"
                + " 0 and 1024", error("--event-loop-threads", "-4"));
    }

    @ParameterizedTest
    @CsvSource({"true, true", "false, false", "TRUE, true", "False, false"})
    void booleans(String text, boolean value) {
        assertEquals(value, flags("--dev-clock=" + text).devClock());
    }

    @ParameterizedTest
    @ValueSource(strings = {"yes", "no", "1", "0", "on"})
    void otherBooleanSpellingsAreRejected(String text) {
        assertEquals("invalid devClock '" + text + "' (from flag --dev-clock): expected true or false",
                error("--dev-clock=" + text));
    }

    @ParameterizedTest
    @CsvSource({"auto, AUTO", "epoll, EPOLL", "NIO, NIO", "Epoll, EPOLL"})
    void transports(String text, SluiceConfig.Transport transport) {
        assertEquals(transport, flags("--transport=" + text).transport());
    }

    @Test
    void unknownTransportListsTheChoices() {
        assertEquals("invalid transport 'kqueue' (from flag --transport): expected one of auto, epoll, nio, io_uring",
                error("--transport=kqueue"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"redis://localhost:6379", "redis://127.0.0.1", "rediss://cache.internal:6380/2",
        "redis://:s3cret@r:6379", "redis://app:s3cret@r:6379/0", "redis://[::1]:6379", "redis://app:p%40ss@r"})
    void backplaneIsLocalOrARedisUrl(String url) {
        assertEquals("local", flags("--backplane=LOCAL").backplane());
        assertEquals(url, flags("--backplane=" + url).backplane());
    }

    @Test
    void badBackplaneSaysWhatIsAllowedWithoutQuotingThePassword() {
        assertEquals("invalid backplane 'redis' (from flag --backplane): expected local, or"
                + " redis://[[user]:password@]host[:port][/db] (rediss:// for TLS)", error("--backplane=redis"));
        assertEquals("invalid backplane 'redis://***@r:99999' (from flag --backplane): port 99999 is not between 1 and"
                + " 65535; expected local, or redis://[[user]:password@]host[:port][/db] (rediss:// for TLS)",
                error("--backplane=redis://app:hunter2@r:99999"));
        assertEquals("invalid backplane 'redis://***@r' (from flag --backplane): credentials must be user:password or"
                + " :password; expected local, or redis://[[user]:password@]host[:port][/db] (rediss:// for TLS)",
                error("--backplane=redis://hunter2@r"));
    }

    @Test
    void redisStreamRetention() {
        SluiceConfig c = flags("--redis-stream-max-len=0", "--redis-stream-max-age=10m", "--redis-stream-key=app:sse");
        assertEquals(0, c.redisStreamMaxLen());
        assertEquals(Duration.ofMinutes(10), c.redisStreamMaxAge());
        assertEquals("app:sse", c.redisStreamKey());
        assertEquals("invalid redisStreamKey 'a b' (from flag --redis-stream-key): expected 1 to 200 printable ASCII"
                + " characters without spaces", error("--redis-stream-key=a b"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1", "::", "gateway.internal", "localhost"})
    void bindAddresses(String text) {
        assertEquals(text, flags("--bind-address=" + text).bindAddress());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "my host", "a\tb"})
    void badBindAddresses(String text) {
        String expected = "invalid bindAddress '" + text.strip() + "' (from flag --bind-address): expected an IP address"
                + " or host name (non-empty, no whitespace)";
        assertEquals(expected, error("--bind-address=" + text));
    }

    @Test
    void valuesAreTrimmed() {
        assertEquals(81, flags("--port= 81 ").port());
    }
}
