package io.sluice.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
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
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.JWTClaimsSetVerifier;
import io.sluice.api.ApiError;
import io.sluice.api.ApiException;
import io.sluice.api.Grammar;
import io.sluice.api.HttpResponses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
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
 * (nimbus's processor is, once configured; the cache is concurrent); {@link #verify} runs on an event loop and does
 * not block. Costs measured on the 2-core build machine under load: HS256 about 10 us, RS256 about 90 us, ES256
 * (JDK 17's SunEC) 1-3 ms, hence the small cache of verified tokens.
 *
 * <p>Algorithms: exactly those whose key is configured — HS256 with {@code jwtSecret}, RS256 with an RSA
 * {@code jwtPublicKeyFile}, ES256 with an EC P-256 one. nimbus's {@link JWSVerificationKeySelector} refuses any
 * other {@code alg} and picks a key only of the algorithm's own type, so {@code alg: none}, an unconfigured
 * algorithm, and algorithm confusion (HS256 keyed with the public key's bytes) are all refused. A header
 * {@code kid} or {@code x5t#S256} is not matched against anything: there is one key per type.
 *
 * <p>Claims: {@code exp} and {@code nbf} are honoured with the configured skew, in milliseconds:
 * valid while {@code nbf - skew <= now < exp + skew}. {@code sub} is required and must make a topic
 * {@code user/<sub>}. {@code sluice} is optional: {@code subscribe} and {@code publish} arrays of topic globs and
 * an {@code admin} boolean; a claim of the wrong shape rejects the token, so an issuer's mistake shows at once.
 */
final class JwtVerifier {
    private static final Logger log = LoggerFactory.getLogger(JwtVerifier.class);
    static final String SLUICE_CLAIM = "sluice";
    /**
     * Tokens; EventSource reconnects (every {@code reconnectMillis}, or all at once after a restart) present the
     * same token again, and an RS256 or ES256 verification costs 0.1-1 ms of event-loop time. A hit needs the exact
     * token text that was verified, and its {@code exp}/{@code nbf} are checked again. Only verified tokens enter,
     * so garbage cannot flush it; when full it is simply emptied, which bounds it at no bookkeeping cost.
     */
    static final int CACHE_CAPACITY = 4096;
    /** Characters; longer tokens are verified every time, bounding the cache to a few MiB. */
    static final int MAX_CACHED_TOKEN_LENGTH = 2048;
    /** RFC 9068 access tokens; accepted besides {@code typ: JWT} and no {@code typ}. */
    private static final JOSEObjectType ACCESS_TOKEN_TYPE = new JOSEObjectType("at+jwt");
    /** Adds the RFC 6750 challenge of a refused token. */
    static final HttpResponses.ResponseCustomizer INVALID_TOKEN =
            r -> r.headers().set("WWW-Authenticate", "Bearer error=\"invalid_token\"");

    private final Set<JWSAlgorithm> algorithms;
    private final DefaultJWTProcessor<SecurityContext> processor;
    private final long skewMillis;
    private final LongSupplier clock;
    /** Verified tokens by their exact text; see {@link #CACHE_CAPACITY}. Any thread. */
    private final ConcurrentHashMap<String, Verified> cache = new ConcurrentHashMap<>();

    /**
     * @param secret the HS256 secret, or null/empty for none
     * @param publicKey an RSA or EC P-256 public key (as {@link PemPublicKey} returns), or null
     * @param clock epoch milliseconds now
     */
    JwtVerifier(String secret, PublicKey publicKey, Duration skew, LongSupplier clock) {
        this.skewMillis = skew.toMillis();
        this.clock = clock;
        Set<JWSAlgorithm> algs = new LinkedHashSet<>();
        List<JWK> keys = new ArrayList<>();
        if (secret != null && !secret.isEmpty()) {
            algs.add(JWSAlgorithm.HS256);
            keys.add(new OctetSequenceKey.Builder(secret.getBytes(StandardCharsets.UTF_8)).build());
        }
        if (publicKey instanceof RSAPublicKey rsa) {
            algs.add(JWSAlgorithm.RS256);
            keys.add(new RSAKey.Builder(rsa).build());
        } else if (publicKey instanceof ECPublicKey ec) {
            algs.add(JWSAlgorithm.ES256);
            keys.add(new ECKey.Builder(Curve.P_256, ec).build());
        } else if (publicKey != null) {
            throw new IllegalArgumentException("not an RSA or EC key: " + publicKey.getAlgorithm());
        }
        if (algs.isEmpty()) {
            throw new IllegalArgumentException("no key configured");
        }
        this.algorithms = Collections.unmodifiableSet(algs);
        processor = new DefaultJWTProcessor<>();
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, ACCESS_TOKEN_TYPE, null));
        processor.setJWSKeySelector(new SingleKeySelector(algorithms, new JWKSet(keys)));
        processor.setJWTClaimsSetVerifier(new TimeVerifier());
    }

    /** The algorithms accepted, in a fixed order (HS256, then RS256 or ES256), for the start-up log. */
    Set<JWSAlgorithm> algorithms() {
        return algorithms;
    }

    /**
     * @return the principal the token proves
     * @throws ApiException 401 {@code unauthorized} with {@code WWW-Authenticate: Bearer error="invalid_token"}
     *                      saying what is wrong (never quoting the token)
     */
    Principal verify(String token) {
        long now = clock.getAsLong();
        Verified cached = cache.get(token);
        if (cached != null) {
            if (now >= cached.validFromMillis && now < cached.principal.expiresAtMillis()) {
                return cached.principal;
            }
            cache.remove(token, cached);
        }
        Verified verified = verifyUncached(token);
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

    private Verified verifyUncached(String token) {
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
        JWTClaimsSet claims;
        try {
            claims = processor.process(signed, null);
        } catch (BadJWSException e) {
            throw invalid("token: invalid signature");
        } catch (BadJWTException e) {
            throw invalid(e.getMessage().startsWith("token: ") ? e.getMessage() : "token: bad claims (" + e.getMessage() + ")");
        } catch (BadJOSEException e) {
            throw invalid("token: rejected (" + e.getMessage() + ")");
        } catch (JOSEException e) {
            throw invalid("token: cannot be verified (" + e.getMessage() + ")");
        } catch (RuntimeException e) {
            throw unexpected(e);
        }
        Date nbf = claims.getNotBeforeTime();
        return new Verified(principal(claims), nbf == null ? Long.MIN_VALUE : nbf.getTime() - skewMillis);
    }

    private Principal principal(JWTClaimsSet claims) {
        Object sub = claims.getClaim("sub");
        if (!(sub instanceof String subject) || subject.isEmpty()) {
            throw invalid("token: claim sub (the user id) is required and must be a non-empty string");
        }
        if (!Grammar.isTopic(Grammar.USER_TOPIC_PREFIX + subject)) {
            throw invalid("token: claim sub must make a topic user/<sub> of " + Grammar.TOPIC_RULE);
        }
        Object sluice = claims.getClaim(SLUICE_CLAIM);
        List<String> subscribe = List.of();
        List<String> publish = List.of();
        boolean admin = false;
        if (sluice != null) {
            if (!(sluice instanceof Map<?, ?> grants)) {
                throw invalid("token: claim sluice must be an object {\"subscribe\":[…],\"publish\":[…],\"admin\":bool}");
            }
            subscribe = patterns(grants.get("subscribe"), "subscribe");
            publish = patterns(grants.get("publish"), "publish");
            Object a = grants.get("admin");
            if (a != null && !(a instanceof Boolean)) {
                throw invalid("token: claim sluice.admin must be true or false");
            }
            admin = Boolean.TRUE.equals(a);
        }
        Date exp = claims.getExpirationTime();
        long expiresAt = exp == null ? Principal.NEVER : plusSkew(exp.getTime());
        return new Principal(subject, admin, Principal.Kind.TOKEN, subscribe, publish, expiresAt);
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
        throw invalid("token: claim sluice." + name + " must be an array of topic patterns (" + Grammar.TOPIC_PATTERN_RULE + ")");
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
     * A verified token: its principal (whose {@link Principal#expiresAtMillis()} is {@code exp} + skew) and the
     * first instant it is accepted ({@code nbf} - skew).
     */
    private record Verified(Principal principal, long validFromMillis) {
    }

    /** {@code exp} and {@code nbf} with the skew, to the millisecond (nimbus's own verifier counts whole seconds). */
    private final class TimeVerifier implements JWTClaimsSetVerifier<SecurityContext> {
        @Override
        public void verify(JWTClaimsSet claims, SecurityContext context) throws BadJWTException {
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
