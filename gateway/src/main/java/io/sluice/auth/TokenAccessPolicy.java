package io.sluice.auth;

import io.netty.handler.codec.http.HttpRequest;
import io.sluice.api.ApiError;
import io.sluice.api.ApiException;
import io.sluice.api.Grammar;
import io.sluice.api.HttpResponses;
import io.sluice.api.QueryParams;

import java.util.List;

/**
 * The policy once auth is configured (CONTRACT §5). Immutable and thread-safe; every method runs on the
 * request's event loop and does not block.
 *
 * <p>Reading a topic is allowed, in this order of rules:
 * <ol>
 *   <li>{@code broadcast}: to everyone (every stream receives it);</li>
 *   <li>an admin token ({@code sluice.admin: true}): any topic;</li>
 *   <li>{@code user/<id>}: only to the token whose {@code sub} is exactly {@code <id>}. No pattern, public or
 *       granted, opens another user's topic;</li>
 *   <li>a topic matching {@code publicTopics}: to everyone, anonymous callers included;</li>
 *   <li>a topic matching the token's {@code sluice.subscribe}.</li>
 * </ol>
 * Publishing is allowed with a publish key or an admin token (any topic), or to a topic matching the token's
 * {@code sluice.publish}. Refusals: no credentials where some are needed → 401 {@code unauthorized} with
 * {@code WWW-Authenticate: Bearer}; bad credentials → 401 with {@code Bearer error="invalid_token"} (whatever
 * the topic, so a client learns its token is broken); valid credentials without the right → 403
 * {@code forbidden}. Every message names the topic.
 */
public final class TokenAccessPolicy implements AccessPolicy {
    private static final HttpResponses.ResponseCustomizer BEARER_CHALLENGE =
            r -> r.headers().set("WWW-Authenticate", "Bearer");
    private static final String HOW_TO_AUTHENTICATE =
            "send a token (Authorization: Bearer, cookie " + PresentedToken.COOKIE + " or ?" + PresentedToken.QUERY_PARAMETER
                    + "=)";

    private final JwtVerifier verifier;
    private final PublishKeys publishKeys;
    private final List<String> publicTopics;

    /**
     * @param verifier verifies tokens; null when no JWT key is configured (then every token is refused)
     * @param publicTopics patterns of the topics anyone may read
     */
    TokenAccessPolicy(JwtVerifier verifier, PublishKeys publishKeys, List<String> publicTopics) {
        this.verifier = verifier;
        this.publishKeys = publishKeys;
        this.publicTopics = List.copyOf(publicTopics);
    }

    @Override
    public Principal authenticate(HttpRequest request, QueryParams query) {
        PresentedToken token = PresentedToken.find(request, query);
        if (token == null) {
            return Principal.ANONYMOUS;
        }
        if (token.source() == PresentedToken.Source.AUTHORIZATION && publishKeys.matches(token.value())) {
            return Principal.PUBLISH_KEY;
        }
        if (verifier == null) {
            throw JwtVerifier.invalid("token: this gateway accepts no tokens (none of jwtSecret, jwtPublicKeyFile and"
                    + " jwksUrl is configured)" + (token.source() == PresentedToken.Source.AUTHORIZATION
                    ? " and the bearer credential is not a publish key" : ""));
        }
        return verifier.verify(token.value());
    }

    @Override
    public void checkSubscribe(Principal principal, String topic) {
        if (mayRead(principal, topic)) {
            return;
        }
        String quoted = "'" + ApiException.echo(topic) + "'";
        switch (principal.kind()) {
            case ANONYMOUS -> throw new ApiException(ApiError.UNAUTHORIZED,
                    "topic " + quoted + " is not public: " + HOW_TO_AUTHENTICATE, BEARER_CHALLENGE);
            case PUBLISH_KEY -> throw new ApiException(ApiError.FORBIDDEN,
                    "topic " + quoted + ": a publish key may only publish; read with a token");
            default -> {
                if (isUserTopic(topic)) {
                    throw new ApiException(ApiError.FORBIDDEN, "topic " + quoted + " is readable only by user "
                            + ApiException.echo(topic.substring(Grammar.USER_TOPIC_PREFIX.length())) + " or an admin");
                }
                throw new ApiException(ApiError.FORBIDDEN, "topic " + quoted + ": the token of user "
                        + ApiException.echo(principal.subject()) + " may not read it (no sluice.subscribe pattern matches)");
            }
        }
    }

    @Override
    public void checkPublish(Principal principal, String topic) {
        if (principal.kind() == Principal.Kind.PUBLISH_KEY || principal.admin()
                || TopicPatterns.anyMatches(principal.publish(), topic)) {
            return;
        }
        String quoted = "'" + ApiException.echo(topic) + "'";
        if (principal.isAnonymous()) {
            throw new ApiException(ApiError.UNAUTHORIZED, "topic " + quoted
                    + ": publishing needs a publish key or a token with sluice.publish (Authorization: Bearer)",
                    BEARER_CHALLENGE);
        }
        throw new ApiException(ApiError.FORBIDDEN, "topic " + quoted + ": the token of user "
                + ApiException.echo(principal.subject()) + " may not publish to it (no sluice.publish pattern matches)");
    }

    /** The read rules of the class comment. */
    boolean mayRead(Principal principal, String topic) {
        if (topic.equals(Grammar.BROADCAST_TOPIC) || principal.admin()) {
            return true;
        }
        if (isUserTopic(topic)) {
            String subject = principal.subject();
            return subject != null && topic.length() == Grammar.USER_TOPIC_PREFIX.length() + subject.length()
                    && topic.endsWith(subject);
        }
        return TopicPatterns.anyMatches(publicTopics, topic) || TopicPatterns.anyMatches(principal.subscribe(), topic);
    }

    private static boolean isUserTopic(String topic) {
        return topic.startsWith(Grammar.USER_TOPIC_PREFIX);
    }

    @Override
    public boolean isOpen() {
        return false;
    }

    @Override
    public JwksKeys jwks() {
        return verifier == null ? null : verifier.jwks();
    }

    /** What is configured, for the start-up log; never a secret. */
    @Override
    public String toString() {
        StringBuilder out = new StringBuilder("tokens=").append(verifier == null ? "off" : verifier.algorithms());
        if (verifier != null) {
            JwtVerifier.ClaimRules rules = verifier.rules();
            if (verifier.jwks() != null) {
                out.append(" jwks=").append(verifier.jwks().url());
            }
            if (!rules.issuer().isEmpty()) {
                out.append(" issuer=").append(rules.issuer());
            }
            if (!rules.audience().isEmpty()) {
                out.append(" audience=").append(rules.audience());
            }
            if (!rules.grantsClaim().equals(JwtVerifier.ClaimRules.DEFAULT.grantsClaim())) {
                out.append(" grantsClaim=").append(rules.grantsClaim().isEmpty() ? "(none)" : rules.grantsClaim());
            }
        }
        return out.append(" publishKeys=").append(publishKeys.size()).append(" publicTopics=").append(publicTopics)
                .toString();
    }
}
