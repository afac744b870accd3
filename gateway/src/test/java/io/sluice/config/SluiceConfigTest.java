package io.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SluiceConfigTest {

    @Test
    void defaultsHoldTheDocumentedValues() {
        SluiceConfig c = SluiceConfig.defaults();
        assertEquals(8080, c.port());
        assertEquals(9090, c.managementPort());
        assertEquals("0.0.0.0", c.bindAddress());
        assertEquals(Duration.ofSeconds(15), c.heartbeatInterval());
        assertEquals(3000, c.reconnectMillis());
        assertEquals(1000, c.historySize());
        assertEquals(1000, c.maxStreamLag());
        assertEquals(32, c.maxTopicsPerConnection());
        assertEquals(65536L, c.maxEventBytes());
        assertEquals(1048576L, c.maxBodyBytes());
        assertEquals(8192, c.maxInitialLineLength());
        assertEquals(16384, c.maxHeaderSize());
        assertEquals(32768, c.writeBufferLowWaterMark());
        assertEquals(65536, c.writeBufferHighWaterMark());
        assertEquals(65536, c.fanoutQueueCapacity());
        assertEquals(0, c.eventLoopThreads());
        assertEquals(SluiceConfig.Transport.AUTO, c.transport());
        assertEquals("local", c.backplane());
        assertEquals(null, c.redisAddress());
        assertEquals("sluice:events", c.redisStreamKey());
        assertEquals(100_000, c.redisStreamMaxLen());
        assertEquals(Duration.ofHours(1), c.redisStreamMaxAge());
        assertEquals(true, c.devClock());
        assertEquals("", c.jwksUrl());
        assertEquals(Duration.ofMinutes(5), c.jwksRefreshInterval());
        assertEquals("", c.jwtIssuer());
        assertEquals("", c.jwtAudience());
        assertEquals("sluice", c.jwtClaim());
    }

    @Test
    void loadingNothingGivesTheDefaults() {
        ConfigLoader.LoadedConfig loaded = ConfigLoader.load(new String[0], Map.of());
        assertEquals(SluiceConfig.defaults(), loaded.config());
        assertEquals(List.of(), loaded.warnings());
    }

    @Test
    void keysAreDeclaredInTheOrderOfTheRecordComponents() {
        List<String> components = Arrays.stream(SluiceConfig.class.getRecordComponents())
                .map(RecordComponent::getName).collect(Collectors.toList());
        List<String> keys = ConfigKey.all().stream().map(ConfigKey::name).collect(Collectors.toList());
        assertEquals(components, keys);
    }

    @Test
    void namesDeriveEnvironmentVariableAndFlag() {
        assertEquals("SLUICE_MAX_EVENT_BYTES", ConfigKey.MAX_EVENT_BYTES.envVar());
        assertEquals("--max-event-bytes", ConfigKey.MAX_EVENT_BYTES.flag());
        assertEquals("SLUICE_WRITE_BUFFER_HIGH_WATER_MARK", ConfigKey.WRITE_BUFFER_HIGH_WATER_MARK.envVar());
        assertEquals("--write-buffer-high-water-mark", ConfigKey.WRITE_BUFFER_HIGH_WATER_MARK.flag());
        assertEquals("SLUICE_PORT", ConfigKey.PORT.envVar());
        assertEquals("--port", ConfigKey.PORT.flag());
    }

    @Test
    void defaultTextIsWrittenInTheValueGrammar() {
        assertEquals("15s", ConfigKey.HEARTBEAT_INTERVAL.defaultText());
        assertEquals("64KiB", ConfigKey.MAX_EVENT_BYTES.defaultText());
        assertEquals("1MiB", ConfigKey.MAX_BODY_BYTES.defaultText());
        assertEquals("auto", ConfigKey.TRANSPORT.defaultText());
        assertEquals("true", ConfigKey.DEV_CLOCK.defaultText());
        assertEquals("0.0.0.0", ConfigKey.BIND_ADDRESS.defaultText());
        assertEquals("65536", ConfigKey.FANOUT_QUEUE_CAPACITY.defaultText());
    }

    @Test
    void constructorRejectsAValueOutOfRange() {
        ConfigException e = assertThrows(ConfigException.class, () -> with(Map.of("port", 70000)));
        assertEquals("invalid port '70000' (from SluiceConfig constructor): expected an integer between 0 and 65535",
                e.getMessage());
    }

    @Test
    void constructorRejectsNull() {
        ConfigException e = assertThrows(ConfigException.class, () -> with(nullFor("heartbeatInterval")));
        assertEquals("invalid heartbeatInterval 'null' (from SluiceConfig constructor): expected a duration such as"
                + " 250ms, 15s, 5m or 1h between 100ms and 1h", e.getMessage());
        e = assertThrows(ConfigException.class, () -> with(nullFor("transport")));
        assertEquals("invalid transport 'null' (from SluiceConfig constructor): expected one of auto, epoll, nio, io_uring",
                e.getMessage());
    }

    @Test
    void constructorRejectsADurationBelowItsMinimum() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> with(Map.of("heartbeatInterval", Duration.ofMillis(99))));
        assertEquals("invalid heartbeatInterval '99ms' (from SluiceConfig constructor): expected a duration such as"
                + " 250ms, 15s, 5m or 1h between 100ms and 1h", e.getMessage());
    }

    @Test
    void constructorRejectsABackplaneThatIsNeitherLocalNorRedis() {
        ConfigException e = assertThrows(ConfigException.class, () -> with(Map.of("backplane", "nats://n:4222")));
        assertEquals("invalid backplane 'nats://n:4222' (from SluiceConfig constructor): expected local, or"
                + " redis://[[user]:password@]host[:port][/db] (rediss:// for TLS)", e.getMessage());
    }

    @Test
    void redisBackplaneIsParsedAndItsPasswordNeverShown() {
        SluiceConfig c = with(Map.of("backplane", "rediss://app:hunter2@cache.internal:6380/3"));
        assertEquals(new RedisAddress(true, "app", "hunter2", "cache.internal", 6380, 3), c.redisAddress());
        assertEquals("rediss://***@cache.internal:6380/3", c.redisAddress().toString());
        assertFalse(c.toString().contains("hunter2"), c.toString());
        ConfigException e = assertThrows(ConfigException.class,
                () -> with(Map.of("backplane", "redis://app:hunter2@cache.internal:0")));
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    @Test
    void constructorAppliesTheCrossKeyRules() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> with(Map.of("maxEventBytes", 2048L, "maxBodyBytes", 1024L)));
        assertEquals("invalid maxBodyBytes '1KiB' (from SluiceConfig constructor): must be at least maxEventBytes,"
                + " which is '2KiB' (from SluiceConfig constructor)", e.getMessage());
        e = assertThrows(ConfigException.class,
                () -> with(Map.of("writeBufferLowWaterMark", 4096, "writeBufferHighWaterMark", 4095)));
        assertEquals("invalid writeBufferHighWaterMark '4095' (from SluiceConfig constructor): must be at least"
                + " writeBufferLowWaterMark, which is '4KiB' (from SluiceConfig constructor)", e.getMessage());
    }

    @Test
    void constructorAcceptsEqualValuesForCrossKeyRules() {
        SluiceConfig c = with(Map.of("maxEventBytes", 4096L, "maxBodyBytes", 4096L,
                "writeBufferLowWaterMark", 100, "writeBufferHighWaterMark", 100));
        assertEquals(4096L, c.maxBodyBytes());
        assertEquals(100, c.writeBufferHighWaterMark());
    }

    @Test
    void effectiveMaxStreamLagIsBoundedByHistory() {
        assertEquals(1000, SluiceConfig.defaults().effectiveMaxStreamLag());
        assertEquals(10, with(Map.of("historySize", 10, "maxStreamLag", 500)).effectiveMaxStreamLag());
        assertEquals(7, with(Map.of("historySize", 100, "maxStreamLag", 7)).effectiveMaxStreamLag());
        assertEquals(0, with(Map.of("historySize", 0)).effectiveMaxStreamLag());
    }

    @Test
    void zeroEventLoopThreadsMeansOnePerProcessor() {
        assertEquals(Runtime.getRuntime().availableProcessors(), SluiceConfig.defaults().resolvedEventLoopThreads());
        assertEquals(3, with(Map.of("eventLoopThreads", 3)).resolvedEventLoopThreads());
    }

    private static Map<String, Object> nullFor(String component) {
        Map<String, Object> overrides = new HashMap<>();
        overrides.put(component, null);
        return overrides;
    }

    /** The defaults with the named components replaced, built through the canonical constructor. */
    static SluiceConfig with(Map<String, Object> overrides) {
        SluiceConfig defaults = SluiceConfig.defaults();
        RecordComponent[] components = SluiceConfig.class.getRecordComponents();
        Object[] args = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        try {
            for (int i = 0; i < components.length; i++) {
                String name = components[i].getName();
                types[i] = components[i].getType();
                args[i] = overrides.containsKey(name) ? overrides.get(name) : components[i].getAccessor().invoke(defaults);
            }
            Constructor<SluiceConfig> constructor = SluiceConfig.class.getDeclaredConstructor(types);
            return constructor.newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new AssertionError(e);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void withChangesOneKeyAndValidatesTheResult() {
        SluiceConfig defaults = SluiceConfig.defaults();
        SluiceConfig changed = defaults.with(ConfigKey.HISTORY_SIZE, 7).with(ConfigKey.WARMUP, Duration.ZERO);
        assertEquals(7, changed.historySize());
        assertEquals(Duration.ZERO, changed.warmup());
        assertEquals(defaults.with(ConfigKey.HISTORY_SIZE, 7).with(ConfigKey.WARMUP, Duration.ZERO), changed);
        assertEquals(defaults.port(), changed.port());
        assertEquals(SluiceConfig.DEFAULT_WARMUP, defaults.warmup(), "with() copies, the original is unchanged");
        assertThrows(ConfigException.class, () -> defaults.with(ConfigKey.HISTORY_SIZE, -1));
    }
}
