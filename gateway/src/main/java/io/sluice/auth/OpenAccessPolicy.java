package io.sluice.auth;

import io.netty.handler.codec.http.HttpRequest;
import io.sluice.api.QueryParams;

/**
 * Development mode: no auth configured, every caller is anonymous and may read and publish every topic.
 * Never for a public network; the gateway warns at start-up while this policy is in force.
 */
public final class OpenAccessPolicy implements AccessPolicy {
    public static final OpenAccessPolicy INSTANCE = new OpenAccessPolicy();

    private OpenAccessPolicy() {
    }

    @Override
    public Principal authenticate(HttpRequest request, QueryParams query) {
        return Principal.ANONYMOUS;
    }

    @Override
    public void checkSubscribe(Principal principal, String topic) {
        // open: everything may be read
    }

    @Override
    public void checkPublish(Principal principal, String topic) {
        // open: everything may be published
    }

    @Override
    public boolean isOpen() {
        return true;
    }
}
