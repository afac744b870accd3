package io.sluice.auth;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.api.ApiError;
import io.sluice.api.ApiException;
import io.sluice.testing.TestTokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;

import static io.sluice.testing.TestTokens.SECRET;
import static io.sluice.testing.TestTokens.claims;
import static io.sluice.testing.TestTokens.hs256;
import static io.sluice.testing.TestTokens.sign;
import static io.sluice.testing.TestTokens.signer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link JwtVerifier}: every accepted algorithm, and every way a token must be refused (alg none, algorithm
 * confusion, wrong key, time, malformed text, claims of the wrong shape), each with a 401 {@code invalid_token}
 * whose message says why. Keys are generated here with the JDK; tokens are signed with nimbus.
 */
class JwtVerifierTest {
    /** A fixed "now": 2030-01-01T00:00:00Z, in epoch milliseconds. */
    private static final long NOW = 1_893_456_000_000L;
    private static final KeyPair RSA = TestTokens.rsa(2048);
    private static final KeyPair OTHER_RSA = TestTokens.rsa(2048);
    private static final KeyPair EC = TestTokens.ec("secp256r1");
    private static final KeyPair OTHER_EC = TestTokens.ec("secp256r1");

    private static JwtVerifier hsVerifier(Duration skew) {
        return new JwtVerifier(SECRET, null, skew, () -> NOW);
    }

    private static JWTClaimsSet.Builder alice() {
        return claims("alice", List.of("orders/*"), List.of("chat"), false);
    }

    private static Date at(long epochMillis) {
        return new Date(epochMillis);
    }

    private static String refused(JwtVerifier verifier, String token) {
        ApiException e = assertThrows(ApiException.class, () -> verifier.verify(token));
        assertEquals(ApiError.UNAUTHORIZED, e.error(), e::getMessage);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.UNAUTHORIZED);
        e.customizer().customize(r);
        assertEquals("Bearer error=\"invalid_token\"", r.headers().get("WWW-Authenticate"));
        assertFalse(token.length() > 8 && e.getMessage().contains(token), "the message must never quote the token");
        return e.getMessage();
    }

    // ---- accepted ------------------------------------------------------------------------------------------

    @Test
    void hs256TokenGivesItsSubjectGrantsAndExpiryPlusSkew() {
        String token = hs256(alice().expirationTime(at(NOW + 60_000)));

        Principal p = hsVerifier(Duration.ofSeconds(30)).verify(token);

        assertEquals(new Principal("alice", false, Principal.Kind.TOKEN, List.of("orders/*"), List.of("chat"),
                NOW + 90_000), p);
        assertTrue(p.expires());
    }

    @Test
    void tokenWithoutExpNeverExpiresAndAdminIsRead() {
        Principal p = hsVerifier(Duration.ZERO).verify(hs256(claims("root", null, null, true)));

        assertEquals(new Principal("root", true, Principal.Kind.TOKEN, List.of(), List.of(), Principal.NEVER), p);
        assertFalse(p.expires());
    }

    @Test
    void rs256TokenIsAcceptedWithAnRsaKeyWhateverItsKidSays() {
        JwtVerifier v = new JwtVerifier("", RSA.getPublic(), Duration.ZERO, () -> NOW);

        assertEquals("alice", v.verify(sign(new JWSHeader(JWSAlgorithm.RS256), alice().build(), signer(RSA))).subject());
        JWSHeader withKid = new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("idp-key-7").type(JOSEObjectType.JWT).build();
        assertEquals("alice", v.verify(sign(withKid, alice().build(), signer(RSA))).subject());
    }

    @Test
    void es256TokenIsAcceptedWithAnEcP256Key() {
        JwtVerifier v = new JwtVerifier(null, EC.getPublic(), Duration.ZERO, () -> NOW);
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("k1").type(new JOSEObjectType("at+jwt")).build();

        assertEquals("alice", v.verify(sign(header, alice().build(), signer(EC))).subject());
    }

    @Test
    void secretAndPublicKeyTogetherAcceptBothAlgorithms() {
        JwtVerifier v = new JwtVerifier(SECRET, RSA.getPublic(), Duration.ZERO, () -> NOW);

        assertEquals("alice", v.verify(hs256(alice())).subject());
        assertEquals("alice", v.verify(sign(new JWSHeader(JWSAlgorithm.RS256), alice().build(), signer(RSA))).subject());
        assertEquals(java.util.Set.of(JWSAlgorithm.HS256, JWSAlgorithm.RS256), v.algorithms());
    }

    // ---- algorithm and key ---------------------------------------------------------------------------------

    @Test
    void unsignedAlgNoneTokenIsRefused() {
        String none = new PlainJWT(alice().build()).serialize();
        assertEquals("token: unsigned tokens (alg none) are not accepted", refused(hsVerifier(Duration.ZERO), none));

        // "alg":"none" with a signature part copied from a valid token: not even parsed as signed
        String valid = hs256(alice());
        String header = Base64URL.encode("{\"alg\":\"none\",\"typ\":\"JWT\"}").toString();
        String forged = header + valid.substring(valid.indexOf('.'));
        assertTrue(refused(hsVerifier(Duration.ZERO), forged).startsWith("token: "));
        // "alg":"None" / "NONE" are no algorithm nimbus knows as none: an algorithm not accepted
        String upper = Base64URL.encode("{\"alg\":\"NONE\"}") + valid.substring(valid.indexOf('.'));
        assertEquals("token: algorithm NONE is not accepted here (accepted: HS256)", refused(hsVerifier(Duration.ZERO), upper));
    }

    @Test
    void algorithmConfusionHs256KeyedWithThePublicKeyIsRefused() {
        byte[] pemBytes = TestTokens.pem(RSA.getPublic()).getBytes(StandardCharsets.US_ASCII);
        byte[] derBytes = RSA.getPublic().getEncoded();
        JwtVerifier rsaOnly = new JwtVerifier("", RSA.getPublic(), Duration.ZERO, () -> NOW);
        JwtVerifier both = new JwtVerifier(SECRET, RSA.getPublic(), Duration.ZERO, () -> NOW);

        for (byte[] secret : List.of(pemBytes, derBytes)) {
            String confused = sign(new JWSHeader(JWSAlgorithm.HS256), alice().build(), TestTokens.macSigner(secret));
            assertEquals("token: algorithm HS256 is not accepted here (accepted: RS256)", refused(rsaOnly, confused));
            assertEquals("token: invalid signature", refused(both, confused));
        }
        JwtVerifier ecOnly = new JwtVerifier("", EC.getPublic(), Duration.ZERO, () -> NOW);
        String confused = sign(new JWSHeader(JWSAlgorithm.HS256), alice().build(),
                TestTokens.macSigner(EC.getPublic().getEncoded().length >= 32 ? EC.getPublic().getEncoded() : pemBytes));
        assertEquals("token: algorithm HS256 is not accepted here (accepted: ES256)", refused(ecOnly, confused));
    }

    @Test
    void algorithmsWithoutTheirKeyAreRefused() {
        JwtVerifier hsOnly = hsVerifier(Duration.ZERO);
        JwtVerifier rsaOnly = new JwtVerifier("", RSA.getPublic(), Duration.ZERO, () -> NOW);
        JwtVerifier ecOnly = new JwtVerifier("", EC.getPublic(), Duration.ZERO, () -> NOW);
        String rs = sign(new JWSHeader(JWSAlgorithm.RS256), alice().build(), signer(RSA));
        String es = sign(new JWSHeader(JWSAlgorithm.ES256), alice().build(), signer(EC));

        assertEquals("token: algorithm RS256 is not accepted here (accepted: HS256)", refused(hsOnly, rs));
        assertEquals("token: algorithm ES256 is not accepted here (accepted: RS256)", refused(rsaOnly, es));
        assertEquals("token: algorithm RS256 is not accepted here (accepted: ES256)", refused(ecOnly, rs));
        // same key family, other algorithm of it
        String hs512 = sign(new JWSHeader(JWSAlgorithm.HS512), alice().build(),
                TestTokens.macSigner((SECRET + SECRET).getBytes(StandardCharsets.UTF_8)));
        assertEquals("token: algorithm HS512 is not accepted here (accepted: HS256)", refused(hsOnly, hs512));
        String ps256 = sign(new JWSHeader(JWSAlgorithm.PS256), alice().build(), signer(RSA));
        assertEquals("token: algorithm PS256 is not accepted here (accepted: RS256)", refused(rsaOnly, ps256));
        KeyPair p384 = TestTokens.ec("secp384r1");
        String es384 = sign(new JWSHeader(JWSAlgorithm.ES384), alice().build(), signer(p384));
        assertEquals("token: algorithm ES384 is not accepted here (accepted: ES256)", refused(ecOnly, es384));
    }

    @Test
    void wrongKeyOrTamperedTokenIsAnInvalidSignature() throws Exception {
        assertEquals("token: invalid signature",
                refused(hsVerifier(Duration.ZERO), hs256("another-secret-of-at-least-32-bytes!!", alice())));
        assertEquals("token: invalid signature", refused(new JwtVerifier("", RSA.getPublic(), Duration.ZERO, () -> NOW),
                sign(new JWSHeader(JWSAlgorithm.RS256), alice().build(), signer(OTHER_RSA))));
        assertEquals("token: invalid signature", refused(new JwtVerifier("", EC.getPublic(), Duration.ZERO, () -> NOW),
                sign(new JWSHeader(JWSAlgorithm.ES256), alice().build(), signer(OTHER_EC))));

        // payload swapped for one granting admin, signature kept
        String token = hs256(alice());
        String[] parts = token.split("\\.");
        String admin = Base64URL.encode(claims("alice", null, null, true).build().toString()).toString();
        assertEquals("token: invalid signature", refused(hsVerifier(Duration.ZERO), parts[0] + "." + admin + "." + parts[2]));
        assertTrue(refused(hsVerifier(Duration.ZERO), parts[0] + "." + parts[1] + ".").startsWith("token: "));
        assertTrue(new MACSigner(SECRET).supportedJWSAlgorithms().contains(JWSAlgorithm.HS256));
    }

    @Test
    void unexpectedTypeHeaderIsRefused() {
        String token = sign(new JWSHeader.Builder(JWSAlgorithm.HS256).type(new JOSEObjectType("secevent+jwt")).build(),
                alice().build(), TestTokens.macSigner(SECRET.getBytes(StandardCharsets.UTF_8)));

        assertTrue(refused(hsVerifier(Duration.ZERO), token).startsWith("token: rejected ("));
    }

    // ---- exp and nbf ---------------------------------------------------------------------------------------

    @Test
    void expiredTokenIsRefusedUnlessWithinTheSkew() {
        String token = hs256(alice().expirationTime(at(NOW - 1_000)));

        assertEquals("token: expired at 2029-12-31T23:59:59Z (clock skew allowed: 0ms); get a fresh token",
                refused(hsVerifier(Duration.ZERO), token));
        assertEquals(NOW + 29_000, hsVerifier(Duration.ofSeconds(30)).verify(token).expiresAtMillis());
    }

    @Test
    void expiryBoundaryIsExpPlusSkewExclusive() {
        long exp = NOW - 5_000;
        String token = hs256(alice().expirationTime(at(exp)));

        assertEquals("alice", new JwtVerifier(SECRET, null, Duration.ofMillis(5_001), () -> NOW).verify(token).subject());
        assertTrue(refused(new JwtVerifier(SECRET, null, Duration.ofMillis(5_000), () -> NOW), token)
                .startsWith("token: expired at "));
        assertTrue(refused(hsVerifier(Duration.ZERO), hs256(alice().expirationTime(at(NOW)))).startsWith("token: expired"));
    }

    @Test
    void notYetValidTokenIsRefusedUnlessWithinTheSkew() {
        String token = hs256(alice().notBeforeTime(at(NOW + 10_000)));

        assertEquals("token: not valid before 2030-01-01T00:00:10Z (clock skew allowed: 0ms)",
                refused(hsVerifier(Duration.ZERO), token));
        assertTrue(refused(hsVerifier(Duration.ofMillis(9_999)), token).startsWith("token: not valid before"));
        assertEquals("alice", hsVerifier(Duration.ofSeconds(10)).verify(token).subject());
        assertEquals("alice", hsVerifier(Duration.ZERO).verify(hs256(alice().notBeforeTime(at(NOW)))).subject());
    }

    // ---- malformed -----------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"x", "a.b", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJIUzI1NiJ9.e30",
        "not a token at all", "eyJ!.eyJ.sig", "e30.e30.e30", "a.b.c.d.e", "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"})
    void malformedTokensAreRefused(String token) {
        String message = refused(hsVerifier(Duration.ZERO), token);

        assertTrue(message.startsWith("token: "), message);
    }

    @Test
    void malformedTokenMessageSaysWhatIsExpected() {
        assertEquals("token: malformed; expected a signed JWT (JWS compact serialization: header.payload.signature)",
                refused(hsVerifier(Duration.ZERO), "garbage"));
    }

    @Test
    void payloadThatIsNotAJsonObjectIsRefused() {
        String header = Base64URL.encode("{\"alg\":\"HS256\"}").toString();
        for (String payload : List.of("[1,2]", "\"alice\"", "{\"sub\":", "{\"exp\":\"tomorrow\",\"sub\":\"a\"}")) {
            String signingInput = header + "." + Base64URL.encode(payload);
            String token = signingInput + "." + hmac(signingInput);
            assertTrue(refused(hsVerifier(Duration.ZERO), token).startsWith("token: "), payload);
        }
    }

    private static String hmac(String signingInput) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- claims --------------------------------------------------------------------------------------------

    @Test
    void subIsRequiredAndMustMakeAUserTopic() {
        JwtVerifier v = hsVerifier(Duration.ZERO);
        String required = "token: claim sub (the user id) is required and must be a non-empty string";

        assertEquals(required, refused(v, hs256(claims(null, List.of("a"), null, false))));
        assertEquals(required, refused(v, hs256(claims("", null, null, false))));
        assertEquals("token: bad claims (Illegal sub claim)",
                refused(v, hs256(new JWTClaimsSet.Builder().claim("sub", List.of("alice")))));
        // nimbus reads a numeric sub as its decimal text, as many issuers' numeric user ids expect
        assertEquals("42", v.verify(hs256(new JWTClaimsSet.Builder().claim("sub", 42))).subject());
        assertEquals("token: claim sub must make a topic user/<sub> of 1-200 characters from A-Z a-z 0-9 - _ . ~ : / @",
                refused(v, hs256(claims("auth0|123", null, null, false))));
        assertTrue(refused(v, hs256(claims("x".repeat(196), null, null, false))).startsWith("token: claim sub must"));
        assertEquals("x".repeat(195), v.verify(hs256(claims("x".repeat(195), null, null, false))).subject());
        assertEquals("a@b.example", v.verify(hs256(claims("a@b.example", null, null, false))).subject());
    }

    @Test
    void sluiceClaimOfTheWrongShapeIsRefused() {
        JwtVerifier v = hsVerifier(Duration.ZERO);
        JWTClaimsSet.Builder base = new JWTClaimsSet.Builder().subject("alice");

        assertTrue(refused(v, hs256(base.claim("sluice", "admin"))).startsWith("token: claim sluice must be an object"));
        assertEquals("token: claim sluice.subscribe must be an array of topic patterns (1-200 characters from"
                + " A-Z a-z 0-9 - _ . ~ : / @ and * (any run))",
                refused(v, hs256(base.claim("sluice", Map.of("subscribe", "orders/*")))));
        assertTrue(refused(v, hs256(base.claim("sluice", Map.of("subscribe", List.of("ok", 7)))))
                .startsWith("token: claim sluice.subscribe must be"));
        assertTrue(refused(v, hs256(base.claim("sluice", Map.of("publish", List.of("has space")))))
                .startsWith("token: claim sluice.publish must be"));
        assertTrue(refused(v, hs256(base.claim("sluice", Map.of("publish", List.of("")))))
                .startsWith("token: claim sluice.publish must be"));
        assertEquals("token: claim sluice.admin must be true or false",
                refused(v, hs256(base.claim("sluice", Map.of("admin", "yes")))));
    }

    @Test
    void sluiceClaimMayBeAbsentOrPartialAndUnknownFieldsAreIgnored() {
        JwtVerifier v = hsVerifier(Duration.ZERO);

        assertEquals(new Principal("bob", false), v.verify(hs256(new JWTClaimsSet.Builder().subject("bob"))));
        Principal p = v.verify(hs256(new JWTClaimsSet.Builder().subject("bob")
                .claim("sluice", Map.of("subscribe", List.of("*"), "future", 1, "admin", false))));
        assertEquals(List.of("*"), p.subscribe());
        assertEquals(List.of(), p.publish());
        assertFalse(p.admin());
    }

    // ---- cache of verified tokens --------------------------------------------------------------------------

    @Test
    void aVerifiedTokenIsServedFromTheCacheUntilItExpires() {
        long[] now = {NOW};
        JwtVerifier v = new JwtVerifier(SECRET, null, Duration.ofSeconds(1), () -> now[0]);
        String token = hs256(alice().expirationTime(at(NOW + 10_000)));

        Principal first = v.verify(token);
        assertSame(first, v.verify(token), "the second call is a cache hit");
        assertEquals(1, v.cachedTokens());

        now[0] = NOW + 10_999;
        assertSame(first, v.verify(token), "still valid within the skew");
        now[0] = NOW + 11_000;
        assertTrue(refused(v, token).startsWith("token: expired at "), "a cached token expires like any other");
        assertEquals(0, v.cachedTokens());
    }

    @Test
    void aCachedTokenIsRefusedBeforeItsNotBeforeIfTheClockGoesBack() {
        long[] now = {NOW};
        JwtVerifier v = new JwtVerifier(SECRET, null, Duration.ZERO, () -> now[0]);
        String token = hs256(alice().notBeforeTime(at(NOW)));

        v.verify(token);
        now[0] = NOW - 1;

        assertTrue(refused(v, token).startsWith("token: not valid before "));
    }

    @Test
    void refusedTokensAreNeverCachedAndTheCacheIsBounded() {
        JwtVerifier v = hsVerifier(Duration.ZERO);
        for (int i = 0; i < 20; i++) {
            refused(v, hs256("wrong-secret-of-at-least-32-bytes-long", alice()) + i);
        }
        assertEquals(0, v.cachedTokens());

        for (int i = 0; i <= JwtVerifier.CACHE_CAPACITY; i++) {
            v.verify(hs256(claims("u" + i, null, null, false)));
            assertTrue(v.cachedTokens() <= JwtVerifier.CACHE_CAPACITY);
        }
        assertEquals(1, v.cachedTokens(), "emptied when full, then the newest added");

        String huge = hs256(claims("big", java.util.Collections.nCopies(20, "p".repeat(150)), null, false));
        assertTrue(huge.length() > JwtVerifier.MAX_CACHED_TOKEN_LENGTH);
        Principal p = v.verify(huge);
        assertEquals(1, v.cachedTokens(), "a token over the length bound is verified but not kept");
        assertEquals(p, v.verify(huge));
    }

    // ---- hostile input -------------------------------------------------------------------------------------

    @Test
    void everyMutationOfAValidTokenIsRefusedAsA401() {
        long seed = Long.getLong("sluice.jwtFuzz.seed", 4242L);
        java.util.Random random = new java.util.Random(seed);
        String valid = hs256(claims("alice", List.of("orders/*"), List.of("a"), true).expirationTime(at(NOW + 60_000)));
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ %\"{}:,";
        JwtVerifier v = hsVerifier(Duration.ZERO);
        for (int i = 0; i < 5000; i++) {
            StringBuilder t = new StringBuilder(valid);
            int edits = 1 + random.nextInt(3);
            for (int e = 0; e < edits; e++) {
                int at = random.nextInt(t.length() + 1);
                switch (random.nextInt(3)) {
                    case 0 -> t.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
                    case 1 -> t.delete(Math.min(at, t.length() - 1), Math.min(t.length(), at + 1 + random.nextInt(8)));
                    default -> t.setCharAt(Math.min(at, t.length() - 1), alphabet.charAt(random.nextInt(alphabet.length())));
                }
            }
            String mutated = t.toString();
            int round = i;
            try {
                Principal p = v.verify(mutated);
                // base64url's last character may carry unused bits: a few distinct texts decode to the same bytes
                assertEquals("alice", p.subject(), () -> "seed " + seed + " round " + round);
            } catch (ApiException e) {
                assertEquals(ApiError.UNAUTHORIZED, e.error(), () -> "seed " + seed + " round " + round + ": " + e.getMessage());
                assertTrue(e.getMessage().startsWith("token: "), e::getMessage);
            }
        }
    }
}
