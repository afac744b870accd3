package io.sluice.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.jwk.source.URLBasedJWKSetSource;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import io.sluice.config.ConfigException;
import io.sluice.metrics.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.security.Key;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The identity provider's JSON Web Key Set ({@code jwksUrl}, CONTRACT §13): the RS256 and ES256 keys that verify
 * tokens, each chosen by the token's {@code kid}.
 *
 * <p><b>Threading.</b> Every fetch runs on one daemon thread of its own, {@code sluice-jwks}, started by
 * {@link #start}: the first load at once (retried every {@code min(jwksRefreshInterval, 5s)} until it succeeds), then
 * one fetch per {@code jwksRefreshInterval}, plus the refetches {@link #requestRefetch()} asks for. A fetch publishes
 * an immutable {@link KeySet} through a volatile field. Event loops only read {@link #current()} and may call
 * {@link #requestRefetch()}, which hands the fetch to that thread and never waits: no event loop ever blocks on the
 * provider. Everything public may be called from any thread.
 *
 * <p><b>What nimbus-jose-jwt does here, and what it does not.</b> Fetching and parsing are nimbus's:
 * {@link URLBasedJWKSetSource} over a {@link DefaultResourceRetriever} (connect and read timeouts, the
 * {@value #MAX_BYTES}-byte bound, {@code https:}, {@code http:} and {@code file:} URLs) and {@link JWKSet#parse};
 * matching a token header to keys (kid, key type, use, alg) is its {@link JWSVerificationKeySelector}. Its caching
 * sources ({@code JWKSourceBuilder}: {@code CachingJWKSetSource}, refresh-ahead, rate limiting, outage tolerance) are
 * not used: they fetch on the thread that asks for a key whenever the cache is empty or expired or a kid is unknown,
 * and wait up to their refresh timeout (15 s) for a fetch another thread started, which here would be an event loop;
 * and {@code RateLimitedJWKSetSource} lets two fetches through per interval where CONTRACT §13 allows one refetch per
 * 30 s. So the schedule, the last-good-set rule and the refetch limit are this class's, and fetching stays on its
 * thread.
 *
 * <p><b>Invariants.</b> A published {@link KeySet} holds at least one usable key and never changes. A fetch that fails
 * (I/O, HTTP status, timeout, over {@value #MAX_BYTES} bytes, not a JWK set, no usable key) publishes nothing, so the
 * last good set stays in use; it is logged and counted ({@link GatewayMetrics#jwksRefreshFailed()}).
 * {@link KeySet#version()} changes exactly when the usable keys change, which is what lets the verified-token cache
 * drop a token verified with a key the provider has since removed.
 *
 * <p><b>Usable keys</b>: an RSA key of at least {@value PemPublicKey#MIN_RSA_BITS} bits or an EC key on P-256, with a
 * {@code kid}, {@code use} absent or {@code sig}, {@code alg} absent or RS256 (RSA) / ES256 (EC); only public parts are
 * kept. Anything else ({@code oct} secrets, {@code OKP}, weak RSA, other curves, encryption keys) is skipped and logged,
 * and a second key of the same type with the same {@code kid} is skipped too (the first in the set wins), so a token
 * header selects at most one key of the set: verifying never costs more than one signature check per key source.
 */
public final class JwksKeys implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JwksKeys.class);
    /** Bytes (256 KiB); real sets hold a few keys with certificate chains (under 20 KiB). A larger one is refused. */
    public static final int MAX_BYTES = 256 * 1024;
    /** Milliseconds; generous for a provider across the internet, harmless on a thread of its own. */
    static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    static final int READ_TIMEOUT_MILLIS = 5_000;
    /** CONTRACT §13: a token with an unknown kid triggers at most one refetch per this interval. */
    public static final Duration MIN_REFETCH_INTERVAL = Duration.ofSeconds(30);
    /** Until a first set is loaded, a failed fetch is retried after this (or jwksRefreshInterval when shorter). */
    static final Duration FIRST_LOAD_RETRY = Duration.ofSeconds(5);
    /** The algorithms a JWK set serves. */
    static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);

    private final String displayUrl;
    private final boolean plainHttp;
    private final JWKSetSource<SecurityContext> source;
    private final long refreshMillis;
    private final long minRefetchMillis;
    private final LongSupplier clock;
    private final ScheduledExecutorService thread;
    /** Epoch milliseconds before which {@link #requestRefetch()} schedules nothing. */
    private final AtomicLong nextRefetchAt = new AtomicLong(Long.MIN_VALUE);
    /** The set in use; null until the first load. Written only by the {@code sluice-jwks} thread. */
    private volatile KeySet current;
    /** Set by {@link #start} before the thread runs (the executor's hand-off makes it visible there). */
    private GatewayMetrics metrics;

    /**
     * @param url {@code jwksUrl}, as {@link io.sluice.config.ConfigKey#JWKS_URL} accepts it
     * @throws ConfigException if {@code url} is not a URL Java can open (the config check should have refused it)
     */
    public JwksKeys(String url, Duration refreshInterval) {
        this(toUrl(url), refreshInterval, MIN_REFETCH_INTERVAL, System::currentTimeMillis);
    }

    /**
     * @param minRefetchInterval the least time between two refetches asked for by {@link #requestRefetch()}
     * @param clock epoch milliseconds now: the refetch limit and {@link #ageSeconds()} read it
     */
    JwksKeys(URL url, Duration refreshInterval, Duration minRefetchInterval, LongSupplier clock) {
        this.displayUrl = display(url);
        this.plainHttp = url.getProtocol().equals("http");
        this.source = new URLBasedJWKSetSource<>(url,
                new DefaultResourceRetriever(CONNECT_TIMEOUT_MILLIS, READ_TIMEOUT_MILLIS, MAX_BYTES));
        this.refreshMillis = refreshInterval.toMillis();
        this.minRefetchMillis = minRefetchInterval.toMillis();
        this.clock = clock;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-jwks");
            t.setDaemon(true); // a fetch stuck in a read must not hold the JVM up at exit
            return t;
        });
    }

    /** Starts the fetching thread: the first load begins at once. Call once. */
    public void start(GatewayMetrics reportTo) {
        this.metrics = reportTo;
        if (plainHttp) {
            log.warn("jwksUrl {} is plain http://: whoever sits on the path can swap the keys that decide who is"
                    + " authenticated; use https:// outside tests", displayUrl);
        }
        thread.execute(this::scheduledFetch);
    }

    /** The set in use, or null until the first load. Any thread; a volatile read. */
    KeySet current() {
        return current;
    }

    /** Whether a first set has been loaded (it then stays loaded). Any thread. */
    public boolean isLoaded() {
        return current != null;
    }

    /** Seconds since the set in use was last fetched successfully, or NaN before the first. Any thread. */
    public double ageSeconds() {
        KeySet set = current;
        return set == null ? Double.NaN : Math.max(0, clock.getAsLong() - set.fetchedAtMillis()) / 1000.0;
    }

    /** The URL, without credentials or query, for messages and logs. */
    public String url() {
        return displayUrl;
    }

    /**
     * Asks for a fetch now, because a token named a {@code kid} the set in use does not hold (the provider may have
     * rotated its keys). Does nothing before the first load (that is retried on its own schedule) or within
     * {@link #MIN_REFETCH_INTERVAL} of the previous request that did fetch. Any thread; never blocks.
     *
     * @return whether a fetch was scheduled
     */
    boolean requestRefetch() {
        if (current == null) {
            return false;
        }
        long now = clock.getAsLong();
        long next = nextRefetchAt.get();
        if (now < next || !nextRefetchAt.compareAndSet(next, now + minRefetchMillis)) {
            return false;
        }
        try {
            thread.execute(() -> fetch("refetch for an unknown kid"));
            return true;
        } catch (RejectedExecutionException closed) {
            return false;
        }
    }

    /** Stops the thread; a fetch in progress ends with its timeouts and publishes nothing anyone reads. */
    @Override
    public void close() {
        thread.shutdownNow();
    }

    /** The first load, then every refresh: fetch, and schedule the next. On the {@code sluice-jwks} thread. */
    private void scheduledFetch() {
        try {
            fetch(current == null ? "first load" : "refresh");
        } finally {
            long delay = current == null ? Math.min(refreshMillis, FIRST_LOAD_RETRY.toMillis()) : refreshMillis;
            try {
                thread.schedule(this::scheduledFetch, delay, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) {
                // closed: no more fetches
            }
        }
    }

    /** One fetch; publishes a new {@link KeySet} or counts a failure. On the {@code sluice-jwks} thread. */
    private void fetch(String why) {
        long now = clock.getAsLong();
        JWKSet fetched;
        try {
            fetched = source.getJWKSet(JWKSetCacheRefreshEvaluator.forceRefresh(), now, null);
        } catch (KeySourceException | RuntimeException e) {
            failed(why, describe(e));
            return;
        }
        List<String> skipped = new ArrayList<>();
        JWKSet usable = usable(fetched, skipped);
        if (usable.isEmpty()) {
            failed(why, "no usable key among " + fetched.size() + " (" + String.join("; ", skipped) + ")");
            return;
        }
        KeySet previous = current;
        if (previous != null && previous.keys().equals(usable)) {
            current = previous.fetchedAgain(now);
            log.debug("jwks: {} from {}: unchanged", why, displayUrl);
            return;
        }
        current = KeySet.of(previous == null ? 1 : previous.version() + 1, usable, now);
        log.info("jwks: {} from {}: {} usable (kid {}){}", why, displayUrl, usable.size(), current.kids(),
                skipped.isEmpty() ? "" : "; skipped " + String.join("; ", skipped));
    }

    /** Logs, then counts: whoever sees the count can find the line. */
    private void failed(String why, String reason) {
        log.warn("jwks: {} from {} failed: {}; {}", why, displayUrl, reason, current == null
                ? "no key set loaded yet: /readyz is 503 and tokens that need it are answered 503"
                : "keeping the set fetched " + Math.round(ageSeconds()) + "s ago");
        GatewayMetrics m = metrics;
        if (m != null) {
            m.jwksRefreshFailed();
        }
    }

    /**
     * The usable keys of {@code fetched} (public parts only), in set order; {@code skipped} gets one line per key left
     * out, saying why.
     */
    static JWKSet usable(JWKSet fetched, List<String> skipped) {
        List<JWK> keys = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (JWK jwk : fetched.getKeys()) {
            String why = unusable(jwk);
            if (why == null && !seen.add(jwk.getKeyType() + " " + jwk.getKeyID())) {
                why = "another " + jwk.getKeyType() + " key with this kid comes first";
            }
            if (why != null) {
                skipped.add("kid " + (jwk.getKeyID() == null ? "(none)" : "'" + jwk.getKeyID() + "'") + ": " + why);
            } else {
                keys.add(jwk.toPublicJWK());
            }
        }
        return new JWKSet(keys);
    }

    /** Why {@code jwk} cannot verify RS256 or ES256 tokens selected by kid, or null when it can. */
    private static String unusable(JWK jwk) {
        if (jwk.getKeyID() == null) {
            return "no kid (keys are selected by kid)";
        }
        if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse())) {
            return "use '" + jwk.getKeyUse().identifier() + "', not 'sig'";
        }
        if (jwk instanceof RSAKey rsa) {
            if (jwk.getAlgorithm() != null && !JWSAlgorithm.RS256.equals(jwk.getAlgorithm())) {
                return "alg " + jwk.getAlgorithm() + ", not RS256";
            }
            try {
                int bits = rsa.toRSAPublicKey().getModulus().bitLength();
                return bits < PemPublicKey.MIN_RSA_BITS ? "RSA key of " + bits + " bits; RS256 needs at least "
                        + PemPublicKey.MIN_RSA_BITS : null;
            } catch (JOSEException e) {
                return "not a valid RSA public key";
            }
        }
        if (jwk instanceof ECKey ec) {
            if (!Curve.P_256.equals(ec.getCurve())) {
                return "curve " + ec.getCurve() + ", not P-256";
            }
            return jwk.getAlgorithm() != null && !JWSAlgorithm.ES256.equals(jwk.getAlgorithm())
                    ? "alg " + jwk.getAlgorithm() + ", not ES256" : null;
        }
        return "key type " + jwk.getKeyType() + " (only RSA and EC P-256 keys verify RS256 and ES256)";
    }

    /** An exception's message and its cause's, cut to a log line; never more than the provider sent as an error. */
    private static String describe(Exception e) {
        String text = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        Throwable cause = e.getCause();
        if (cause != null && cause.getMessage() != null && !text.contains(cause.getMessage())) {
            text += " (" + cause.getMessage() + ")";
        }
        return text.length() > 300 ? text.substring(0, 300) + "…" : text;
    }

    private static URL toUrl(String url) {
        try {
            return URI.create(url).toURL();
        } catch (IllegalArgumentException | MalformedURLException e) {
            throw new ConfigException("jwksUrl '" + url + "': not a URL Java can open (" + e.getMessage() + ")", e);
        }
    }

    /** {@code url} without user info and query, which could carry credentials. */
    private static String display(URL url) {
        return url.getProtocol() + ":" + (url.getHost() == null || url.getHost().isEmpty() ? ""
                : "//" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort())) + url.getPath();
    }

    /**
     * One loaded set: immutable, any thread.
     *
     * @param version 1 for the first set, one more each time the usable keys change
     * @param keys the usable keys, public parts only, never empty
     * @param kids their key ids, in set order
     * @param selector nimbus's matcher of a token header (alg, kid, key type, use) against {@code keys}
     * @param fetchedAtMillis when this content was last fetched (epoch milliseconds)
     */
    record KeySet(long version, JWKSet keys, Set<String> kids, JWSVerificationKeySelector<SecurityContext> selector,
                  long fetchedAtMillis) {
        static KeySet of(long version, JWKSet keys, long fetchedAtMillis) {
            Set<String> kids = new LinkedHashSet<>();
            keys.getKeys().forEach(k -> kids.add(k.getKeyID()));
            return new KeySet(version, keys, Collections.unmodifiableSet(kids),
                    new JWSVerificationKeySelector<>(ALGORITHMS, new ImmutableJWKSet<>(keys)), fetchedAtMillis);
        }

        KeySet fetchedAgain(long atMillis) {
            return new KeySet(version, keys, kids, selector, atMillis);
        }

        boolean hasKid(String kid) {
            return kids.contains(kid);
        }

        /** The keys that may have signed a token with this header: at most one (see the class comment). */
        List<Key> select(JWSHeader header) throws KeySourceException {
            return selector.selectJWSKeys(header, null);
        }
    }
}
