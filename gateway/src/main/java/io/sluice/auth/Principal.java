package io.sluice.auth;

import io.netty.util.AttributeKey;

/**
 * Who is calling. {@code subject} is the user id ({@code sub}), null for anonymous callers.
 *
 * @param subject the user id, or null when anonymous
 * @param admin whether the caller may read admin-only data and any {@code user/*} topic
 */
public record Principal(String subject, boolean admin) {
    public static final Principal ANONYMOUS = new Principal(null, false);

    /**
     * The channel attribute holding the principal of the request being served (and, for a stream, of the whole
     * stream), set when the request is authenticated; read by the access log. Event-loop thread only.
     */
    public static final AttributeKey<Principal> CHANNEL_ATTRIBUTE = AttributeKey.valueOf(Principal.class, "principal");

    public boolean isAnonymous() {
        return subject == null;
    }
}
