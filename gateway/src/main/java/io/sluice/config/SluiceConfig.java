package io.sluice.config;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.List;

/**
 * The gateway's immutable configuration. Every instance is valid: the compact constructor applies the same
 * per-key ranges and cross-key rules as {@link ConfigLoader}, so a hand-built config cannot hold a value the
 * loader would reject ({@link ConfigException} otherwise). What each component means, its range and its names in
 * a file, the environment and on the command line are defined once, in {@link ConfigKey} (and printed by
 * {@code --help}); components are declared in the same order as the keys.
 */
public record SluiceConfig(
        int port,
        int managementPort,
        String bindAddress,
        Duration heartbeatInterval,
        int reconnectMillis,
        int historySize,
        int maxStreamLag,
        int maxTopicsPerConnection,
        long maxEventBytes,
        long maxBodyBytes,
        Duration historyMaxAge,
        long historyMaxBytes,
        int maxInitialLineLength,
        int maxHeaderSize,
        int writeBufferLowWaterMark,
        int writeBufferHighWaterMark,
        int fanoutQueueCapacity,
        int eventLoopThreads,
        Transport transport,
        boolean deferAccept,
        String backplane,
        String redisStreamKey,
        int redisStreamMaxLen,
        Duration redisStreamMaxAge,
        boolean devClock,
        String jwtSecret,
        String jwtPublicKeyFile,
        Duration jwtClockSkew,
        String jwksUrl,
        Duration jwksRefreshInterval,
        String jwtIssuer,
        String jwtAudience,
        String jwtClaim,
        List<String> publishKeys,
        List<String> publicTopics,
        List<String> presenceTopics,
        List<String> allowedOrigins,
        int maxConnections,
        int maxConnectionsPerUser,
        List<String> trustedProxies,
        Duration requestHeaderTimeout,
        Duration idleTimeout,
        AccessLog accessLog,
        Duration drainWindow,
        Duration maxStreamLifetime,
        Duration warmup) {

    /** TCP port; the conventional unprivileged HTTP port (CONTRACT section 9). */
    public static final int DEFAULT_PORT = 8080;
    /** TCP port; separate from {@link #DEFAULT_PORT} so metrics and the dashboard can be firewalled off. */
    public static final int DEFAULT_MANAGEMENT_PORT = 9090;
    /** Every IPv4 interface, so the gateway is reachable from outside its container by default. */
    public static final String DEFAULT_BIND_ADDRESS = "0.0.0.0";
    /** Time; well under the 60s idle timeout of common proxies and load balancers (nginx, AWS ALB). */
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(15);
    /** Milliseconds; the same retry delay Chromium's EventSource uses when the server sends none. */
    public static final int DEFAULT_RECONNECT_MILLIS = 3000;
    /** Events per topic; covers a reconnect gap of seconds on a busy topic at a bounded cost per topic. */
    public static final int DEFAULT_HISTORY_SIZE = 1000;
    /** Events; equal to the default history, so a stream cut off for lag can always resume from history. */
    public static final int DEFAULT_MAX_STREAM_LAG = 1000;
    /** Topics; enough for a dashboard page, few enough that one request cannot fan in everything. */
    public static final int DEFAULT_MAX_TOPICS_PER_CONNECTION = 32;
    /** Bytes (64KiB); SSE carries notifications, not payloads: bigger data belongs behind a URL. */
    public static final long DEFAULT_MAX_EVENT_BYTES = 64 * 1024L;
    /** Bytes (1MiB); room for a batch of sixteen maximum-size events. */
    public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024L;
    /** Time; a client away longer than an hour is better served by a fresh snapshot than by a replay (CONTRACT §10). */
    public static final Duration DEFAULT_HISTORY_MAX_AGE = Duration.ofHours(1);
    /** Bytes (256MiB, CONTRACT §10); fits the JVM of the systemd unit (1GiB of direct memory) with room to spare. */
    public static final long DEFAULT_HISTORY_MAX_BYTES = 256L * 1024 * 1024;
    /** Bytes (8KiB); a query naming many topics plus an access_token outgrows Netty's default of 4096. */
    public static final int DEFAULT_MAX_INITIAL_LINE_LENGTH = 8 * 1024;
    /** Bytes (16KiB); room for a token in both a cookie and a header, twice Netty's default of 8192. */
    public static final int DEFAULT_MAX_HEADER_SIZE = 16 * 1024;
    /** Bytes (32KiB); Netty's default low-water mark ({@code WriteBufferWaterMark.DEFAULT}). */
    public static final int DEFAULT_WRITE_BUFFER_LOW_WATER_MARK = 32 * 1024;
    /** Bytes (64KiB); Netty's default high-water mark ({@code WriteBufferWaterMark.DEFAULT}). */
    public static final int DEFAULT_WRITE_BUFFER_HIGH_WATER_MARK = 64 * 1024;
    /** Events per event loop; absorbs a burst of tens of milliseconds at high publish rates, bounded in memory. */
    public static final int DEFAULT_FANOUT_QUEUE_CAPACITY = 65536;
    /** Threads; 0 means one per available processor (see {@link #resolvedEventLoopThreads()}). */
    public static final int DEFAULT_EVENT_LOOP_THREADS = 0;
    /** Native epoll where it loads, NIO elsewhere, so one jar runs on Linux servers and on laptops. */
    public static final Transport DEFAULT_TRANSPORT = Transport.AUTO;
    /**
     * On: a connection reaches the event loop with its request already there (one wake-up, not two, per stream;
     * bench/ANALYSIS.md, "New streams: the kernel holds a connection until its request arrives").
     */
    public static final boolean DEFAULT_DEFER_ACCEPT = true;
    /** A single node: nothing to set up; cluster mode is an explicit choice of a Redis URL. */
    public static final String DEFAULT_BACKPLANE = "local";
    /** Redis key; namespaced so the stream does not collide with an application's keys in a shared Redis. */
    public static final String DEFAULT_REDIS_STREAM_KEY = "sluice:events";
    /**
     * Events; 100 historySize-deep topics' worth. About 100 bytes of Redis memory per small event besides its data,
     * and what a starting node reads and encodes before it is ready (well under a second).
     */
    public static final int DEFAULT_REDIS_STREAM_MAX_LEN = 100_000;
    /** Time; a Last-Event-ID older than an hour is better served by a fresh snapshot than by a replay. */
    public static final Duration DEFAULT_REDIS_STREAM_MAX_AGE = Duration.ofHours(1);
    /** On; gives a fresh open-mode install a live topic to watch. It never runs once auth is configured. */
    public static final boolean DEFAULT_DEV_CLOCK = true;

    /** Time; covers ordinary NTP drift between the token issuer and the gateway without extending tokens much. */
    public static final Duration DEFAULT_JWT_CLOCK_SKEW = Duration.ofSeconds(30);
    /**
     * Time; an identity provider publishes a new key well before it signs with it, so minutes are enough, at one
     * small request per node per interval (nimbus-jose-jwt's own default cache lifetime is 5 minutes too).
     */
    public static final Duration DEFAULT_JWKS_REFRESH_INTERVAL = Duration.ofMinutes(5);
    /** Claim name; CONTRACT section 5's {@code "sluice": {"subscribe": …}}. */
    public static final String DEFAULT_JWT_CLAIM = "sluice";
    /** Streams; well above one core's measured capacity for idle streams, and a guard against fd exhaustion. */
    public static final int DEFAULT_MAX_CONNECTIONS = 100_000;
    /** Streams; many browser tabs of one user, but not a runaway client loop. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_USER = 100;
    /** Time; as nginx's client_header_timeout (60s) would allow slowloris to hold a socket long, 10s as Apache. */
    public static final Duration DEFAULT_REQUEST_HEADER_TIMEOUT = Duration.ofSeconds(10);
    /** Time; above nginx's upstream keepalive_timeout (60s), so the proxy, not the gateway, closes idle upstreams. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(75);
    /** One human-readable line per request; json for log shippers. */
    public static final AccessLog DEFAULT_ACCESS_LOG = AccessLog.TEXT;

    /**
     * Time; 10,000 streams reconnect at 1,000 per second, and the whole stop stays under the 30s grace period
     * that Kubernetes and systemd's default stop timeout give.
     */
    public static final Duration DEFAULT_DRAIN_WINDOW = Duration.ofSeconds(10);
    /** Off; behind a load balancer, an hour or so lets long-lived streams spread onto new nodes. */
    public static final Duration DEFAULT_MAX_STREAM_LIFETIME = Duration.ZERO;

    /**
     * Time; long enough for the JIT to compile the stream-open, publish and fan-out paths on a 2-core machine
     * (bench/ANALYSIS.md), short against a rolling restart's readiness wait.
     */
    public static final Duration DEFAULT_WARMUP = Duration.ofSeconds(30);

    /** Where values passed to the constructor come from, as error messages name it. */
    static final String CONSTRUCTOR_SOURCE = "SluiceConfig constructor";

    public SluiceConfig {
        new ConfigValues()
                .set(ConfigKey.PORT, port, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.MANAGEMENT_PORT, managementPort, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.BIND_ADDRESS, bindAddress, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.HEARTBEAT_INTERVAL, heartbeatInterval, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.RECONNECT_MILLIS, reconnectMillis, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.HISTORY_SIZE, historySize, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.MAX_STREAM_LAG, maxStreamLag, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.MAX_TOPICS_PER_CONNECTION, maxTopicsPerConnection, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.MAX_EVENT_BYTES, maxEventBytes, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.MAX_BODY_BYTES, maxBodyBytes, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.HISTORY_MAX_AGE, historyMaxAge, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.HISTORY_MAX_BYTES, historyMaxBytes, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.MAX_INITIAL_LINE_LENGTH, maxInitialLineLength, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.MAX_HEADER_SIZE, maxHeaderSize, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.WRITE_BUFFER_LOW_WATER_MARK, writeBufferLowWaterMark, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.WRITE_BUFFER_HIGH_WATER_MARK, writeBufferHighWaterMark, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.FANOUT_QUEUE_CAPACITY, fanoutQueueCapacity, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.EVENT_LOOP_THREADS, eventLoopThreads, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.TRANSPORT, transport, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.DEFER_ACCEPT, deferAccept, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.BACKPLANE, backplane, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.REDIS_STREAM_KEY, redisStreamKey, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.REDIS_STREAM_MAX_LEN, redisStreamMaxLen, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.REDIS_STREAM_MAX_AGE, redisStreamMaxAge, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.DEV_CLOCK, devClock, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.JWT_SECRET, jwtSecret, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.JWT_PUBLIC_KEY_FILE, jwtPublicKeyFile, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.JWT_CLOCK_SKEW, jwtClockSkew, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.JWKS_URL, jwksUrl, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.JWKS_REFRESH_INTERVAL, jwksRefreshInterval, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.JWT_ISSUER, jwtIssuer, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.JWT_AUDIENCE, jwtAudience, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.JWT_CLAIM, jwtClaim, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.PUBLISH_KEYS, publishKeys, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.PUBLIC_TOPICS, publicTopics, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.PRESENCE_TOPICS, presenceTopics, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.ALLOWED_ORIGINS, allowedOrigins, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.MAX_CONNECTIONS, maxConnections, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.MAX_CONNECTIONS_PER_USER, maxConnectionsPerUser, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.TRUSTED_PROXIES, trustedProxies, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.REQUEST_HEADER_TIMEOUT, requestHeaderTimeout, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.IDLE_TIMEOUT, idleTimeout, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.ACCESS_LOG, accessLog, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.DRAIN_WINDOW, drainWindow, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.MAX_STREAM_LIFETIME, maxStreamLifetime, CONSTRUCTOR_SOURCE)
                .set(ConfigKey.WARMUP, warmup, CONSTRUCTOR_SOURCE)
                .validate();
    }

    /**
     * This configuration with {@code key} set to {@code value}, validated as every configuration is (the start-up
     * warm-up runs a throwaway node on the operator's settings with a few keys changed). Not for hot paths: it copies
     * the record reflectively, one component per key.
     *
     * @throws ConfigException if the result is invalid
     */
    public <T> SluiceConfig with(ConfigKey<T> key, T value) {
        RecordComponent[] components = SluiceConfig.class.getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        boolean found = false;
        try {
            for (int i = 0; i < components.length; i++) {
                types[i] = components[i].getType();
                found |= components[i].getName().equals(key.name());
                values[i] = components[i].getName().equals(key.name()) ? value : components[i].getAccessor().invoke(this);
            }
            if (!found) {
                throw new IllegalArgumentException("no component for configuration key " + key.name());
            }
            return SluiceConfig.class.getDeclaredConstructor(types).newInstance(values);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("SluiceConfig is not a plain record", e);
        }
    }

    /** Every key at its default. */
    public static SluiceConfig defaults() {
        return ConfigValues.defaults().toConfig();
    }

    /**
     * Events a stream may fall behind before it is cut off: {@code min(maxStreamLag, historySize)}, since a
     * stream that lags further than history reaches could not resume from it (CONTRACT section 7).
     */
    public int effectiveMaxStreamLag() {
        return Math.min(maxStreamLag, historySize);
    }

    /**
     * Event-loop threads to start: {@link #eventLoopThreads()}, or one per available processor when it is 0.
     * Resolve here rather than passing 0 to Netty, which reads 0 as twice the processor count.
     */
    public int resolvedEventLoopThreads() {
        return eventLoopThreads == 0 ? Runtime.getRuntime().availableProcessors() : eventLoopThreads;
    }

    /** The Redis backplane's address, or null when the backplane is {@code local}. */
    public RedisAddress redisAddress() {
        return RedisAddress.isRedisUrl(backplane) ? RedisAddress.parse(backplane) : null;
    }

    /**
     * Whether any authentication is configured (a JWT key, a JWK set or a publish key). Without any, the gateway runs
     * open: development mode, announced at start-up (CONTRACT section 5).
     */
    public boolean authConfigured() {
        return !jwtSecret.isEmpty() || !jwtPublicKeyFile.isEmpty() || !jwksUrl.isEmpty() || !publishKeys.isEmpty();
    }

    /**
     * Every key and value, with {@link ConfigKey#JWT_SECRET}, {@link ConfigKey#PUBLISH_KEYS} and the backplane's
     * password redacted.
     */
    @Override
    public String toString() {
        return "SluiceConfig[port=" + port + ", managementPort=" + managementPort + ", bindAddress=" + bindAddress
                + ", jwtSecret=" + (jwtSecret.isEmpty() ? "" : "(set)") + ", jwtPublicKeyFile=" + jwtPublicKeyFile
                + ", jwksUrl=" + jwksUrl + ", jwtIssuer=" + jwtIssuer + ", jwtAudience=" + jwtAudience
                + ", publishKeys=(" + publishKeys.size() + " keys), publicTopics=" + publicTopics
                + ", allowedOrigins=" + allowedOrigins + ", maxConnections=" + maxConnections
                + ", maxConnectionsPerUser=" + maxConnectionsPerUser + ", backplane=" + RedisAddress.redact(backplane) + ", ...]";
    }

    /** Access-log format. */
    public enum AccessLog {
        /** No access log. */
        OFF,
        /** One {@code key=value} line per request. */
        TEXT,
        /** One JSON object per line. */
        JSON
    }

    /** The socket transport the server runs on. Read from configuration case-insensitively as its lower-case name. */
    public enum Transport {
        /** Native epoll where Netty can load it (Linux), otherwise NIO. */
        AUTO,
        /** Native epoll; start-up fails where it is unavailable rather than silently running on NIO. */
        EPOLL,
        /** The JDK's NIO selector, available everywhere. */
        NIO,
        /**
         * Netty's io_uring (Linux 5.1 and later, x86-64): system calls submitted in batches through rings shared with the
         * kernel. Where it cannot run (an older kernel, a sandbox that forbids it, another platform) the server starts on
         * epoll, else NIO, and logs why.
         */
        IO_URING
    }
}
