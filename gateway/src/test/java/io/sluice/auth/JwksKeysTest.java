package io.sluice.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import io.sluice.metrics.CountingMetrics;
import io.sluice.testing.Await;
import io.sluice.testing.JwksServer;
import io.sluice.testing.LogCapture;
import io.sluice.testing.TestTokens;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link JwksKeys} against a real HTTP server serving a JWK set: the background load and refresh, the last good set
 * kept through failures (counted and logged), the provider down at start, the refetch limit for unknown kids driven
 * by a controllable clock, which keys are usable, the size bound, and {@code file:} URLs.
 */
class JwksKeysTest {
    private static final KeyPair RSA = JwksFixture.RSA;
    private static final KeyPair EC = JwksFixture.EC;
    private static final Duration WAIT = JwksFixture.WAIT;

    @AutoClose
    private final JwksFixture jwks = new JwksFixture(1_893_456_000_000L);
    private final CountingMetrics metrics = jwks.metrics;
    private final AtomicLong now = jwks.now;

    private JwksServer server(JWK... keys) {
        return jwks.server(keys);
    }

    private JwksKeys keys(String url, Duration refresh) throws Exception {
        return jwks.keys(url, refresh);
    }

    private JwksKeys started(String url, Duration refresh) throws Exception {
        return jwks.started(url, refresh);
    }

    private void awaitLoaded(JwksKeys keys) {
        Await.until(keys::isLoaded, WAIT, "a first JWK set loaded");
    }

    @Test
    void loadsInTheBackgroundAndKeepsItsUsableKeysByKid() throws Exception {
        JwksServer server = server(TestTokens.jwk(RSA, "r1"), TestTokens.jwk(EC, "e1"));
        JwksKeys keys = keys(server.url(), Duration.ofHours(1));
        assertFalse(keys.isLoaded());
        assertTrue(Double.isNaN(keys.ageSeconds()), "no age before a first set");
        assertNull(keys.current());

        keys.start(metrics);
        awaitLoaded(keys);

        assertEquals(1, keys.current().version());
        assertEquals(Set.of("r1", "e1"), keys.current().kids());
        assertEquals(0.0, keys.ageSeconds());
        now.addAndGet(90_500);
        assertEquals(90.5, keys.ageSeconds());
        assertEquals("http://127.0.0.1:" + URI.create(server.url()).getPort() + "/.well-known/jwks.json", keys.url());
        assertEquals(0, metrics.jwksRefreshFailures());
    }

    @Test
    void refreshesEveryIntervalAndTheVersionChangesOnlyWithTheKeys() throws Exception {
        JwksServer server = server(TestTokens.jwk(RSA, "r1"));
        JwksKeys keys = started(server.url(), Duration.ofMillis(50));
        awaitLoaded(keys);
        JwksKeys.KeySet first = keys.current();

        server.awaitRequests(4, WAIT);
        assertEquals(1, keys.current().version(), "the same keys fetched again keep their version");
        assertSame(first.selector(), keys.current().selector());

        server.serve(TestTokens.jwk(RSA, "r1"), TestTokens.jwk(EC, "e2"));
        Await.until(() -> keys.current().version() == 2, WAIT, "the new set loaded");
        assertEquals(Set.of("r1", "e2"), keys.current().kids());
        assertNotSame(first.selector(), keys.current().selector());
    }

    @Test
    void aFailedRefreshKeepsTheLastGoodSetAndIsCountedAndLogged() throws Exception {
        JwksServer server = server(TestTokens.jwk(RSA, "r1"));
        try (LogCapture log = LogCapture.of(JwksKeys.class.getName())) {
            JwksKeys keys = started(server.url(), Duration.ofMillis(50));
            awaitLoaded(keys);
            JwksKeys.KeySet good = keys.current();

            server.fail(500);
            Await.until(() -> metrics.jwksRefreshFailures() >= 2, WAIT, "failed refreshes counted");
            assertEquals(good.keys(), keys.current().keys(), "the last good set stays in use");
            assertTrue(keys.isLoaded());
            log.await(m -> m.contains("refresh from " + keys.url() + " failed: ") && m.contains("HTTP")
                    && m.endsWith("s ago"), WAIT, "a warning saying the last good set is kept");

            server.serve("{\"keys\":[]}");
            int failures = (int) metrics.jwksRefreshFailures();
            Await.until(() -> metrics.jwksRefreshFailures() > failures, WAIT, "an empty set refused as a failure");
            assertEquals(good.keys(), keys.current().keys(), "an empty set never replaces the keys in use");

            server.serve("not json at all");
            int more = (int) metrics.jwksRefreshFailures();
            Await.until(() -> metrics.jwksRefreshFailures() > more, WAIT, "a body that is no JWK set refused");
            assertEquals(good.keys(), keys.current().keys());
        }
    }

    @Test
    void providerDownAtStartIsRetriedUntilItAnswers() throws Exception {
        JwksServer server = server();
        server.fail(503);
        JwksKeys keys = started(server.url(), Duration.ofMillis(50));

        Await.until(() -> metrics.jwksRefreshFailures() >= 2, WAIT, "the first load retried");
        assertFalse(keys.isLoaded());
        assertFalse(keys.requestRefetch(), "no refetch before a first set: the first load has its own schedule");

        server.serve(TestTokens.jwk(EC, "e1"));
        awaitLoaded(keys);
        assertEquals(Set.of("e1"), keys.current().kids());
    }

    @Test
    void unknownKidsRefetchAtMostOncePerThirtySeconds() throws Exception {
        JwksServer server = server(TestTokens.jwk(RSA, "r1"));
        JwksKeys keys = started(server.url(), Duration.ofHours(1));
        awaitLoaded(keys);
        server.awaitRequests(1, WAIT);

        assertEquals(1, flood(keys, 4, 1000), "a flood of unknown kids: one refetch");
        server.awaitRequests(2, WAIT);
        now.addAndGet(29_999);
        assertEquals(0, flood(keys, 4, 1000), "still within 30 s of the last refetch");
        now.addAndGet(1);
        assertEquals(1, flood(keys, 4, 1000), "30 s later, one more");
        server.awaitRequests(3, WAIT);
        assertEquals(3, server.requests(), "the load and two refetches, nothing else");
    }

    /** Calls {@link JwksKeys#requestRefetch()} {@code each} times on each of {@code threads} threads at once. */
    private static int flood(JwksKeys keys, int threads, int each) throws InterruptedException {
        AtomicInteger scheduled = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    if (keys.requestRefetch()) {
                        scheduled.incrementAndGet();
                    }
                }
            });
            thread.start();
            all.add(thread);
        }
        go.countDown();
        for (Thread thread : all) {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        }
        return scheduled.get();
    }

    @Test
    void onlyRsaAndP256SigningKeysWithAKidAreUsable() throws Exception {
        RSAKey rsa = (RSAKey) TestTokens.jwk(RSA, "dup");
        RSAKey withPrivate = new RSAKey.Builder((RSAPublicKey) RSA.getPublic()).privateKey((RSAPrivateKey) RSA.getPrivate())
                .keyID("private").build();
        List<JWK> served = List.of(
                new OctetSequenceKey.Builder("a-secret-of-at-least-32-bytes-long!".getBytes(StandardCharsets.UTF_8))
                        .keyID("oct").build(),
                JWK.parse("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"okp\","
                        + "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}"),
                TestTokens.jwk(TestTokens.rsa(1024), "weak"),
                TestTokens.jwk(TestTokens.ec("secp384r1"), "p384"),
                new RSAKey.Builder(rsa).keyID("enc").keyUse(KeyUse.ENCRYPTION).build(),
                new RSAKey.Builder(rsa).keyID("ps256").algorithm(JWSAlgorithm.PS256).build(),
                new RSAKey.Builder(rsa).keyID(null).build(),
                rsa,
                TestTokens.jwk(TestTokens.rsa(2048), "dup"),
                TestTokens.jwk(EC, "dup"),
                new RSAKey.Builder(rsa).keyID("sig").keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256).build(),
                withPrivate);
        List<String> skipped = new ArrayList<>();

        JWKSet usable = JwksKeys.usable(new JWKSet(served), skipped);

        assertEquals(List.of("dup", "dup", "sig", "private"), usable.getKeys().stream().map(JWK::getKeyID).toList());
        assertEquals(rsa, usable.getKeys().get(0), "of two RSA keys with one kid, the first");
        assertEquals("EC", usable.getKeys().get(1).getKeyType().getValue(), "an EC key may share an RSA key's kid");
        assertFalse(usable.containsNonPublicKeys(), "only public parts are kept");
        assertEquals(List.of(
                "kid 'oct': key type oct (only RSA and EC P-256 keys verify RS256 and ES256)",
                "kid 'okp': key type OKP (only RSA and EC P-256 keys verify RS256 and ES256)",
                "kid 'weak': RSA key of 1024 bits; RS256 needs at least 2048",
                "kid 'p384': curve P-384, not P-256",
                "kid 'enc': use 'enc', not 'sig'",
                "kid 'ps256': alg PS256, not RS256",
                "kid (none): no kid (keys are selected by kid)",
                "kid 'dup': another RSA key with this kid comes first"), skipped);
    }

    @Test
    void aSetLargerThanTheBoundIsRefused() throws Exception {
        JwksServer server = server();
        String padding = "x".repeat(JwksKeys.MAX_BYTES);
        server.serve("{\"keys\":[" + TestTokens.jwk(RSA, "r1").toJSONString() + "],\"padding\":\"" + padding + "\"}");
        try (LogCapture log = LogCapture.of(JwksKeys.class.getName())) {
            JwksKeys keys = started(server.url(), Duration.ofHours(1));

            log.await(m -> m.contains("first load from") && m.contains("Exceeded configured input limit of "
                    + JwksKeys.MAX_BYTES + " bytes"), WAIT, "the size bound named");
            assertFalse(keys.isLoaded());
            // JwksKeys logs a failure, then counts it: the line can be seen before the count moves
            Await.until(() -> metrics.jwksRefreshFailures() >= 1, WAIT, "the refused first load counted");
            assertEquals(1, metrics.jwksRefreshFailures());
        }
    }

    @Test
    void aFileUrlIsReadLikeAnyOther(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("jwks.json"), new JWKSet(TestTokens.jwk(EC, "e1")).toString(true));
        URL url = file.toUri().toURL();
        JwksKeys keys = started(url.toString(), Duration.ofHours(1));

        awaitLoaded(keys);

        assertEquals(Set.of("e1"), keys.current().kids());
        assertEquals("file:" + file, keys.url());
    }

    @Test
    void afterCloseNothingIsFetched() throws Exception {
        JwksServer server = server(TestTokens.jwk(RSA, "r1"));
        JwksKeys keys = started(server.url(), Duration.ofHours(1));
        awaitLoaded(keys);

        keys.close();

        assertFalse(keys.requestRefetch(), "a closed set schedules nothing");
        assertTrue(keys.isLoaded(), "what was loaded stays readable");
    }
}
