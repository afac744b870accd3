package io.sluice.auth;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import io.sluice.api.ApiException;
import io.sluice.api.QueryParams;

/**
 * The authentication and authorisation hook (CONTRACT §5). Implementations are immutable and thread-safe;
 * every method is called on the requesting channel's event loop and must not block.
 */
public interface AccessPolicy {

    /**
     * Identifies the caller.
     *
     * @throws ApiException {@code unauthorized} when credentials are present but invalid
     */
    Principal authenticate(HttpRequest request, QueryParams query);

    /**
     * {@link #authenticate(HttpRequest, QueryParams)}, then records the principal on {@code channel} as
     * {@link Principal#CHANNEL_ATTRIBUTE} (cleared first, so a refused request never shows an earlier one's).
     * Call on the channel's event loop.
     */
    default Principal authenticate(Channel channel, HttpRequest request, QueryParams query) {
        channel.attr(Principal.CHANNEL_ATTRIBUTE).set(null);
        Principal principal = authenticate(request, query);
        channel.attr(Principal.CHANNEL_ATTRIBUTE).set(principal);
        return principal;
    }

    /** @throws ApiException {@code unauthorized} or {@code forbidden} when {@code principal} may not read it */
    void checkSubscribe(Principal principal, String topic);

    /** @throws ApiException {@code unauthorized} or {@code forbidden} when {@code principal} may not publish */
    void checkPublish(Principal principal, String topic);

    /** True when no auth is configured at all: development mode, announced loudly at start-up. */
    boolean isOpen();

    /**
     * The JWK set ({@code jwksUrl}) this policy verifies tokens with, or null when there is none. Whoever runs the node
     * starts and closes it and reads its readiness: until it has loaded a first set, the node is not ready.
     */
    default JwksKeys jwks() {
        return null;
    }
}
