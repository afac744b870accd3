package io.sluice.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.JWTClaimsSetVerifier;
import io.sluice.api.ApiError;
import io.sluice.api.ApiException;
import io.sluice.api.Grammar;
import io.sluice.api.HttpResponses;
import io.sluice.api.Jitter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Verifies JWS compact tokens with nimbus-jose-jwt and turns their claims into a {@link Principal}. Thread-safe
 * (nimbus's processor is, once configured; the cache is concurrent; the JWK set is an immutable snapshot read once
 * per verification); {@link #verify} runs on an event loop and never blocks: it never fetches keys, it only reads
 * the set {@link JwksKeys} last loaded. Costs measured on the 2-core build machine under load: HS256 about 10 us,
 * RS256 about 90 us, ES256 (JDK 17's SunEC) 1-3 ms, hence the small cache of verified tokens.
 *
 * <p>Keys and algorithms: exactly those configured — HS256 with {@code jwtSecret}; RS256 with an RSA
 * {@code jwtPublicKeyFile}, ES256 with an EC P-256 one (such a single key ignores the header's {@code kid} and
 * {@code x5t#S256}); RS256 and ES256 with {@code jwksUrl}, whose keys are chosen by the header's {@code kid} only (a
 * token without one is not checked against the set). A token may be verified by a key of the set and by the file's
 * key of the same type; either suffices. nimbus's {@link JWSVerificationKeySelector} refuses any other {@code alg} and
 * picks a key only of the algorithm's own type, so {@code alg: none}, an unconfigured algorithm, algorithm confusion
 * (HS256 keyed with a public key's bytes) and an RS256 header naming an EC key's {@code kid} are all refused.
 *
 * <p>The JWK set decides three more answers. A token that needs it ({@code kid}, RS256/ES256, not verified by a file
 * key) before a first set is loaded gets {@code 503 unavailable} with {@code Retry-After}, since it may well be valid
 * in a moment. A {@code kid} the set does not hold gets 401 at once and asks {@link JwksKeys#requestRefetch()} for a
 * fetch (at most one per 30 s, in the background), so a token signed with a key the provider has just published is
 * accepted within seconds; answering 401 rather than waiting keeps event loops free and a flood of invented kids
 * cheap. A key the provider removes stops verifying with the next set: see the cache below.
 *
 * <p>Claims: {@code exp} and {@code nbf} are honoured with the configured skew, in milliseconds:
 * valid while {@code nbf - skew <= now < exp + skew}. With {@code jwtIssuer}, {@code iss} must equal it; with
 * {@code jwtAudience}, {@code aud} must contain it (nimbus's {@link DefaultJWTClaimsVerifier} decides both; the
 * messages name the claim). {@code sub} is required and must make a topic {@code user/<sub>}. The grants claim
 * ({@code jwtClaim}, default {@code sluice}) is optional: {@code subscribe} and {@code publish} arrays of topic globs
 * and an {@code admin} boolean, as a JSON object or a string holding one (for providers that can only add string
 * claims); a claim of the wrong shape rejects the token, so an issuer's mistake shows at once.
 */
final class JwtVerifier {
    private static final Logger log = LoggerFactory.getLogger(JwtVerifier.class);
    /**
     * Tokens; EventSource reconnects (every {@code reconnectMillis}, or all at once after a restart) present the
     * same token again, and an RS256 or ES256 verification costs 0.1-1 ms of event-loop time. A hit needs the exact
     * token text that was verified and the same version of the JWK set (a token verified with a key the provider has
     * since removed must not outlive that key here), and its {@code exp}/{@code nbf} are checked again; everything
     * else that decides validity (secret, key file, issuer, audience, grants claim) is fixed for the process. Only
     * verified tokens enter, so garbage cannot flush it; when full it is simply emptied, which bounds it at no
     * bookkeeping cost.
     */
    static final int CACHE_CAPACITY = 4096;
    /** Characters; longer tokens are verified every time, bounding the cache to a few MiB. */
    static final int MAX_CACHED_TOKEN_LENGTH = 2048;
    /** RFC 9068 access tokens; accepted besides {@code typ: JWT} and no {@code typ}. */
    private static final JOSEObjectType ACCESS_TOKEN_TYPE = new JOSEObjectType("at+jwt");
    /** Adds the RFC 6750 challenge of a refused token. */
    static final HttpResponses.ResponseCustomizer INVALID_TOKEN =
            r -> r.headers().set("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    /** Seconds; a {@code Retry-After} while the JWK set is not loaded is uniform in [low, high). */
    static final int RETRY_AFTER_LOW_SECONDS = 2;
    static final int RETRY_AFTER_HIGH_SECONDS = 6;

    private final Set<JWSAlgorithm> algorithms;
    /** The secret and the key file's key, which ignore kid; null when neither is configured. */
    private final SingleKeySelector fileKeys;
    /** Null when no {@code jwksUrl} is configured. */
    private final JwksKeys jwks;
    private final ClaimRules rules;
    private final DefaultJWTProcessor<Attempt> processor;
    private final long skewMillis;
    private final LongSupplier clock;
    /** Verified tokens by their exact text; see {@link #CACHE_CAPACITY}. Any thread. */
    private final ConcurrentHashMap<String, Verified> cache = new ConcurrentHashMap<>();

    /**
     * What a token's claims must say besides its times, and where its grants are.
     *
     * @param issuer {@code jwtIssuer}: the exact {@code iss} required, or empty for no check
     * @param audience {@code jwtAudience}: a value {@code aud} must contain, or empty for no check
     * @param grantsClaim {@code jwtClaim}: the claim holding the grants, or empty to read none
     */
    record ClaimRules(String issuer, String audience, String grantsClaim) {
        /** No {@code iss} or {@code aud} check; grants in {@code sluice}. */
        static final ClaimRules DEFAULT = new ClaimRules("", "", "sluice");
    }

    /** A verifier of the secret and the key file only, with {@link ClaimRules#DEFAULT}. */
    JwtVerifier(String secret, PublicKey publicKey, Duration skew, LongSupplier clock) {
        this(secret, publicKey, null, ClaimRules.DEFAULT, skew, clock);
    }

    /**
     * @param secret the HS256 secret, or null/empty for none
     * @param publicKey an RSA or EC P-256 public key (as {@link PemPublicKey} returns), or null
     * @param jwks the JWK set, or null; its thread is started and stopped by its owner, not here
     * @param clock epoch milliseconds now
     */
    JwtVerifier(String secret, PublicKey publicKey, JwksKeys jwks, ClaimRules rules, Duration skew, LongSupplier clock) {
        this.skewMillis = skew.toMillis();
        this.clock = clock;
        this.jwks = jwks;
        this.rules = rules;
        Set<JWSAlgorithm> fileAlgs = new LinkedHashSet<>();
        List<JWK> keys = new ArrayList<>();
        if (secret != null && !secret.isEmpty()) {
            fileAlgs.add(JWSAlgorithm.HS256);
            keys.add(new OctetSequenceKey.Builder(secret.getBytes(StandardCharsets.UTF_8)).build());
        }
        if (publicKey instanceof RSAPublicKey rsa) {
            fileAlgs.add(JWSAlgorithm.RS256);
            keys.add(new RSAKey.Builder(rsa).build());
        } else if (publicKey instanceof ECPublicKey ec) {
            fileAlgs.add(JWSAlgorithm.ES256);
            keys.add(new ECKey.Builder(Curve.P_256, ec).build());
        } else if (publicKey != null) {
            throw new IllegalArgumentException("not an RSA or EC key: " + publicKey.getAlgorithm());
        }
        Set<JWSAlgorithm> algs = new LinkedHashSet<>(fileAlgs);
        if (jwks != null) {
            algs.add(JWSAlgorithm.RS256);
            algs.add(JWSAlgorithm.ES256);
        }
        if (algs.isEmpty()) {
            throw new IllegalArgumentException("no key configured");
        }
        this.algorithms = Collections.unmodifiableSet(algs);
        this.fileKeys = keys.isEmpty() ? null : new SingleKeySelector(fileAlgs, new JWKSet(keys));
        processor = new DefaultJWTProcessor<>();
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, ACCESS_TOKEN_TYPE, null));
        processor.setJWSKeySelector(new KeySelector());
        processor.setJWTClaimsSetVerifier(new ClaimsVerifier());
    }

    /**
     * The algorithms accepted, in a fixed order (HS256, then the key file's RS256 or ES256, then the JWK set's), for
     * the start-up log.
     */
    Set<JWSAlgorithm> algorithms() {
        return algorithms;
    }

    /** The JWK set this verifier reads, or null. */
    JwksKeys jwks() {
        return jwks;
    }

    ClaimRules rules() {
        return rules;
    }

    /**
     * @return the principal the token proves
     * @throws ApiException 401 {@code unauthorized} with {@code WWW-Authenticate: Bearer error="invalid_token"}
     *                      saying what is wrong (never quoting the token); 503 {@code unavailable} with
     *                      {@code Retry-After} when the token needs the JWK set and none is loaded yet
     */
    Principal verify(String token) {
        long now = clock.getAsLong();
        JwksKeys.KeySet keySet = jwks == null ? null : jwks.current(); // read once: this verification's keys
        long version = keySet == null ? 0 : keySet.version();
        Verified cached = cache.get(token);
        if (cached != null) {
            if (cached.keySetVersion == version && now >= cached.validFromMillis
                    && now < cached.principal.expiresAtMillis()) {
                return cached.principal;
            }
            cache.remove(token, cached);
        }
        Verified verified = verifyUncached(token, keySet);
        if (token.length() <= MAX_CACHED_TOKEN_LENGTH) {
            if (cache.size() >= CACHE_CAPACITY) {
                cache.clear();
            }
            cache.put(token, verified);
        }
        return verified.principal;
    }

    /** Tokens in the cache now (at most {@link #CACHE_CAPACITY}). */
    int cachedTokens() {
        return cache.size();
    }

    private Verified verifyUncached(String token, JwksKeys.KeySet keySet) {
        JWT jwt;
        try {
            jwt = JWTParser.parse(token);
        } catch (ParseException e) {
            throw invalid("token: malformed; expected a signed JWT (JWS compact serialization: header.payload.signature)");
        } catch (RuntimeException e) {
            throw unexpected(e);
        }
        if (jwt instanceof PlainJWT) {
            throw invalid("token: unsigned tokens (alg none) are not accepted");
        }
        if (jwt instanceof EncryptedJWT || !(jwt instanceof SignedJWT signed)) {
            throw invalid("token: encrypted tokens (JWE) are not accepted; send a signed JWT (JWS)");
        }
        JWSAlgorithm alg = signed.getHeader().getAlgorithm();
        if (!algorithms.contains(alg)) {
            throw invalid("token: algorithm " + ApiException.echo(alg.getName()) + " is not accepted here (accepted: "
                    + String.join(", ", algorithms.stream().map(JWSAlgorithm::getName).sorted().toList()) + ")");
        }
        Attempt attempt = new Attempt(keySet);
        JWTClaimsSet claims;
        try {
            claims = processor.process(signed, attempt);
        } catch (BadJWSException e) {
            throw keyRefusal(signed.getHeader(), attempt, "token: invalid signature");
        } catch (BadJWTException e) {
            throw invalid(e.getMessage().startsWith("token: ") ? e.getMessage() : "token: bad claims (" + e.getMessage() + ")");
        } catch (BadJOSEException e) {
            throw attempt.selected && attempt.candidates == 0
                    ? keyRefusal(signed.getHeader(), attempt, "token: no configured key matches its header")
                    : invalid("token: rejected (" + e.getMessage() + ")");
        } catch (JOSEException e) {
            throw invalid("token: cannot be verified (" + e.getMessage() + ")");
        } catch (RuntimeException e) {
            throw unexpected(e);
        }
        Date nbf = claims.getNotBeforeTime();
        return new Verified(principal(claims), nbf == null ? Long.MIN_VALUE : nbf.getTime() - skewMillis,
                keySet == null ? 0 : keySet.version());
    }

    /**
     * Why no key verified a token: what the JWK set has to say about its {@code kid}, else {@code otherwise}. An
     * unknown kid also asks for a refetch (rate-limited, in the background).
     */
    private ApiException keyRefusal(JWSHeader header, Attempt attempt, String otherwise) {
        String kid = header.getKeyID();
        if (jwks == null || !JwksKeys.ALGORITHMS.contains(header.getAlgorithm())) {
            return invalid(otherwise);
        }
        if (kid == null) {
            return attempt.candidates > 0 ? invalid(otherwise)
                    : invalid("token: no kid header; keys of jwksUrl are chosen by the token's kid");
        }
        String quoted = "'" + ApiException.echo(kid) + "'";
        if (attempt.keySet == null) {
            return new ApiException(ApiError.UNAVAILABLE, "token: the signing keys of jwksUrl are not loaded yet;"
                    + " retry in a few seconds", retryAfter());
        }
        if (!attempt.keySet.hasKid(kid)) {
            jwks.requestRefetch();
            return invalid("token: kid " + quoted + " is not in the JWK set of jwksUrl (the set is fetched again,"
                    + " at most every " + JwksKeys.MIN_REFETCH_INTERVAL.toSeconds() + "s, in case the provider rotated its"
                    + " keys)");
        }
        if (attempt.fromKeySet == 0) {
            return invalid("token: kid " + quoted + " of jwksUrl is not a key for " + header.getAlgorithm().getName());
        }
        return invalid(otherwise);
    }

    private static HttpResponses.ResponseCustomizer retryAfter() {
        long seconds = Jitter.uniform(RETRY_AFTER_LOW_SECONDS, RETRY_AFTER_HIGH_SECONDS);
        return r -> r.headers().set("Retry-After", seconds);
    }

    private Principal principal(JWTClaimsSet claims) {
        Object sub = claims.getClaim("sub");
        if (!(sub instanceof String subject) || subject.isEmpty()) {
            throw invalid("token: claim sub (the user id) is required and must be a non-empty string");
        }
        if (!Grammar.isTopic(Grammar.USER_TOPIC_PREFIX + subject)) {
            throw invalid("token: claim sub must make a topic user/<sub> of " + Grammar.TOPIC_RULE);
        }
        String name = rules.grantsClaim();
        Object value = name.isEmpty() ? null : claims.getClaim(name);
        List<String> subscribe = List.of();
        List<String> publish = List.of();
        boolean admin = false;
        if (value != null) {
            Map<?, ?> grants = grants(value, name);
            subscribe = patterns(grants.get("subscribe"), name + ".subscribe");
            publish = patterns(grants.get("publish"), name + ".publish");
            Object a = grants.get("admin");
            if (a != null && !(a instanceof Boolean)) {
                throw invalid("token: claim " + name + ".admin must be true or false");
            }
            admin = Boolean.TRUE.equals(a);
        }
        Date exp = claims.getExpirationTime();
        long expiresAt = exp == null ? Principal.NEVER : plusSkew(exp.getTime());
        return new Principal(subject, admin, Principal.Kind.TOKEN, subscribe, publish, expiresAt);
    }

    /** The grants object: the claim itself, or the JSON object a string claim holds. */
    private static Map<?, ?> grants(Object value, String name) {
        if (value instanceof Map<?, ?> grants) {
            return grants;
        }
        if (value instanceof String text) {
            try {
                return JSONObjectUtils.parse(text);
            } catch (ParseException | RuntimeException notAnObject) {
                // refused below
            }
        }
        throw invalid("token: claim " + name + " must be an object {\"subscribe\":[…],\"publish\":[…],\"admin\":bool}"
                + " or a string holding one");
    }

    private static List<String> patterns(Object value, String name) {
        if (value == null) {
            return List.of();
        }
        if (value instanceof List<?> list) {
            List<String> patterns = new ArrayList<>(list.size());
            for (Object p : list) {
                if (!(p instanceof String pattern) || !TopicPatterns.isValid(pattern)) {
                    break;
                }
                patterns.add(pattern);
            }
            if (patterns.size() == list.size()) {
                return patterns;
            }
        }
        throw invalid("token: claim " + name + " must be an array of topic patterns (" + Grammar.TOPIC_PATTERN_RULE + ")");
    }

    /** {@code epochMillis + skew}, kept below {@link Principal#NEVER} (which means "no exp"). */
    private long plusSkew(long epochMillis) {
        return epochMillis >= Principal.NEVER - 1 - skewMillis ? Principal.NEVER - 1 : epochMillis + skewMillis;
    }

    /**
     * A library failure on hostile input: refused like any bad token, and logged by class only, since the message
     * or stack could quote the token.
     */
    private static ApiException unexpected(RuntimeException e) {
        log.warn("token verification failed unexpectedly ({}); refused as invalid", e.getClass().getName());
        return invalid("token: cannot be verified");
    }

    /** A 401 {@code unauthorized} with the {@code invalid_token} challenge. */
    static ApiException invalid(String message) {
        return new ApiException(ApiError.UNAUTHORIZED, message, INVALID_TOKEN);
    }

    /**
     * A verified token: its principal (whose {@link Principal#expiresAtMillis()} is {@code exp} + skew), the first
     * instant it is accepted ({@code nbf} - skew) and the version of the JWK set it was verified with (0: none).
     */
    private record Verified(Principal principal, long validFromMillis, long keySetVersion) {
    }

    /**
     * One verification, passed through nimbus's processor as its security context: the JWK set it uses (read once,
     * so the cache records the version the token was really checked against) and what key selection found.
     * Confined to the verifying thread.
     */
    private static final class Attempt implements SecurityContext {
        private final JwksKeys.KeySet keySet;
        private boolean selected;
        private int candidates;
        private int fromKeySet;

        Attempt(JwksKeys.KeySet keySet) {
            this.keySet = keySet;
        }
    }

    /**
     * The keys that may verify a token: the JWK set's key for its {@code kid} (none without a kid, or before a first
     * set), then the secret or key file's key of its algorithm. nimbus tries them in this order until one verifies.
     */
    private final class KeySelector implements JWSKeySelector<Attempt> {
        @Override
        public List<? extends Key> selectJWSKeys(JWSHeader header, Attempt attempt) throws KeySourceException {
            List<Key> keys = new ArrayList<>(2);
            if (attempt.keySet != null && header.getKeyID() != null) {
                keys.addAll(attempt.keySet.select(header));
            }
            attempt.fromKeySet = keys.size();
            if (fileKeys != null) {
                keys.addAll(fileKeys.selectJWSKeys(header, null));
            }
            attempt.selected = true;
            attempt.candidates = keys.size();
            return keys;
        }
    }

    /**
     * The claims checks after the signature: times first, then {@code iss}, then {@code aud}. The two latter are
     * nimbus's {@link DefaultJWTClaimsVerifier}, with its own time checks off ({@link Untimed}); this class words the
     * refusal, naming the claim.
     */
    private final class ClaimsVerifier implements JWTClaimsSetVerifier<Attempt> {
        private final DefaultJWTClaimsVerifier<Attempt> issuer = rules.issuer().isEmpty() ? null
                : new Untimed(null, new JWTClaimsSet.Builder().issuer(rules.issuer()).build(), Set.of("iss"));
        private final DefaultJWTClaimsVerifier<Attempt> audience = rules.audience().isEmpty() ? null
                : new Untimed(rules.audience(), null, Set.of("aud"));

        @Override
        public void verify(JWTClaimsSet claims, Attempt attempt) throws BadJWTException {
            verifyTimes(claims);
            if (issuer != null) {
                try {
                    issuer.verify(claims, attempt);
                } catch (BadJWTException e) {
                    Object iss = claims.getClaim("iss");
                    throw new BadJWTException("token: claim iss " + (iss == null ? "is missing"
                            : "is '" + ApiException.echo(String.valueOf(iss)) + "'") + "; jwtIssuer requires '"
                            + rules.issuer() + "'");
                }
            }
            if (audience != null) {
                try {
                    audience.verify(claims, attempt);
                } catch (BadJWTException e) {
                    List<String> aud = claims.getAudience();
                    throw new BadJWTException("token: claim aud " + (aud.isEmpty() ? "is missing; jwtAudience requires '"
                            : ApiException.echo(aud.toString()) + " does not contain jwtAudience '") + rules.audience()
                            + "'");
                }
            }
        }

        /** {@code exp} and {@code nbf} with the skew, to the millisecond (nimbus's own verifier counts whole seconds). */
        private void verifyTimes(JWTClaimsSet claims) throws BadJWTException {
            long now = clock.getAsLong();
            Date exp = claims.getExpirationTime();
            if (exp != null && now >= plusSkew(exp.getTime())) {
                throw new BadJWTException("token: expired at " + exp.toInstant() + " (clock skew allowed: "
                        + skewMillis + "ms); get a fresh token");
            }
            Date nbf = claims.getNotBeforeTime();
            if (nbf != null && now < nbf.getTime() - skewMillis) {
                throw new BadJWTException("token: not valid before " + nbf.toInstant() + " (clock skew allowed: "
                        + skewMillis + "ms)");
            }
        }
    }

    /** nimbus's claims verifier for {@code iss} and {@code aud} only: exp and nbf are {@link ClaimsVerifier}'s. */
    private static final class Untimed extends DefaultJWTClaimsVerifier<Attempt> {
        Untimed(String requiredAudience, JWTClaimsSet exactMatchClaims, Set<String> requiredClaims) {
            super(requiredAudience, exactMatchClaims, requiredClaims);
        }

        /** No time: nimbus skips its exp and nbf checks when this is null. */
        @Override
        protected Date currentTime() {
            return null;
        }
    }

    /**
     * nimbus's selector, admitting only the configured algorithms and keys of their own type; it ignores the
     * header's {@code kid} and {@code x5t#S256}, which identity providers always set and which would otherwise
     * have to match a key id the PEM file does not carry.
     */
    private static final class SingleKeySelector extends JWSVerificationKeySelector<SecurityContext> {
        SingleKeySelector(Set<JWSAlgorithm> algorithms, JWKSet keys) {
            super(algorithms, new ImmutableJWKSet<>(keys));
        }

        @Override
        protected JWKMatcher createJWKMatcher(JWSHeader header) {
            JWKMatcher matcher = super.createJWKMatcher(header);
            return matcher == null ? null
                    : new JWKMatcher.Builder(matcher).keyID(null).x509CertSHA256Thumbprint(null).build();
        }
    }
}
