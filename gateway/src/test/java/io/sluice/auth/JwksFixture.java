package io.sluice.auth;

import com.nimbusds.jose.jwk.JWK;
import io.sluice.metrics.CountingMetrics;
import io.sluice.testing.Await;
import io.sluice.testing.JwksServer;
import io.sluice.testing.TestTokens;

import java.net.URI;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * JWK sets for the auth tests: real servers ({@link JwksServer}) and {@link JwksKeys} on a clock the test moves,
 * reporting to {@link #metrics}; {@link #close()} stops them all. Use as an {@code @AutoClose} field.
 */
final class JwksFixture implements AutoCloseable {
    static final KeyPair RSA = TestTokens.rsa(2048);
    static final KeyPair EC = TestTokens.ec("secp256r1");
    static final Duration WAIT = Duration.ofSeconds(10);

    final CountingMetrics metrics = new CountingMetrics();
    /** Epoch milliseconds the key sets (refetch limit, age) read. */
    final AtomicLong now;
    private final List<AutoCloseable> resources = new ArrayList<>();

    JwksFixture(long startMillis) {
        this.now = new AtomicLong(startMillis);
    }

    /** A server serving {@code keys}, or answering 503 when none are given. */
    JwksServer server(JWK... keys) {
        JwksServer server = keys.length == 0 ? JwksServer.start() : JwksServer.serving(keys);
        resources.add(server);
        return server;
    }

    /** Keys from {@code url}, refreshed every {@code refresh}, refetched at most every 30 s; not started. */
    JwksKeys keys(String url, Duration refresh) throws Exception {
        JwksKeys keys = new JwksKeys(new URI(url).toURL(), refresh, JwksKeys.MIN_REFETCH_INTERVAL, now::get);
        resources.add(keys);
        return keys;
    }

    JwksKeys started(String url, Duration refresh) throws Exception {
        JwksKeys keys = keys(url, refresh);
        keys.start(metrics);
        return keys;
    }

    /** Started keys from {@code server} (no periodic refresh within a test) once their first set is loaded. */
    JwksKeys loaded(JwksServer server) throws Exception {
        JwksKeys keys = started(server.url(), Duration.ofHours(1));
        Await.until(keys::isLoaded, WAIT, "a first JWK set loaded");
        return keys;
    }

    @Override
    public void close() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }
}
