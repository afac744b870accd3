package io.sluice.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which browser origins may call the public listener, from {@code allowedOrigins}, and the CORS headers each
 * gets. Immutable and thread-safe; built once per listener.
 *
 * <p>Rules: an origin listed exactly is answered with itself in {@code Access-Control-Allow-Origin} and with
 * {@code Access-Control-Allow-Credentials: true} (cookies and Authorization may be sent). With {@code *} listed,
 * any other origin is answered {@code Access-Control-Allow-Origin: *} and never with credentials (browsers
 * refuse that pair, and it would hand every site the user's cookies). Any other origin is refused (403).
 * Listed origins are compared as browsers serialise them: scheme and host in lower case, no default port,
 * so {@code https://App.example.com:443} in the config matches {@code Origin: https://app.example.com}.
 */
public final class CorsPolicy {
    /** Seconds a browser may cache a preflight answer; Chromium caps it at 7200, 600 keeps config changes quick. */
    public static final int MAX_AGE_SECONDS = 600;
    /** Every request header a browser may send cross-origin beyond the CORS-safelisted ones. */
    public static final String ALLOWED_HEADERS = "Authorization, Content-Type, Last-Event-ID";
    /** Response headers a script may read beyond the safelisted ones: what to do after a 401, 429 or 503. */
    public static final String EXPOSED_HEADERS = "Retry-After, WWW-Authenticate";
    private static final String PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

    private final Map<String, Decision> exact;
    private final Decision wildcard;

    private CorsPolicy(Map<String, Decision> exact, Decision wildcard) {
        this.exact = exact;
        this.wildcard = wildcard;
    }

    /**
     * @param allowedOrigins the validated config list: origins such as {@code https://app.example.com}, or
     *                       {@code *}; empty refuses every request that carries an Origin
     */
    public static CorsPolicy of(List<String> allowedOrigins) {
        Map<String, Decision> exact = new HashMap<>();
        Decision wildcard = null;
        for (String origin : allowedOrigins) {
            if ("*".equals(origin)) {
                wildcard = new Decision("*", false);
            } else {
                String serialized = serialize(origin);
                exact.put(serialized, new Decision(serialized, true));
            }
        }
        return new CorsPolicy(Map.copyOf(exact), wildcard);
    }

    /**
     * The answer for a request's {@code Origin} value, or null when the origin is not allowed. Compared byte for
     * byte with the serialised listed origins, as a browser sends them.
     */
    Decision decide(String origin) {
        Decision d = exact.get(origin);
        return d != null ? d : wildcard;
    }

    /**
     * An origin as a browser serialises it (RFC 6454 §6.1): lower-case scheme and host, the port only when it is
     * not the scheme's default. Input is a config value already checked to be {@code http(s)://host[:port]}.
     */
    static String serialize(String origin) {
        String lower = origin.toLowerCase(Locale.ROOT);
        int hostStart = lower.indexOf("://") + 3;
        int colon = lower.lastIndexOf(':');
        if (colon < hostStart || lower.lastIndexOf(']') > colon) {
            return lower;
        }
        int port = Integer.parseInt(lower.substring(colon + 1));
        boolean https = lower.startsWith("https:");
        String base = lower.substring(0, colon);
        return (https && port == 443) || (!https && port == 80) ? base : base + ":" + port;
    }

    /** The CORS answer for one allowed origin. Immutable. */
    static final class Decision {
        private final String allowOrigin;
        private final boolean credentials;

        Decision(String allowOrigin, boolean credentials) {
            this.allowOrigin = allowOrigin;
            this.credentials = credentials;
        }

        String allowOrigin() {
            return allowOrigin;
        }

        boolean credentials() {
            return credentials;
        }

        /** Adds the headers of an actual (non-preflight) response. */
        void applyTo(HttpHeaders headers) {
            common(headers);
            if (!headers.containsValue(HttpHeaderNames.VARY, "Origin", true)) {
                headers.add(HttpHeaderNames.VARY, "Origin"); // a cacheable file says so itself
            }
            headers.set(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSED_HEADERS);
        }

        /** Adds the headers of a preflight answer for a route served with {@code method}. */
        void applyToPreflight(HttpHeaders headers, HttpMethod method) {
            common(headers);
            headers.add(HttpHeaderNames.VARY, PREFLIGHT_VARY);
            headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, method.name());
            headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS);
            headers.set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, MAX_AGE_SECONDS);
        }

        private void common(HttpHeaders headers) {
            headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, allowOrigin);
            if (credentials) {
                headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
            }
        }
    }
}
