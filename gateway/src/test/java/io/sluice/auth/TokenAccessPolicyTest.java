package io.sluice.auth;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.api.ApiError;
import io.sluice.api.ApiException;
import io.sluice.api.QueryParams;
import io.sluice.testing.TestTokens;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.sluice.testing.TestTokens.PUBLISH_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TokenAccessPolicy}: where the credential is taken from and in which order, publish keys, and the read and
 * publish rules with the status and challenge of each refusal.
 */
class TokenAccessPolicyTest {
    private static final String OTHER_KEY = "pk_other_fedcba9876543210";
    private final TokenAccessPolicy policy = new TokenAccessPolicy(
            new JwtVerifier(TestTokens.SECRET, null, Duration.ZERO, System::currentTimeMillis),
            new PublishKeys(List.of(OTHER_KEY, PUBLISH_KEY)), List.of("news/*", "status"));

    private static String token(String sub) {
        return TestTokens.hs256(sub, List.of(), List.of(), false, null);
    }

    private static Principal token(String sub, List<String> subscribe, List<String> publish, boolean admin) {
        return new Principal(sub, admin, Principal.Kind.TOKEN, subscribe, publish, Principal.NEVER);
    }

    private static HttpRequest request(String uri, Map<String, String> headers) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
        headers.forEach((name, value) -> r.headers().add(name, value));
        return r;
    }

    private Principal authenticate(String uri, Map<String, String> headers) {
        return policy.authenticate(request(uri, headers), QueryParams.of(uri));
    }

    private static ApiException refusal(ApiError error, Runnable check) {
        ApiException e = assertThrows(ApiException.class, check::run);
        assertEquals(error, e.error(), e::getMessage);
        return e;
    }

    private static String challenge(ApiException e) {
        if (e.customizer() == null) {
            return null;
        }
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        e.customizer().customize(r);
        return r.headers().get("WWW-Authenticate");
    }

    // ---- where the token comes from ------------------------------------------------------------------------

    @Test
    void noCredentialsIsAnonymous() {
        assertSame(Principal.ANONYMOUS, authenticate("/v1/events?topic=a", Map.of()));
        assertSame(Principal.ANONYMOUS, authenticate("/v1/events?topic=a&access_token=",
                Map.of("Authorization", "Bearer ", "Cookie", "sluice_token=; other=1")));
    }

    @Test
    void authorizationBeatsCookieBeatsQuery() {
        String header = "/?access_token=" + token("q");
        Map<String, String> both = Map.of("Authorization", "Bearer " + token("h"), "Cookie", "sluice_token=" + token("c"));

        assertEquals("h", authenticate(header, both).subject());
        assertEquals("c", authenticate(header, Map.of("Cookie", "a=1; sluice_token=" + token("c") + "; b=2")).subject());
        assertEquals("q", authenticate(header, Map.of()).subject());
    }

    @Test
    void aBadTokenInTheWinningSourceIsRefusedEvenIfALaterSourceIsGood() {
        ApiException e = refusal(ApiError.UNAUTHORIZED, () -> authenticate("/?access_token=" + token("q"),
                Map.of("Authorization", "Bearer not.a.token")));

        assertEquals("Bearer error=\"invalid_token\"", challenge(e));
        refusal(ApiError.UNAUTHORIZED, () -> authenticate("/?access_token=" + token("q"),
                Map.of("Cookie", "sluice_token=expired.or.bad")));
    }

    @Test
    void bearerSchemeIsCaseInsensitiveAndOtherSchemesAreSkipped() {
        assertEquals("h", authenticate("/", Map.of("Authorization", "bearer " + token("h"))).subject());
        assertEquals("h", authenticate("/", Map.of("Authorization", "BEARER   " + token("h") + " ")).subject());
        // a proxy's own Basic auth is not ours: the cookie is used
        assertEquals("c", authenticate("/", Map.of("Authorization", "Basic dXNlcjpwYXNz",
                "Cookie", "sluice_token=" + token("c"))).subject());
        assertSame(Principal.ANONYMOUS, authenticate("/", Map.of("Authorization", "Bearertoken")));
    }

    @Test
    void presentedTokenNeverPrintsItsValue() {
        String t = token("h");
        PresentedToken found = PresentedToken.find(request("/", Map.of("Authorization", "Bearer " + t)), QueryParams.of("/"));

        assertEquals(new PresentedToken(t, PresentedToken.Source.AUTHORIZATION), found);
        assertFalse(found.toString().contains(t), found.toString());
    }

    // ---- publish keys --------------------------------------------------------------------------------------

    @Test
    void everyConfiguredPublishKeyIsRecognisedInTheAuthorizationHeaderOnly() {
        assertSame(Principal.PUBLISH_KEY, authenticate("/", Map.of("Authorization", "Bearer " + PUBLISH_KEY)));
        assertSame(Principal.PUBLISH_KEY, authenticate("/", Map.of("Authorization", "Bearer " + OTHER_KEY)));
        // keys are never taken from a cookie or the URL: there they are just malformed tokens
        refusal(ApiError.UNAUTHORIZED, () -> authenticate("/?access_token=" + PUBLISH_KEY, Map.of()));
        refusal(ApiError.UNAUTHORIZED, () -> authenticate("/", Map.of("Cookie", "sluice_token=" + PUBLISH_KEY)));
    }

    @Test
    void publishKeysMatchWholeKeysOnly() {
        PublishKeys keys = new PublishKeys(List.of("k1-0123456789abcdef", "k2-0123456789abcdef", "k3-0123456789abcdef"));

        assertTrue(keys.matches("k1-0123456789abcdef"));
        assertTrue(keys.matches("k2-0123456789abcdef"));
        assertTrue(keys.matches("k3-0123456789abcdef"));
        for (String near : List.of("k1-0123456789abcde", "k1-0123456789abcdef0", "K1-0123456789abcdef", "", "k4-0123456789abcdef",
                " k1-0123456789abcdef")) {
            assertFalse(keys.matches(near), near);
        }
        assertFalse(new PublishKeys(List.of()).matches("anything"));
        assertTrue(new PublishKeys(List.of()).isEmpty());
    }

    @Test
    void anUnknownBearerIsAnInvalidToken() {
        ApiException e = refusal(ApiError.UNAUTHORIZED,
                () -> authenticate("/", Map.of("Authorization", "Bearer pk_guess_0000000000000")));

        assertEquals("token: malformed; expected a signed JWT (JWS compact serialization: header.payload.signature)",
                e.getMessage());
    }

    @Test
    void withOnlyPublishKeysConfiguredEveryTokenIsRefused() {
        TokenAccessPolicy keysOnly = new TokenAccessPolicy(null, new PublishKeys(List.of(PUBLISH_KEY)), List.of());
        HttpRequest withToken = request("/", Map.of("Authorization", "Bearer " + token("h")));

        ApiException e = refusal(ApiError.UNAUTHORIZED, () -> keysOnly.authenticate(withToken, QueryParams.of("/")));
        assertEquals("token: this gateway accepts no tokens (none of jwtSecret, jwtPublicKeyFile and jwksUrl is configured)"
                + " and the bearer credential is not a publish key", e.getMessage());
        assertEquals("Bearer error=\"invalid_token\"", challenge(e));
        assertSame(Principal.PUBLISH_KEY, keysOnly.authenticate(request("/", Map.of("Authorization", "Bearer " + PUBLISH_KEY)),
                QueryParams.of("/")));
    }

    // ---- reading -------------------------------------------------------------------------------------------

    @Test
    void anonymousReadsBroadcastAndPublicTopicsOnly() {
        policy.checkSubscribe(Principal.ANONYMOUS, "broadcast");
        policy.checkSubscribe(Principal.ANONYMOUS, "news/today");
        policy.checkSubscribe(Principal.ANONYMOUS, "news/");
        policy.checkSubscribe(Principal.ANONYMOUS, "status");

        ApiException e = refusal(ApiError.UNAUTHORIZED, () -> policy.checkSubscribe(Principal.ANONYMOUS, "orders"));
        assertEquals("topic 'orders' is not public: send a token (Authorization: Bearer, cookie sluice_token or"
                + " ?access_token=)", e.getMessage());
        assertEquals("Bearer", challenge(e));
        refusal(ApiError.UNAUTHORIZED, () -> policy.checkSubscribe(Principal.ANONYMOUS, "news"));
        refusal(ApiError.UNAUTHORIZED, () -> policy.checkSubscribe(Principal.ANONYMOUS, "statuses"));
        refusal(ApiError.UNAUTHORIZED, () -> policy.checkSubscribe(Principal.ANONYMOUS, "user/alice"));
    }

    @Test
    void tokenReadsWhatItsPatternsMatchPlusPublicAndBroadcast() {
        Principal alice = token("alice", List.of("orders/*", "chat", "a*b*c"), List.of(), false);

        for (String topic : List.of("orders/1", "orders/1/items", "orders/", "chat", "abc", "a-b-c", "axxbyyc", "news/x",
                "broadcast", "user/alice")) {
            policy.checkSubscribe(alice, topic);
        }
        for (String topic : List.of("orders", "chat2", "xchat", "ab", "acb", "Orders/1")) {
            ApiException e = refusal(ApiError.FORBIDDEN, () -> policy.checkSubscribe(alice, topic));
            assertEquals("topic '" + topic + "': the token of user alice may not read it (no sluice.subscribe pattern"
                    + " matches)", e.getMessage());
            assertNull(challenge(e));
        }
    }

    @Test
    void userTopicsAreReadableOnlyByTheirUserOrAnAdminWhateverThePatterns() {
        Principal alice = token("alice", List.of("*", "user/*"), List.of(), false);
        Principal admin = token("root", List.of(), List.of(), true);
        TokenAccessPolicy everythingPublic = new TokenAccessPolicy(null, new PublishKeys(List.of()), List.of("*"));

        policy.checkSubscribe(alice, "user/alice");
        for (String topic : List.of("user/bob", "user/alice/x", "user/alic", "user/alicea", "user/")) {
            ApiException e = refusal(ApiError.FORBIDDEN, () -> policy.checkSubscribe(alice, topic));
            assertTrue(e.getMessage().startsWith("topic '" + topic + "' is readable only by user "), e.getMessage());
            refusal(ApiError.UNAUTHORIZED, () -> everythingPublic.checkSubscribe(Principal.ANONYMOUS, topic));
        }
        assertEquals("topic 'user/bob' is readable only by user bob or an admin",
                refusal(ApiError.FORBIDDEN, () -> policy.checkSubscribe(alice, "user/bob")).getMessage());
        for (String topic : List.of("user/bob", "user/alice", "orders", "anything/at/all", "broadcast")) {
            policy.checkSubscribe(admin, topic);
        }
        everythingPublic.checkSubscribe(Principal.ANONYMOUS, "orders");
    }

    @Test
    void aPublishKeyDoesNotReadExceptWhatEveryoneMay() {
        policy.checkSubscribe(Principal.PUBLISH_KEY, "news/a");
        policy.checkSubscribe(Principal.PUBLISH_KEY, "broadcast");

        ApiException e = refusal(ApiError.FORBIDDEN, () -> policy.checkSubscribe(Principal.PUBLISH_KEY, "orders"));
        assertEquals("topic 'orders': a publish key may only publish; read with a token", e.getMessage());
    }

    // ---- publishing ----------------------------------------------------------------------------------------

    @Test
    void publishNeedsAPatternAKeyOrAdmin() {
        Principal writer = token("svc", List.of(), List.of("orders/*", "user/*"), false);

        policy.checkPublish(writer, "orders/7");
        policy.checkPublish(writer, "user/bob");
        policy.checkPublish(Principal.PUBLISH_KEY, "anything");
        policy.checkPublish(Principal.PUBLISH_KEY, "user/bob");
        policy.checkPublish(token("root", List.of(), List.of(), true), "broadcast");

        ApiException forbidden = refusal(ApiError.FORBIDDEN, () -> policy.checkPublish(writer, "broadcast"));
        assertEquals("topic 'broadcast': the token of user svc may not publish to it (no sluice.publish pattern matches)",
                forbidden.getMessage());
        // reading rights do not grant publishing, not even to one's own user topic or a public topic
        Principal reader = token("alice", List.of("*"), List.of(), false);
        refusal(ApiError.FORBIDDEN, () -> policy.checkPublish(reader, "user/alice"));
        refusal(ApiError.FORBIDDEN, () -> policy.checkPublish(reader, "news/a"));

        ApiException anonymous = refusal(ApiError.UNAUTHORIZED, () -> policy.checkPublish(Principal.ANONYMOUS, "news/a"));
        assertEquals("topic 'news/a': publishing needs a publish key or a token with sluice.publish (Authorization: Bearer)",
                anonymous.getMessage());
        assertEquals("Bearer", challenge(anonymous));
    }

    // ---- the principal on the channel ----------------------------------------------------------------------

    @Test
    void authenticationRecordsThePrincipalOnTheChannelAndClearsItWhenRefused() {
        EmbeddedChannel channel = new EmbeddedChannel();
        String t = TestTokens.hs256("alice", List.of("a"), null, false, Instant.now().plusSeconds(60));

        Principal p = policy.authenticate(channel, request("/", Map.of("Authorization", "Bearer " + t)), QueryParams.of("/"));
        assertEquals("alice", p.subject());
        assertSame(p, channel.attr(Principal.CHANNEL_ATTRIBUTE).get());

        refusal(ApiError.UNAUTHORIZED, () -> policy.authenticate(channel, request("/", Map.of("Authorization", "Bearer x.y.z")),
                QueryParams.of("/")));
        assertNull(channel.attr(Principal.CHANNEL_ATTRIBUTE).get());

        policy.authenticate(channel, request("/", Map.of()), QueryParams.of("/"));
        assertSame(Principal.ANONYMOUS, channel.attr(Principal.CHANNEL_ATTRIBUTE).get());
        assertFalse(channel.finish());
    }

    @Test
    void describesItselfWithoutSecrets() {
        assertEquals("tokens=[HS256] publishKeys=2 publicTopics=[news/*, status]", policy.toString());
        assertFalse(policy.isOpen());
    }
}
