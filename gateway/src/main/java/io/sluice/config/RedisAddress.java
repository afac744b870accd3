package io.sluice.config;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the Redis backplane is: the parsed form of {@code backplane = redis://[[user]:password@]host[:port][/db]}
 * (or {@code rediss://} for TLS). User and password may be percent-encoded (a {@code @} or {@code :} in a password
 * is written {@code %40}, {@code %3A}).
 *
 * <p>The password never leaves this object in text meant for people: {@link #toString()} and {@link #redact}
 * replace it with {@code ***}, and parse errors never quote it.
 *
 * @param tls {@code rediss://}: TLS, verifying the server's certificate against the JVM's trust store
 * @param user the ACL user, or empty for the default user
 * @param password the password, or empty for none
 * @param host a host name or IP literal (IPv6 in brackets in the URL, without them here)
 * @param port 1–65535, {@link #DEFAULT_PORT} when the URL gives none
 * @param database the logical database, 0 when the URL gives none
 */
public record RedisAddress(boolean tls, String user, String password, String host, int port, int database) {
    /** Redis's registered port. */
    public static final int DEFAULT_PORT = 6379;
    /** What {@code describe()} of {@link ValueType} says the backplane key accepts. */
    static final String GRAMMAR = "local, or redis://[[user]:password@]host[:port][/db] (rediss:// for TLS)";

    private static final Pattern URL = Pattern.compile(
            "(rediss?)://(?:([^@/]*)@)?(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+)(?::([0-9]{1,5}))?(?:/([0-9]{1,5})?)?");
    private static final Pattern USERINFO_IN_TEXT = Pattern.compile("(rediss?://)([^@/]*)@");

    public RedisAddress {
        if (host == null || host.isEmpty() || port < 1 || port > 65535 || database < 0 || user == null
                || password == null) {
            throw new IllegalArgumentException("invalid Redis address");
        }
    }

    /** Whether {@code text} is a Redis URL (rather than {@code local} or something else). */
    public static boolean isRedisUrl(String text) {
        return text != null && (text.startsWith("redis://") || text.startsWith("rediss://"));
    }

    /**
     * Parses a Redis URL.
     *
     * @throws IllegalArgumentException with a message that says what is wrong and never contains the password
     */
    public static RedisAddress parse(String text) {
        Matcher m = URL.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("not of the form redis://[[user]:password@]host[:port][/db]");
        }
        String user = "";
        String password = "";
        String userInfo = m.group(2);
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("credentials must be user:password or :password");
            }
            user = decode(userInfo.substring(0, colon), "user");
            password = decode(userInfo.substring(colon + 1), "password");
            if (password.isEmpty()) {
                throw new IllegalArgumentException("the password is empty");
            }
        }
        String host = m.group(3);
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = m.group(4) == null ? DEFAULT_PORT : Integer.parseInt(m.group(4));
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not between 1 and 65535");
        }
        int database = m.group(5) == null ? 0 : Integer.parseInt(m.group(5));
        return new RedisAddress(m.group(1).equals("rediss"), user, password, host, port, database);
    }

    /** {@code text} with the credentials of any Redis URL in it shown as {@code ***}, for messages and logs. */
    public static String redact(String text) {
        return text == null ? null : USERINFO_IN_TEXT.matcher(text).replaceAll("$1***@");
    }

    /** The URL with the password (and user) redacted. */
    @Override
    public String toString() {
        String credentials = user.isEmpty() && password.isEmpty() ? "" : "***@";
        String hostPart = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return (tls ? "rediss" : "redis") + "://" + credentials + hostPart + ":" + port
                + (database == 0 ? "" : "/" + database);
    }

    private static String decode(String part, String what) {
        try {
            // URLDecoder reads '+' as a space (form encoding); in a URL's userinfo it is itself
            return URLDecoder.decode(part.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the " + what + " has a malformed %-escape");
        }
    }
}
