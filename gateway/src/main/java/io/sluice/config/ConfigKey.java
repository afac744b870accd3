package io.sluice.config;

import io.netty.util.NetUtil;
import io.sluice.api.Grammar;

import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * The table of configuration keys: the single definition of each key's name, environment variable, flag,
 * default, meaning, grammar and allowed range. Parsing, validation, {@code --help} and the README table are all
 * derived from it. Typed constants in the manner of Netty's {@code ChannelOption<T>}, so a value read for a key
 * has that key's Java type without casts.
 *
 * <p>A key {@code camelCase} is the environment variable {@code SLUICE_CAMEL_CASE} and the flag
 * {@code --camel-case} (CONTRACT section 9). {@link #all()} lists the keys in declaration order, which is also
 * the order of {@link SluiceConfig}'s components.
 *
 * @param <T> the Java type of the key's value
 */
public final class ConfigKey<T> {
    /** A browser origin: scheme, host, optional port; no path. */
    private static final Pattern ORIGIN =
            Pattern.compile("https?://([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\])(:[0-9]{1,5})?");
    /** Filled by the constructor, so it must be initialised before the first key below. */
    private static final List<ConfigKey<?>> ALL = new ArrayList<>();

    public static final ConfigKey<Integer> PORT = key("port",
            ValueType.integer(0, 65535), SluiceConfig.DEFAULT_PORT,
            "Port for streams, snapshots and publishing; 0 picks a free port.");
    public static final ConfigKey<Integer> MANAGEMENT_PORT = key("managementPort",
            ValueType.integer(0, 65535), SluiceConfig.DEFAULT_MANAGEMENT_PORT,
            "Management port: /healthz, /readyz, /metrics (Prometheus) and /v1/stats; keep it off public networks;"
                    + " 0 picks a free port.");
    public static final ConfigKey<String> BIND_ADDRESS = key("bindAddress",
            ValueType.host(), SluiceConfig.DEFAULT_BIND_ADDRESS,
            "Address both ports listen on: an IPv4 or IPv6 literal or a host name.");
    public static final ConfigKey<Duration> HEARTBEAT_INTERVAL = key("heartbeatInterval",
            ValueType.duration(Duration.ofMillis(100), Duration.ofHours(1)), SluiceConfig.DEFAULT_HEARTBEAT_INTERVAL,
            "A stream that has sent nothing for this long gets a comment line, keeping proxies from timing it out.");
    public static final ConfigKey<Integer> RECONNECT_MILLIS = key("reconnectMillis",
            ValueType.integer(0, 3_600_000), SluiceConfig.DEFAULT_RECONNECT_MILLIS,
            "Reconnect delay in milliseconds sent to every new stream as its retry: field.");
    public static final ConfigKey<Integer> HISTORY_SIZE = key("historySize",
            ValueType.integer(0, 1_000_000), SluiceConfig.DEFAULT_HISTORY_SIZE,
            "Events kept per topic for Last-Event-ID replay and snapshots; 0 keeps none.");
    public static final ConfigKey<Integer> MAX_STREAM_LAG = key("maxStreamLag",
            ValueType.integer(0, 1_000_000), SluiceConfig.DEFAULT_MAX_STREAM_LAG,
            "Events a stream may fall behind before it is cut off to resume from history;"
                    + " the effective bound is min(maxStreamLag, historySize).");
    public static final ConfigKey<Integer> MAX_TOPICS_PER_CONNECTION = key("maxTopicsPerConnection",
            ValueType.integer(1, 1024), SluiceConfig.DEFAULT_MAX_TOPICS_PER_CONNECTION,
            "Most topics one stream or snapshot request may name.");
    public static final ConfigKey<Long> MAX_EVENT_BYTES = key("maxEventBytes",
            ValueType.size(1, 16 * ValueType.MIB), SluiceConfig.DEFAULT_MAX_EVENT_BYTES,
            "Largest event a publish may carry; a larger one is rejected with 413.");
    public static final ConfigKey<Long> MAX_BODY_BYTES = key("maxBodyBytes",
            ValueType.size(1, 64 * ValueType.MIB), SluiceConfig.DEFAULT_MAX_BODY_BYTES, MAX_EVENT_BYTES,
            "Largest publish request body; a larger one is rejected with 413.");
    public static final ConfigKey<Duration> HISTORY_MAX_AGE = key("historyMaxAge",
            ValueType.duration(Duration.ZERO, Duration.ofDays(30)), SluiceConfig.DEFAULT_HISTORY_MAX_AGE,
            "Retained events older than this are evicted from history (Last-Event-ID older than that gets reset);"
                    + " 0 means no age limit.");
    public static final ConfigKey<Long> HISTORY_MAX_BYTES = key("historyMaxBytes",
            ValueType.size(64 * 1024, 1024 * 1024 * ValueType.MIB), SluiceConfig.DEFAULT_HISTORY_MAX_BYTES,
            MAX_EVENT_BYTES,
            "Node-wide budget for history, all topics: the retained events' encoded frames (and, separately, the heap"
                    + " history uses for them) stay within it, the node's oldest event evicted first. A value set must"
                    + " fit the JVM (at most half its direct memory and half its heap) or start-up stops; the default"
                    + " is lowered to fit, with a warning.");
    public static final ConfigKey<Integer> MAX_INITIAL_LINE_LENGTH = key("maxInitialLineLength",
            ValueType.intSize(256, (int) ValueType.MIB), SluiceConfig.DEFAULT_MAX_INITIAL_LINE_LENGTH,
            "Longest HTTP request line; a longer one is rejected and the connection closed.");
    public static final ConfigKey<Integer> MAX_HEADER_SIZE = key("maxHeaderSize",
            ValueType.intSize((int) ValueType.KIB, (int) ValueType.MIB), SluiceConfig.DEFAULT_MAX_HEADER_SIZE,
            "Largest total size of a request's HTTP headers; larger is rejected and the connection closed.");
    public static final ConfigKey<Integer> WRITE_BUFFER_LOW_WATER_MARK = key("writeBufferLowWaterMark",
            ValueType.intSize(1, (int) (64 * ValueType.MIB)), SluiceConfig.DEFAULT_WRITE_BUFFER_LOW_WATER_MARK,
            "A stream whose socket stopped draining is writable again once its unsent bytes fall below this.");
    public static final ConfigKey<Integer> WRITE_BUFFER_HIGH_WATER_MARK = key("writeBufferHighWaterMark",
            ValueType.intSize(1, (int) (64 * ValueType.MIB)), SluiceConfig.DEFAULT_WRITE_BUFFER_HIGH_WATER_MARK,
            WRITE_BUFFER_LOW_WATER_MARK,
            "Unsent bytes per stream above which the socket counts as not draining and the stream starts to lag.");
    public static final ConfigKey<Integer> FANOUT_QUEUE_CAPACITY = key("fanoutQueueCapacity",
            ValueType.integer(1024, 16_777_216), SluiceConfig.DEFAULT_FANOUT_QUEUE_CAPACITY,
            "Events queued per event loop for delivery; when it is full, publishes are refused rather than queued.");
    public static final ConfigKey<Integer> EVENT_LOOP_THREADS = key("eventLoopThreads",
            ValueType.integer(0, 1024), SluiceConfig.DEFAULT_EVENT_LOOP_THREADS,
            "Event-loop threads; 0 means one per available processor.");
    public static final ConfigKey<SluiceConfig.Transport> TRANSPORT = key("transport",
            ValueType.enumeration(SluiceConfig.Transport.class), SluiceConfig.DEFAULT_TRANSPORT,
            "Socket transport: auto (native epoll where available, else nio), epoll, nio or io_uring (Linux; falls"
                    + " back to epoll, else nio, with a logged reason where the kernel or sandbox refuses it).");
    public static final ConfigKey<Boolean> DEFER_ACCEPT = key("deferAccept",
            ValueType.bool(), SluiceConfig.DEFAULT_DEFER_ACCEPT,
            "Linux (epoll, io_uring): the kernel hands a new connection to the gateway once its first bytes (the"
                    + " request) have arrived, not at the handshake (TCP_DEFER_ACCEPT, 1 s), saving the event loop a"
                    + " wake-up per connection; one that sends nothing is handed over after about a second and then"
                    + " meets requestHeaderTimeout. No effect on nio.");
    public static final ConfigKey<String> BACKPLANE = new ConfigKey<>("backplane",
            ValueType.backplane(), SluiceConfig.DEFAULT_BACKPLANE, null, null,
            "How nodes share events: local means a single node; a Redis URL puts every node on one Redis stream"
                    + " (cluster mode, docs/scaling.md). The password is never logged.", false, RedisAddress::redact);
    public static final ConfigKey<String> REDIS_STREAM_KEY = key("redisStreamKey",
            ValueType.text(ConfigKey::isRedisKey, "1 to 200 printable ASCII characters without spaces"),
            SluiceConfig.DEFAULT_REDIS_STREAM_KEY,
            "Cluster mode: the Redis stream every node appends to and reads (its event counter is this key plus"
                    + " :count). Deployments sharing one Redis need different keys.");
    public static final ConfigKey<Integer> REDIS_STREAM_MAX_LEN = key("redisStreamMaxLen",
            ValueType.integer(0, Integer.MAX_VALUE), SluiceConfig.DEFAULT_REDIS_STREAM_MAX_LEN,
            "Cluster mode: events kept in the Redis stream (trimmed approximately, at least this many stay);"
                    + " bounds how far a node may fall behind and what a starting node loads. 0 means no count limit.");
    public static final ConfigKey<Duration> REDIS_STREAM_MAX_AGE = key("redisStreamMaxAge",
            ValueType.duration(Duration.ZERO, Duration.ofDays(30)), SluiceConfig.DEFAULT_REDIS_STREAM_MAX_AGE,
            "Cluster mode: events older than this are trimmed from the Redis stream (approximately, on publish);"
                    + " 0 means no age limit.");
    public static final ConfigKey<Boolean> DEV_CLOCK = key("devClock",
            ValueType.bool(), SluiceConfig.DEFAULT_DEV_CLOCK,
            "In open development mode (no auth configured), publish a tick to topic demo/clock every second.");
    public static final ConfigKey<String> JWT_SECRET = secretKey("jwtSecret",
            ValueType.text(s -> s.getBytes(StandardCharsets.UTF_8).length >= 32
                    && s.chars().noneMatch(Character::isISOControl),
                    "empty (HS256 off) or a secret of at least 32 bytes (256 bits, as HS256 requires)"),
            "",
            "Shared secret for HS256 tokens; empty turns HS256 off. Never logged.");
    public static final ConfigKey<String> JWT_PUBLIC_KEY_FILE = key("jwtPublicKeyFile",
            ValueType.text(s -> s.chars().noneMatch(Character::isISOControl), "empty (off) or a file path"),
            "",
            "PEM file with the RSA (RS256) or EC P-256 (ES256) public key that verifies tokens; empty turns it off."
                    + " An unreadable or invalid key stops start-up.");
    public static final ConfigKey<Duration> JWT_CLOCK_SKEW = key("jwtClockSkew",
            ValueType.duration(Duration.ZERO, Duration.ofMinutes(10)), SluiceConfig.DEFAULT_JWT_CLOCK_SKEW,
            "Clock difference tolerated when checking a token's exp and nbf.");
    public static final ConfigKey<String> JWKS_URL = key("jwksUrl",
            ValueType.text(ConfigKey::isJwksUrl, "empty (off) or an https:// URL such as"
                    + " https://idp.example.com/.well-known/jwks.json (http:// and file: for tests and air-gapped set-ups)"),
            "",
            "The identity provider's JSON Web Key Set: RS256 and ES256 keys, chosen by a token's kid, loaded in the"
                    + " background at start-up (until then /readyz is 503) and refreshed every jwksRefreshInterval; empty"
                    + " turns it off. Use https:// in production.");
    public static final ConfigKey<Duration> JWKS_REFRESH_INTERVAL = key("jwksRefreshInterval",
            ValueType.duration(Duration.ofSeconds(1), Duration.ofDays(1)), SluiceConfig.DEFAULT_JWKS_REFRESH_INTERVAL,
            "How often the JWK set is fetched again; a failed fetch keeps the last good set. A token with an unknown kid"
                    + " also triggers a fetch, at most one per 30s.");
    public static final ConfigKey<String> JWT_ISSUER = key("jwtIssuer",
            ValueType.text(ConfigKey::isClaimValue, "empty (not checked) or up to 1024 characters without control"
                    + " characters"),
            "",
            "When set, a token's iss claim must equal it exactly (a trailing / counts); empty does not check iss.");
    public static final ConfigKey<String> JWT_AUDIENCE = key("jwtAudience",
            ValueType.text(ConfigKey::isClaimValue, "empty (not checked) or up to 1024 characters without control"
                    + " characters"),
            "",
            "When set, a token's aud claim (a string or an array) must contain it; empty does not check aud.");
    public static final ConfigKey<String> JWT_CLAIM = key("jwtClaim",
            ValueType.text(ConfigKey::isClaimValue, "empty (no grants claim) or a claim name of up to 1024 characters"
                    + " without control characters"),
            SluiceConfig.DEFAULT_JWT_CLAIM,
            "The claim holding a token's grants {\"subscribe\":[…],\"publish\":[…],\"admin\":bool}, as a JSON object"
                    + " or a string holding one; the name is matched exactly (https://example.com/sluice is one name)."
                    + " Empty reads no grants.");
    public static final ConfigKey<List<String>> PUBLISH_KEYS = secretKey("publishKeys",
            ValueType.list(ConfigKey::isApiKey, "keys of 16 to 512 printable ASCII characters without spaces or commas"),
            List.of(),
            "Static API keys a backend may publish with (Authorization: Bearer <key>), to any topic. Never logged.");
    public static final ConfigKey<List<String>> PUBLIC_TOPICS = key("publicTopics",
            ValueType.list(Grammar::isTopicPattern, "topic patterns (topic characters, * = any run of characters)"),
            List.of(),
            "Topic patterns anonymous streams and snapshots may read once auth is configured.");
    public static final ConfigKey<List<String>> PRESENCE_TOPICS = key("presenceTopics",
            ValueType.list(Grammar::isTopicPattern, "topic patterns (topic characters, * = any run of characters)"),
            List.of(),
            "Topic patterns whose presence is tracked: who is streaming them (GET /v1/presence) and presence:join /"
                    + " presence:leave events for streams that ask (presence=true). Other topics cost nothing.");
    public static final ConfigKey<List<String>> ALLOWED_ORIGINS = key("allowedOrigins",
            ValueType.list(ConfigKey::isOrigin, "origins such as https://app.example.com or https://localhost:3000,"
                    + " or * for any origin (never with credentials)"),
            List.of(),
            "Browser origins allowed by CORS; a request from another origin gets 403. Empty allows none"
                    + " (requests without an Origin header are not affected).");
    public static final ConfigKey<Integer> MAX_CONNECTIONS = key("maxConnections",
            ValueType.integer(1, 10_000_000), SluiceConfig.DEFAULT_MAX_CONNECTIONS,
            "Most open streams on this node; further stream requests get 503 (EventSource: 200 with retry:).");
    public static final ConfigKey<Integer> MAX_CONNECTIONS_PER_USER = key("maxConnectionsPerUser",
            ValueType.integer(1, 10_000_000), SluiceConfig.DEFAULT_MAX_CONNECTIONS_PER_USER,
            "Most open streams per user (token sub; anonymous streams by client address); further ones get 429.");
    public static final ConfigKey<List<String>> TRUSTED_PROXIES = key("trustedProxies",
            ValueType.list(ConfigKey::isAddressOrCidr, "IP addresses or CIDR ranges such as 10.0.0.0/8"),
            List.of(),
            "Peers whose X-Forwarded-For header is believed when finding an anonymous client's address.");
    public static final ConfigKey<Duration> REQUEST_HEADER_TIMEOUT = key("requestHeaderTimeout",
            ValueType.duration(Duration.ofMillis(100), Duration.ofMinutes(10)), SluiceConfig.DEFAULT_REQUEST_HEADER_TIMEOUT,
            "A new connection whose request headers are not complete this long after connect is answered 408 and closed.");
    public static final ConfigKey<Duration> IDLE_TIMEOUT = key("idleTimeout",
            ValueType.duration(Duration.ofSeconds(1), Duration.ofHours(1)), SluiceConfig.DEFAULT_IDLE_TIMEOUT,
            "A keep-alive connection idle this long between requests (or within a request body) is closed;"
                    + " streams are exempt.");
    public static final ConfigKey<SluiceConfig.AccessLog> ACCESS_LOG = key("accessLog",
            ValueType.enumeration(SluiceConfig.AccessLog.class), SluiceConfig.DEFAULT_ACCESS_LOG,
            "Access log on logger sluice.access, one line per request and per ended stream: off, text or json.");
    public static final ConfigKey<Duration> DRAIN_WINDOW = key("drainWindow",
            ValueType.duration(Duration.ZERO, Duration.ofHours(1)), SluiceConfig.DEFAULT_DRAIN_WINDOW,
            "On SIGTERM, open streams are closed spread evenly over this window (each sent a jittered retry: first),"
                    + " so clients do not all reconnect at once; then the process exits 0.");
    public static final ConfigKey<Duration> MAX_STREAM_LIFETIME = key("maxStreamLifetime",
            ValueType.duration(Duration.ZERO, Duration.ofDays(7)), SluiceConfig.DEFAULT_MAX_STREAM_LIFETIME,
            "A stream open this long (less a random 0-20%) is ended with retry: so clients rebalance across nodes;"
                    + " 0 turns it off.");
    public static final ConfigKey<Duration> WARMUP = key("warmup",
            ValueType.duration(Duration.ZERO, Duration.ofMinutes(1)), SluiceConfig.DEFAULT_WARMUP,
            "Before listening, drive synthetic streams and publishes through the gateway's own code on a throwaway"
                    + " loopback listener until the JIT compiler goes quiet, for at most this long, so the first"
                    + " clients meet compiled code (docs/operations.md); 0 turns it off.");

    private static final List<ConfigKey<?>> ALL_VIEW = Collections.unmodifiableList(ALL);
    private static final Map<String, ConfigKey<?>> BY_NAME = index(ConfigKey::name);
    private static final Map<String, ConfigKey<?>> BY_ENV_VAR = index(ConfigKey::envVar);
    private static final Map<String, ConfigKey<?>> BY_FLAG = index(ConfigKey::flag);

    private final String name;
    private final String envVar;
    private final String flag;
    private final ValueType<T> type;
    private final T defaultValue;
    /** The key whose value this key's value must be at least, or null; {@link #atLeast} compares the two. */
    private final ConfigKey<T> floor;
    private final BiPredicate<T, T> atLeast;
    private final String description;
    /** Whether values are credentials: error messages then never quote them. */
    private final boolean secret;
    /** Applied to a value's text before a message quotes it: hides the credentials a value may contain. */
    private final UnaryOperator<String> redaction;

    private ConfigKey(String name, ValueType<T> type, T defaultValue, ConfigKey<T> floor, BiPredicate<T, T> atLeast,
            String description, boolean secret) {
        this(name, type, defaultValue, floor, atLeast, description, secret, UnaryOperator.identity());
    }

    private ConfigKey(String name, ValueType<T> type, T defaultValue, ConfigKey<T> floor, BiPredicate<T, T> atLeast,
            String description, boolean secret, UnaryOperator<String> redaction) {
        this.name = name;
        this.envVar = "SLUICE_" + separated(name, '_').toUpperCase(Locale.ROOT);
        this.flag = "--" + separated(name, '-');
        this.type = type;
        this.defaultValue = defaultValue;
        this.floor = floor;
        this.atLeast = atLeast;
        this.description = description;
        this.secret = secret;
        this.redaction = redaction;
        ALL.add(this);
    }

    private static <T> ConfigKey<T> key(String name, ValueType<T> type, T defaultValue, String description) {
        return new ConfigKey<>(name, type, defaultValue, null, null, description, false);
    }

    /** A key holding credentials: messages about it never quote its value. */
    private static <T> ConfigKey<T> secretKey(String name, ValueType<T> type, T defaultValue, String description) {
        return new ConfigKey<>(name, type, defaultValue, null, null, description, true);
    }

    /** A key whose value must also be at least the value of {@code floor}. */
    private static <T extends Comparable<T>> ConfigKey<T> key(String name, ValueType<T> type, T defaultValue,
            ConfigKey<T> floor, String description) {
        return new ConfigKey<>(name, type, defaultValue, floor, (value, min) -> value.compareTo(min) >= 0, description,
                false);
    }

    /** Every key, in declaration order (the order of {@link SluiceConfig}'s components). */
    public static List<ConfigKey<?>> all() {
        return ALL_VIEW;
    }

    /** The key named exactly {@code name} (camelCase), if any. */
    public static Optional<ConfigKey<?>> byName(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    /** The key set by the environment variable {@code envVar} (such as {@code SLUICE_PORT}), if any. */
    public static Optional<ConfigKey<?>> byEnvVar(String envVar) {
        return Optional.ofNullable(BY_ENV_VAR.get(envVar));
    }

    /** The key set by {@code flag} (such as {@code --port}, without a value), if any. */
    public static Optional<ConfigKey<?>> byFlag(String flag) {
        return Optional.ofNullable(BY_FLAG.get(flag));
    }

    /**
     * The key that {@code spelling} most likely means, ignoring case, {@code -}, {@code _} and a leading
     * {@code --} or {@code SLUICE_}: {@code max_event_bytes}, {@code --maxEventBytes} and
     * {@code SLUICE_MAXEVENTBYTES} all suggest {@code maxEventBytes}. Used only to word error messages.
     */
    static Optional<ConfigKey<?>> suggest(String spelling) {
        String wanted = loose(spelling);
        return ALL.stream().filter(k -> loose(k.name).equals(wanted)).findFirst();
    }

    /** The camelCase key, as used in a config file. */
    public String name() {
        return name;
    }

    /** The environment variable, {@code SLUICE_} and the key in UPPER_SNAKE case. */
    public String envVar() {
        return envVar;
    }

    /** The command-line flag, {@code --} and the key in kebab case. */
    public String flag() {
        return flag;
    }

    /** The default value, written the way a file, variable or flag would set it. */
    public String defaultText() {
        return type.format(defaultValue);
    }

    /** What the key means, in one or two sentences. */
    public String description() {
        return description;
    }

    /** What values are allowed, including any rule relating this key to another. */
    public String allowed() {
        String range = type.describe();
        return floor == null ? range : range + ", and at least " + floor.name;
    }

    T defaultValue() {
        return defaultValue;
    }

    /** The key this key's value must be at least, or null if there is none. */
    ConfigKey<T> floor() {
        return floor;
    }

    /** Whether {@code value} satisfies this key's floor given the floor key's value (true without a floor). */
    boolean meetsFloor(T value, T floorValue) {
        return floor == null || atLeast.test(value, floorValue);
    }

    /**
     * Parses and range-checks {@code text}, which came from {@code source} (such as "flag --port").
     *
     * @throws ConfigException naming this key, the text, the source and what is allowed
     */
    T read(String text, String source) {
        try {
            return type.read(text);
        } catch (ValueType.Rejected e) {
            throw invalid(text, source, e.detail());
        }
    }

    boolean accepts(T value) {
        return type.accepts(value);
    }

    String format(T value) {
        return type.format(value);
    }

    /** The error for {@code text} from {@code source}; {@code detail}, if not null, says more than "expected …". */
    ConfigException invalid(String text, String source, String detail) {
        String why = detail == null || secret ? "" : detail + "; "; // a secret's detail may quote part of it
        return new ConfigException("invalid " + name + " " + quote(text) + " (from " + source + "): "
                + why + "expected " + type.describe());
    }

    /** {@code text} in quotes, or only its length for a {@linkplain #secretKey secret} key. */
    String quote(String text) {
        return secret ? "(" + text.length() + " characters, not shown)" : "'" + redaction.apply(text) + "'";
    }

    @Override
    public String toString() {
        return name;
    }

    private static boolean isApiKey(String key) {
        return key.length() >= 16 && key.length() <= 512 && key.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != ',');
    }

    /**
     * {@code https://host[:port]/path[?query]}, or {@code http://} the same, or {@code file:/path}: an absolute URL
     * Java can open, without a fragment. Anything else (a relative path, another scheme, spaces) is refused here so
     * that a typo stops start-up rather than leaving the gateway unready.
     */
    private static boolean isJwksUrl(String text) {
        try {
            URI uri = new URI(text);
            String scheme = uri.getScheme();
            if (scheme == null || uri.getFragment() != null || uri.isOpaque()) {
                return false;
            }
            boolean web = scheme.equals("https") || scheme.equals("http");
            if (web ? uri.getHost() == null || uri.getHost().isEmpty()
                    : !scheme.equals("file") || uri.getPath() == null || uri.getPath().length() < 2) {
                return false;
            }
            uri.toURL();
            return true;
        } catch (URISyntaxException | MalformedURLException | IllegalArgumentException e) {
            return false;
        }
    }

    /** A value compared with a token's claim, or a claim name: at most 1024 characters, none a control character. */
    private static boolean isClaimValue(String text) {
        return text.length() <= 1024 && text.chars().noneMatch(Character::isISOControl);
    }

    private static boolean isRedisKey(String key) {
        return key.length() <= 200 && key.chars().allMatch(c -> c > 0x20 && c < 0x7f);
    }

    private static boolean isOrigin(String origin) {
        return "*".equals(origin) || ORIGIN.matcher(origin).matches();
    }

    private static boolean isAddressOrCidr(String text) {
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        boolean v4 = NetUtil.isValidIpV4Address(address);
        if (!v4 && !NetUtil.isValidIpV6Address(address)) {
            return false;
        }
        if (slash < 0) {
            return true;
        }
        String bits = text.substring(slash + 1);
        return bits.matches("[0-9]{1,3}") && Integer.parseInt(bits) <= (v4 ? 32 : 128);
    }

    private static Map<String, ConfigKey<?>> index(Function<ConfigKey<?>, String> spelling) {
        Map<String, ConfigKey<?>> index = new HashMap<>();
        for (ConfigKey<?> key : ALL) {
            index.put(spelling.apply(key), key);
        }
        return Map.copyOf(index);
    }

    /** {@code camelCase} with {@code separator} before each upper-case letter, all in lower case. */
    private static String separated(String camelCase, char separator) {
        StringBuilder out = new StringBuilder(camelCase.length() + 4);
        for (char c : camelCase.toCharArray()) {
            if (Character.isUpperCase(c)) {
                out.append(separator).append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static String loose(String spelling) {
        return spelling.replaceAll("[-_]", "").toLowerCase(Locale.ROOT).replaceFirst("^sluice", "");
    }
}
