package io.sluice.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.api.ApiError;
import io.sluice.api.ApiException;
import io.sluice.testing.Await;
import io.sluice.testing.JwksServer;
import io.sluice.testing.TestTokens;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static io.sluice.testing.TestTokens.SECRET;
import static io.sluice.testing.TestTokens.claims;
import static io.sluice.testing.TestTokens.signed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link JwtVerifier} with a JWK set served by a real HTTP server: keys chosen by kid (RS256 and ES256), rotation,
 * the refetch limit under a flood of invented kids, 503 before a first set, issuer and audience, the grants claim, the
 * secret and the key file alongside the set, algorithm confusion, and a cache that never outlives a removed key.
 */
class JwksVerificationTest {
    private static final KeyPair RSA = JwksFixture.RSA;
    private static final KeyPair EC = JwksFixture.EC;
    private static final KeyPair NEXT_RSA = TestTokens.rsa(2048);
    private static final Duration WAIT = JwksFixture.WAIT;
    private static final String ISSUER = "https://idp.example.com/";

    /** One clock for the key sets (refetch limit) and the verifiers (exp): the test moves it. */
    @AutoClose
    private final JwksFixture jwks = new JwksFixture(System.currentTimeMillis());
    private final AtomicLong now = jwks.now;

    private JwksServer server(JWK... keys) {
        return jwks.server(keys);
    }

    private JwksKeys loaded(JwksServer server) throws Exception {
        return jwks.loaded(server);
    }

    private JwtVerifier verifier(String secret, JwksKeys keys, JwtVerifier.ClaimRules rules) {
        return new JwtVerifier(secret, null, keys, rules, Duration.ZERO, now::get);
    }

    private JwtVerifier verifier(JwksKeys keys) {
        return verifier(null, keys, JwtVerifier.ClaimRules.DEFAULT);
    }

    private static JWTClaimsSet.Builder alice() {
        return claims("alice", List.of("orders/*"), null, false);
    }

    private static String refused(JwtVerifier verifier, String token) {
        ApiException e = assertThrows(ApiException.class, () -> verifier.verify(token));
        assertEquals(ApiError.UNAUTHORIZED, e.error(), e::getMessage);
        assertEquals("Bearer error=\"invalid_token\"", headers(e).get("WWW-Authenticate"));
        assertFalse(e.getMessage().contains(token), "the message must never quote the token");
        return e.getMessage();
    }

    private static io.netty.handler.codec.http.HttpHeaders headers(ApiException e) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        e.customizer().customize(r);
        return r.headers();
    }

    // ---- keys by kid ---------------------------------------------------------------------------------------

    @Test
    void rs256AndEs256TokensAreVerifiedByTheKeyTheirKidNames() throws Exception {
        JwtVerifier v = verifier(loaded(server(TestTokens.jwk(RSA, "r1"), TestTokens.jwk(EC, "e1"))));

        assertEquals("alice", v.verify(signed(RSA, "r1", alice())).subject());
        Principal p = v.verify(signed(EC, "e1", alice()));
        assertEquals(List.of("orders/*"), p.subscribe());
        assertEquals("token: invalid signature", refused(v, signed(NEXT_RSA, "r1", alice())), "r1 is not that key");
        assertEquals("token: invalid signature", refused(v, signed(TestTokens.ec("secp256r1"), "e1", alice())));
    }

    @Test
    void aTokenWithoutKidIsNotCheckedAgainstTheSet() throws Exception {
        JwtVerifier v = verifier(loaded(server(TestTokens.jwk(RSA, "r1"))));
        String noKid = TestTokens.sign(new JWSHeader(JWSAlgorithm.RS256), alice().build(), TestTokens.signer(RSA));

        assertEquals("token: no kid header; keys of jwksUrl are chosen by the token's kid", refused(v, noKid));
    }

    @Test
    void anUnknownKidIsRefusedAtOnceAndFetchesTheSetAgainSoARotatedKeyIsAcceptedAfterwards() throws Exception {
        JwksServer server = server(TestTokens.jwk(RSA, "r1"));
        JwksKeys keys = loaded(server);
        JwtVerifier v = verifier(keys);
        String old = signed(RSA, "r1", alice());
        assertEquals("alice", v.verify(old).subject());

        server.serve(TestTokens.jwk(NEXT_RSA, "r2")); // the provider rotates: r1 is gone, r2 signs
        String rotated = signed(NEXT_RSA, "r2", alice());
        assertEquals("token: kid 'r2' is not in the JWK set of jwksUrl (the set is fetched again, at most every 30s, in"
                + " case the provider rotated its keys)", refused(v, rotated));
        Await.until(() -> keys.current().hasKid("r2"), WAIT, "the refetch the unknown kid asked for");

        assertEquals("alice", v.verify(rotated).subject());
        assertTrue(refused(v, old).startsWith("token: kid 'r1' is not in the JWK set"),
                "a token verified with a removed key is not served from the cache");
        assertEquals(2, server.requests(), "the load and one refetch");
    }

    @Test
    void aCachedTokenIsReverifiedWhenTheSetChangesAndKeptWhenItDoesNot() throws Exception {
        JwksServer server = server(TestTokens.jwk(RSA, "r1"), TestTokens.jwk(EC, "e1"));
        JwksKeys keys = loaded(server);
        JwtVerifier v = verifier(keys);
        String token = signed(EC, "e1", alice());
        Principal first = v.verify(token);
        assertSame(first, v.verify(token), "a cache hit");

        server.serve(TestTokens.jwk(RSA, "r1"), TestTokens.jwk(EC, "e1"));
        now.addAndGet(JwksKeys.MIN_REFETCH_INTERVAL.toMillis());
        keys.requestRefetch();
        server.awaitRequests(2, WAIT);
        Await.until(() -> keys.current().fetchedAtMillis() == now.get(), WAIT, "the same keys fetched again");
        assertSame(first, v.verify(token), "same keys, same version: still a hit");

        server.serve(TestTokens.jwk(RSA, "r1"), TestTokens.jwk(EC, "e1"), TestTokens.jwk(NEXT_RSA, "r2"));
        now.addAndGet(JwksKeys.MIN_REFETCH_INTERVAL.toMillis());
        keys.requestRefetch();
        Await.until(() -> keys.current().version() == 2, WAIT, "a set with one more key");
        Principal again = v.verify(token);
        assertEquals(first, again);
        assertFalse(first == again, "a new set version makes the cached entry a miss: verified again");
    }

    @Test
    void aFloodOfInventedKidsFetchesTheSetAtMostOncePerThirtySeconds() throws Exception {
        JwksServer server = server(TestTokens.jwk(RSA, "r1"));
        JwksKeys keys = loaded(server);
        JwtVerifier v = verifier(keys);

        for (int i = 0; i < 500; i++) {
            assertTrue(refused(v, signed(NEXT_RSA, "bogus-" + i, alice())).startsWith("token: kid 'bogus-" + i + "'"));
        }
        server.awaitRequests(2, WAIT);
        now.addAndGet(JwksKeys.MIN_REFETCH_INTERVAL.toMillis() - 1);
        for (int i = 0; i < 500; i++) {
            refused(v, signed(NEXT_RSA, "more-" + i, alice()));
        }
        assertEquals(2, server.requests(), "within 30 s: no fetch beyond the first refetch");
        now.addAndGet(1);
        refused(v, signed(NEXT_RSA, "later", alice()));
        server.awaitRequests(3, WAIT);
        assertEquals(3, server.requests());
    }

    // ---- before the first set ------------------------------------------------------------------------------

    @Test
    void beforeTheFirstSetTokensThatNeedItAre503AndOthersAreVerifiedAsUsual() throws Exception {
        JwksServer server = server();
        server.fail(503);
        JwksKeys keys = jwks.started(server.url(), Duration.ofMillis(100)); // the first load retried every 100 ms
        KeyPair fileKey = TestTokens.rsa(2048);
        JwtVerifier v = new JwtVerifier(SECRET, fileKey.getPublic(), keys, JwtVerifier.ClaimRules.DEFAULT, Duration.ZERO,
                now::get);
        server.awaitRequests(1, WAIT);
        assertFalse(keys.isLoaded());

        ApiException e = assertThrows(ApiException.class, () -> v.verify(signed(RSA, "r1", alice())));
        assertEquals(ApiError.UNAVAILABLE, e.error());
        assertEquals("token: the signing keys of jwksUrl are not loaded yet; retry in a few seconds", e.getMessage());
        int retryAfter = Integer.parseInt(headers(e).get("Retry-After"));
        assertTrue(retryAfter >= JwtVerifier.RETRY_AFTER_LOW_SECONDS && retryAfter < JwtVerifier.RETRY_AFTER_HIGH_SECONDS);
        assertNull(headers(e).get("WWW-Authenticate"), "not a bad token");
        assertEquals(ApiError.UNAVAILABLE, assertThrows(ApiException.class,
                () -> v.verify(signed(EC, "e1", alice()))).error());

        assertEquals("alice", v.verify(TestTokens.hs256(alice())).subject(), "HS256 needs no JWK set");
        assertEquals("alice", v.verify(signed(fileKey, "any-kid", alice())).subject(), "nor does the key file's key");
        assertEquals("token: malformed; expected a signed JWT (JWS compact serialization: header.payload.signature)",
                refused(v, "garbage"));
        assertEquals("token: invalid signature", refused(v, TestTokens.sign(new JWSHeader(JWSAlgorithm.RS256),
                alice().build(), TestTokens.signer(RSA))), "without a kid the set would not be asked anyway");

        server.serve(TestTokens.jwk(RSA, "r1"));
        Await.until(keys::isLoaded, WAIT, "the set loaded once the provider answers");
        assertEquals("alice", v.verify(signed(RSA, "r1", alice())).subject());
    }

    // ---- issuer, audience, grants claim --------------------------------------------------------------------

    @Test
    void issuerAndAudienceAreCheckedWhenSetAndTheMessageNamesTheClaim() throws Exception {
        JwtVerifier v = verifier(SECRET, loaded(server(TestTokens.jwk(RSA, "r1"))),
                new JwtVerifier.ClaimRules(ISSUER, "sluice", "sluice"));

        assertEquals("alice", v.verify(signed(RSA, "r1", alice().issuer(ISSUER).audience("sluice"))).subject());
        assertEquals("alice", v.verify(signed(RSA, "r1", alice().issuer(ISSUER).audience(List.of("api", "sluice"))))
                .subject());
        assertEquals("token: claim iss is 'https://idp.example.com'; jwtIssuer requires 'https://idp.example.com/'",
                refused(v, signed(RSA, "r1", alice().issuer("https://idp.example.com").audience("sluice"))));
        assertEquals("token: claim iss is missing; jwtIssuer requires 'https://idp.example.com/'",
                refused(v, signed(RSA, "r1", alice().audience("sluice"))));
        assertEquals("token: claim aud [api, other] does not contain jwtAudience 'sluice'",
                refused(v, signed(RSA, "r1", alice().issuer(ISSUER).audience(List.of("api", "other")))));
        assertEquals("token: claim aud is missing; jwtAudience requires 'sluice'",
                refused(v, signed(RSA, "r1", alice().issuer(ISSUER))));
        assertEquals("token: claim iss is missing; jwtIssuer requires 'https://idp.example.com/'",
                refused(v, TestTokens.hs256(alice().audience("sluice"))), "every key source, HS256 too");
        assertEquals("alice", v.verify(TestTokens.hs256(alice().issuer(ISSUER).audience("sluice"))).subject());
    }

    @Test
    void withoutIssuerOrAudienceConfiguredNeitherIsChecked() throws Exception {
        JwtVerifier v = verifier(loaded(server(TestTokens.jwk(EC, "e1"))));

        assertEquals("alice", v.verify(signed(EC, "e1", alice().issuer("anyone").audience("anything"))).subject());
    }

    @Test
    void theGrantsClaimIsConfigurableAndMayBeAStringHoldingTheObject() throws Exception {
        JwksKeys keys = loaded(server(TestTokens.jwk(RSA, "r1")));
        String name = "https://sluice.example.com/grants";
        JwtVerifier v = verifier(null, keys, new JwtVerifier.ClaimRules("", "", name));
        JWTClaimsSet.Builder base = new JWTClaimsSet.Builder().subject("bob");

        Principal object = v.verify(signed(RSA, "r1", base.claim(name, Map.of("subscribe", List.of("a/*"), "admin", true))));
        assertEquals(List.of("a/*"), object.subscribe());
        assertTrue(object.admin());
        Principal text = v.verify(signed(RSA, "r1", new JWTClaimsSet.Builder().subject("carol")
                .claim(name, "{\"subscribe\":[\"b/*\"],\"publish\":[\"b/out\"]}")));
        assertEquals(List.of("b/*"), text.subscribe());
        assertEquals(List.of("b/out"), text.publish());
        assertEquals(List.of(), v.verify(signed(RSA, "r1", new JWTClaimsSet.Builder().subject("dan")
                .claim("sluice", Map.of("subscribe", List.of("*"))))).subscribe(), "the default claim is not read");
        assertEquals("token: claim https://sluice.example.com/grants must be an object {\"subscribe\":[…],\"publish\":[…],"
                + "\"admin\":bool} or a string holding one",
                refused(v, signed(RSA, "r1", new JWTClaimsSet.Builder().subject("eve").claim(name, "[\"x\"]"))));
        assertEquals("token: claim https://sluice.example.com/grants.subscribe must be an array of topic patterns (1-200"
                + " characters from A-Z a-z 0-9 - _ . ~ : / @ and * (any run))",
                refused(v, signed(RSA, "r1", new JWTClaimsSet.Builder().subject("eve").claim(name, "{\"subscribe\":1}"))));

        JwtVerifier none = verifier(null, keys, new JwtVerifier.ClaimRules("", "", ""));
        assertEquals(List.of(), none.verify(signed(RSA, "r1", new JWTClaimsSet.Builder().subject("fay")
                .claim("sluice", "not even an object"))).subscribe(), "an empty jwtClaim reads no grants");
    }

    // ---- together with the other credentials, and algorithm confusion --------------------------------------

    @Test
    void theSecretTheKeyFileAndTheSetEachVerifyTheirOwnTokens() throws Exception {
        JwksServer server = server(TestTokens.jwk(RSA, "r1"));
        KeyPair fileKey = TestTokens.rsa(2048);
        JwtVerifier v = new JwtVerifier(SECRET, fileKey.getPublic(), loaded(server), JwtVerifier.ClaimRules.DEFAULT,
                Duration.ZERO, now::get);

        assertEquals("alice", v.verify(signed(RSA, "r1", alice())).subject());
        assertEquals("alice", v.verify(TestTokens.hs256(alice())).subject());
        assertEquals("alice", v.verify(signed(fileKey, "whatever-the-idp-says", alice())).subject());
        assertEquals("alice", v.verify(TestTokens.sign(new JWSHeader(JWSAlgorithm.RS256), alice().build(),
                TestTokens.signer(fileKey))).subject());
        assertEquals(1, server.requests(), "a token the key file verifies fetches nothing, whatever its kid");
        assertTrue(refused(v, signed(NEXT_RSA, "nobody", alice())).startsWith("token: kid 'nobody' is not in the JWK set"),
                "verified by neither: the set's answer");
        assertEquals("[HS256, RS256, ES256]", v.algorithms().toString());
    }

    @Test
    void algorithmConfusionStaysRefused() throws Exception {
        OctetSequenceKey published = new OctetSequenceKey.Builder(
                "a-secret-anyone-can-read-in-the-set!!".getBytes(StandardCharsets.UTF_8)).keyID("oct").build();
        JwksKeys keys = loaded(server(TestTokens.jwk(RSA, "r1"), TestTokens.jwk(EC, "e1"), published));
        JwtVerifier setOnly = verifier(keys);
        JwtVerifier withSecret = verifier(SECRET, keys, JwtVerifier.ClaimRules.DEFAULT);
        byte[] publicKeyBytes = RSA.getPublic().getEncoded();
        byte[] modulus = Base64URL.encode(((java.security.interfaces.RSAPublicKey) RSA.getPublic()).getModulus()
                .toByteArray()).toString().getBytes(StandardCharsets.US_ASCII);

        for (byte[] secret : List.of(publicKeyBytes, modulus, published.toByteArray())) {
            for (String kid : List.of("r1", "oct")) {
                String confused = TestTokens.sign(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(kid).build(),
                        alice().build(), TestTokens.macSigner(secret));
                assertEquals("token: algorithm HS256 is not accepted here (accepted: ES256, RS256)",
                        refused(setOnly, confused));
                assertEquals("token: invalid signature", refused(withSecret, confused));
            }
        }
        String rsHeaderOnEcKey = TestTokens.sign(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("e1").build(),
                alice().build(), TestTokens.signer(RSA));
        assertEquals("token: kid 'e1' of jwksUrl is not a key for RS256", refused(setOnly, rsHeaderOnEcKey));
        String esHeaderOnRsaKey = TestTokens.sign(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("r1").build(),
                alice().build(), TestTokens.signer(EC));
        assertEquals("token: kid 'r1' of jwksUrl is not a key for ES256", refused(setOnly, esHeaderOnRsaKey));
        assertEquals("token: unsigned tokens (alg none) are not accepted",
                refused(setOnly, new PlainJWT(alice().build()).serialize()));
        String valid = signed(RSA, "r1", alice());
        String noneWithKid = Base64URL.encode("{\"alg\":\"none\",\"kid\":\"r1\"}") + valid.substring(valid.indexOf('.'));
        assertTrue(refused(setOnly, noneWithKid).startsWith("token: "));
        String ps256 = TestTokens.sign(new JWSHeader.Builder(JWSAlgorithm.PS256).keyID("r1").build(), alice().build(),
                TestTokens.signer(RSA));
        assertEquals("token: algorithm PS256 is not accepted here (accepted: ES256, RS256)", refused(setOnly, ps256));
        assertNotNull(keys.current());
    }
}
