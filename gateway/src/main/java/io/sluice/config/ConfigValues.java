package io.sluice.config;

import java.util.HashMap;
import java.util.Map;

/**
 * A value for every configuration key together with the text it was read from and its source, on the way to
 * a {@link SluiceConfig}. {@link #validate()} is the one validation both {@link ConfigLoader} and the
 * {@link SluiceConfig} constructor run; the sources it carries let errors say where each value came from.
 * Single-threaded, used once.
 */
final class ConfigValues {
    static final String DEFAULT_SOURCE = "default";

    private final Map<ConfigKey<?>, Entry<?>> entries = new HashMap<>();

    /** One key's value, the text to quote for it in messages, and where it came from. */
    private record Entry<T>(ConfigKey<T> key, T value, String text, String source) {
    }

    /** Every key at its default value. */
    static ConfigValues defaults() {
        ConfigValues values = new ConfigValues();
        for (ConfigKey<?> key : ConfigKey.all()) {
            values.setDefault(key);
        }
        return values;
    }

    /** Sets {@code key} to {@code value}, unchecked until {@link #validate()}; quoted in messages in its own grammar. */
    <T> ConfigValues set(ConfigKey<T> key, T value, String source) {
        entries.put(key, new Entry<>(key, value, key.format(value), source));
        return this;
    }

    /**
     * Sets {@code key} from {@code text} read from {@code source}.
     *
     * @throws ConfigException if the text is malformed or out of range; no cross-key rule is checked yet
     */
    <T> ConfigValues read(ConfigKey<T> key, String text, String source) {
        entries.put(key, new Entry<>(key, key.read(text, source), text, source));
        return this;
    }

    /**
     * Checks that every key has a value in its range and every cross-key rule holds.
     *
     * @throws ConfigException naming the first offending key (in key order), its value and source, and what is
     *         allowed; for a cross-key rule, both keys with their values and sources
     * @throws IllegalStateException if a key was never set, which is a programming error
     */
    void validate() {
        for (ConfigKey<?> key : ConfigKey.all()) {
            checkRange(entry(key));
        }
        for (ConfigKey<?> key : ConfigKey.all()) {
            checkFloor(entry(key));
        }
    }

    /** Whether {@code key} still holds its default (no file, environment or flag set it). */
    boolean isDefault(ConfigKey<?> key) {
        return DEFAULT_SOURCE.equals(entry(key).source());
    }

    /** Where the value of {@code key} came from, as messages name it. */
    String sourceOf(ConfigKey<?> key) {
        return entry(key).source();
    }

    /** The value of {@code key}; only meaningful after {@link #validate()}. */
    <T> T get(ConfigKey<T> key) {
        return entry(key).value();
    }

    /** The configuration holding these values; throws {@link ConfigException} if they are invalid. */
    SluiceConfig toConfig() {
        return new SluiceConfig(
                get(ConfigKey.PORT),
                get(ConfigKey.MANAGEMENT_PORT),
                get(ConfigKey.BIND_ADDRESS),
                get(ConfigKey.HEARTBEAT_INTERVAL),
                get(ConfigKey.RECONNECT_MILLIS),
                get(ConfigKey.HISTORY_SIZE),
                get(ConfigKey.MAX_STREAM_LAG),
                get(ConfigKey.MAX_TOPICS_PER_CONNECTION),
                get(ConfigKey.MAX_EVENT_BYTES),
                get(ConfigKey.MAX_BODY_BYTES),
                get(ConfigKey.HISTORY_MAX_AGE),
                get(ConfigKey.HISTORY_MAX_BYTES),
                get(ConfigKey.MAX_INITIAL_LINE_LENGTH),
                get(ConfigKey.MAX_HEADER_SIZE),
                get(ConfigKey.WRITE_BUFFER_LOW_WATER_MARK),
                get(ConfigKey.WRITE_BUFFER_HIGH_WATER_MARK),
                get(ConfigKey.FANOUT_QUEUE_CAPACITY),
                get(ConfigKey.EVENT_LOOP_THREADS),
                get(ConfigKey.TRANSPORT),
                get(ConfigKey.DEFER_ACCEPT),
                get(ConfigKey.BACKPLANE),
                get(ConfigKey.REDIS_STREAM_KEY),
                get(ConfigKey.REDIS_STREAM_MAX_LEN),
                get(ConfigKey.REDIS_STREAM_MAX_AGE),
                get(ConfigKey.DEV_CLOCK),
                get(ConfigKey.JWT_SECRET),
                get(ConfigKey.JWT_PUBLIC_KEY_FILE),
                get(ConfigKey.JWT_CLOCK_SKEW),
                get(ConfigKey.JWKS_URL),
                get(ConfigKey.JWKS_REFRESH_INTERVAL),
                get(ConfigKey.JWT_ISSUER),
                get(ConfigKey.JWT_AUDIENCE),
                get(ConfigKey.JWT_CLAIM),
                get(ConfigKey.PUBLISH_KEYS),
                get(ConfigKey.PUBLIC_TOPICS),
                get(ConfigKey.PRESENCE_TOPICS),
                get(ConfigKey.ALLOWED_ORIGINS),
                get(ConfigKey.MAX_CONNECTIONS),
                get(ConfigKey.MAX_CONNECTIONS_PER_USER),
                get(ConfigKey.TRUSTED_PROXIES),
                get(ConfigKey.REQUEST_HEADER_TIMEOUT),
                get(ConfigKey.IDLE_TIMEOUT),
                get(ConfigKey.ACCESS_LOG),
                get(ConfigKey.DRAIN_WINDOW),
                get(ConfigKey.MAX_STREAM_LIFETIME),
                get(ConfigKey.WARMUP));
    }

    private <T> void setDefault(ConfigKey<T> key) {
        set(key, key.defaultValue(), DEFAULT_SOURCE);
    }

    private <T> Entry<T> entry(ConfigKey<T> key) {
        @SuppressWarnings("unchecked") // set() and read() only ever store an Entry<T> under a ConfigKey<T>
        Entry<T> entry = (Entry<T>) entries.get(key);
        if (entry == null) {
            throw new IllegalStateException("no value for configuration key " + key.name());
        }
        return entry;
    }

    private static <T> void checkRange(Entry<T> e) {
        if (!e.key().accepts(e.value())) {
            throw e.key().invalid(e.text(), e.source(), null);
        }
    }

    private <T> void checkFloor(Entry<T> e) {
        ConfigKey<T> floorKey = e.key().floor();
        if (floorKey == null) {
            return;
        }
        Entry<T> floor = entry(floorKey);
        if (!e.key().meetsFloor(e.value(), floor.value())) {
            throw new ConfigException("invalid " + e.key().name() + " " + e.key().quote(e.text()) + " (from " + e.source()
                    + "): must be at least " + floorKey.name() + ", which is " + floorKey.quote(floor.text()) + " (from "
                    + floor.source() + ")");
        }
    }
}
