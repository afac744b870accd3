package io.sluice.auth;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.sluice.api.QueryParams;

import java.util.List;

/**
 * The credential a request carries (CONTRACT §5), taken from the first source that has one, in this order:
 * {@code Authorization: Bearer <token>}, the cookie {@value #COOKIE}, the query parameter {@value #QUERY_PARAMETER}.
 * An empty value counts as absent. An {@code Authorization} header with another scheme (e.g. {@code Basic}, which a
 * proxy's own auth may forward) is not a credential for the gateway and is skipped. Immutable.
 *
 * <p>The value is a secret: it must never be logged or echoed in a response.
 *
 * @param value the token (or publish key) as sent
 * @param source where it was found
 */
public record PresentedToken(String value, Source source) {
    public static final String COOKIE = "sluice_token";
    public static final String QUERY_PARAMETER = "access_token";
    private static final String BEARER = "Bearer";

    /** Where a credential came from. Only {@link #AUTHORIZATION} may carry a publish key. */
    public enum Source {
        AUTHORIZATION, COOKIE, QUERY
    }

    @Override
    public String toString() {
        return "PresentedToken[" + source + ", " + value.length() + " characters]";
    }

    /** The request's credential, or null when it carries none. Any thread; does not block. */
    public static PresentedToken find(HttpRequest request, QueryParams query) {
        String bearer = bearer(request.headers().getAll(HttpHeaderNames.AUTHORIZATION));
        if (bearer != null) {
            return new PresentedToken(bearer, Source.AUTHORIZATION);
        }
        String cookie = cookie(request.headers().getAll(HttpHeaderNames.COOKIE));
        if (cookie != null) {
            return new PresentedToken(cookie, Source.COOKIE);
        }
        String param = query.first(QUERY_PARAMETER);
        return param == null || param.isEmpty() ? null : new PresentedToken(param, Source.QUERY);
    }

    /** The credentials of the first {@code Bearer} authorization (scheme case-insensitive, RFC 7235), or null. */
    private static String bearer(List<String> authorizations) {
        for (String authorization : authorizations) {
            String a = authorization.strip();
            if (a.length() > BEARER.length() && a.regionMatches(true, 0, BEARER, 0, BEARER.length())
                    && (a.charAt(BEARER.length()) == ' ' || a.charAt(BEARER.length()) == '\t')) {
                String value = a.substring(BEARER.length() + 1).strip();
                if (!value.isEmpty()) {
                    return value;
                }
            }
        }
        return null;
    }

    private static String cookie(List<String> cookieHeaders) {
        for (String header : cookieHeaders) {
            for (Cookie c : ServerCookieDecoder.STRICT.decodeAll(header)) {
                if (COOKIE.equals(c.name()) && !c.value().isEmpty()) {
                    return c.value();
                }
            }
        }
        return null;
    }
}
