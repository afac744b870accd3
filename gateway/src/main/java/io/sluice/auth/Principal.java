package io.sluice.auth;

import io.netty.util.AttributeKey;

import java.util.List;
import java.util.Objects;

/**
 * Who is calling, and what the credentials grant. Immutable; any thread.
 *
 * <p>Three kinds: {@link Kind#ANONYMOUS} (no credentials; {@code subject} null), {@link Kind#TOKEN} (a verified
 * JWT; {@code subject} is its {@code sub}, never null) and {@link Kind#PUBLISH_KEY} (a static publish key from
 * the config; {@code subject} null). What the grants allow is decided by the {@link AccessPolicy}, not here.
 *
 * @param subject the user id ({@code sub}), or null unless {@code kind} is {@link Kind#TOKEN}
 * @param admin the token's {@code sluice.admin}: may read any topic, including any {@code user/*}, and publish
 *              anywhere
 * @param kind how the caller authenticated
 * @param subscribe the token's {@code sluice.subscribe} topic globs ({@code *} = any run of characters)
 * @param publish the token's {@code sluice.publish} topic globs
 * @param expiresAtMillis epoch milliseconds from which the credentials are no longer accepted (a token's
 *                        {@code exp} plus the configured clock skew), or {@link #NEVER}
 */
public record Principal(String subject, boolean admin, Kind kind, List<String> subscribe, List<String> publish,
                        long expiresAtMillis) {
    /** {@link #expiresAtMillis()} of credentials without an expiry. */
    public static final long NEVER = Long.MAX_VALUE;

    public static final Principal ANONYMOUS = new Principal(null, false, Kind.ANONYMOUS, List.of(), List.of(), NEVER);
    /** A caller that presented one of the configured {@code publishKeys}: may publish to any topic. */
    public static final Principal PUBLISH_KEY = new Principal(null, false, Kind.PUBLISH_KEY, List.of(), List.of(), NEVER);

    /**
     * The channel attribute holding the principal of the request being served (and, for a stream, of the whole
     * stream), set when the request is authenticated; read by the access log. Event-loop thread only.
     */
    public static final AttributeKey<Principal> CHANNEL_ATTRIBUTE = AttributeKey.valueOf(Principal.class, "principal");

    public Principal {
        Objects.requireNonNull(kind, "kind");
        if ((kind == Kind.TOKEN) != (subject != null)) {
            throw new IllegalArgumentException("a subject is required for, and only for, a token principal");
        }
        subscribe = List.copyOf(subscribe);
        publish = List.copyOf(publish);
    }

    /** A token principal without patterns or expiry, or {@link #ANONYMOUS}'s equal when {@code subject} is null. */
    public Principal(String subject, boolean admin) {
        this(subject, admin && subject != null, subject == null ? Kind.ANONYMOUS : Kind.TOKEN, List.of(), List.of(), NEVER);
    }

    public boolean isAnonymous() {
        return kind == Kind.ANONYMOUS;
    }

    /** Whether the credentials stop being accepted at some point ({@link #expiresAtMillis()} is not {@link #NEVER}). */
    public boolean expires() {
        return expiresAtMillis != NEVER;
    }

    /** How a caller authenticated. */
    public enum Kind {
        /** No credentials. */
        ANONYMOUS,
        /** A verified JWT. */
        TOKEN,
        /** One of the configured static publish keys. */
        PUBLISH_KEY
    }
}
