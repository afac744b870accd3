package io.sluice.presence;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.api.ApiError;
import io.sluice.api.ApiException;
import io.sluice.api.DeferredAnswer;
import io.sluice.api.Grammar;
import io.sluice.api.HttpResponses;
import io.sluice.api.QueryParams;
import io.sluice.auth.AccessPolicy;
import io.sluice.auth.Principal;

/**
 * {@code GET /v1/presence?topic=T} (CONTRACT §11): who is streaming a topic, across every node. Allowed to publish
 * keys, admins and tokens that may publish to T; when T is tracked ({@code presenceTopics}), also to tokens that may
 * read it. Otherwise 403, or 401 without credentials; in open development mode, to anyone. An untracked topic, or one
 * without streams, gives zeros. Stateless and thread-safe; runs on the request's event loop.
 */
public final class PresenceService {
    private final PresenceHub hub;
    private final AccessPolicy access;

    public PresenceService(PresenceHub hub, AccessPolicy access) {
        this.hub = hub;
        this.access = access;
    }

    public void presence(ChannelHandlerContext ctx, FullHttpRequest request, QueryParams query, String pathParameter) {
        Principal principal = access.authenticate(ctx.channel(), request, query);
        String topic = query.first("topic");
        if (topic == null || !Grammar.isTopic(topic)) {
            throw ApiException.invalid("topic: " + (topic == null ? "required, e.g. ?topic=rooms/42"
                    : "'" + ApiException.echo(topic) + "' must be " + Grammar.TOPIC_RULE));
        }
        authorize(principal, topic);
        DeferredAnswer.when(ctx, request, hub.query(topic), (count, failure) -> {
            if (failure == null) {
                HttpResponses.json(ctx, request, HttpResponseStatus.OK, count.toJson());
            } else {
                HttpResponses.error(ctx, request, ApiError.UNAVAILABLE, "presence unavailable: " + failure.getMessage(),
                        false, r -> r.headers().set(HttpHeaderNames.RETRY_AFTER, 1));
            }
        });
    }

    /** The rights of the class comment; throws the refusal. */
    private void authorize(Principal principal, String topic) {
        if (access.isOpen() || principal.kind() == Principal.Kind.PUBLISH_KEY || principal.admin()) {
            return;
        }
        if (principal.isAnonymous()) {
            throw new ApiException(ApiError.UNAUTHORIZED, "presence of topic '" + ApiException.echo(topic)
                    + "': send a publish key or a token (Authorization: Bearer)",
                    r -> r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer"));
        }
        try {
            access.checkPublish(principal, topic);
            return;
        } catch (ApiException cannotPublish) {
            if (!hub.tracked().matches(topic)) {
                throw forbidden(principal, topic, "");
            }
        }
        try {
            access.checkSubscribe(principal, topic);
        } catch (ApiException cannotRead) {
            throw forbidden(principal, topic, " or read");
        }
    }

    private static ApiException forbidden(Principal principal, String topic, String orRead) {
        return new ApiException(ApiError.FORBIDDEN, "presence of topic '" + ApiException.echo(topic)
                + "': the token of user " + ApiException.echo(principal.subject()) + " may not publish to" + orRead
                + " it; presence needs a publish key, an admin token, or a token that may publish to the topic (or"
                + " read it, when presenceTopics tracks it)");
    }
}
