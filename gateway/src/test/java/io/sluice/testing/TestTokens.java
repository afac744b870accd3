package io.sluice.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.opts.AllowWeakRSAKey;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Mints tokens for tests with nimbus-jose-jwt, and key pairs with the JDK. Stateless; any thread.
 */
public final class TestTokens {
    /** A 32-byte HS256 secret, the shortest {@code jwtSecret} accepts. */
    public static final String SECRET = "test-secret-of-at-least-32-bytes!";
    /** A publish key as {@code publishKeys} accepts it. */
    public static final String PUBLISH_KEY = "pk_test_0123456789abcdef";

    private TestTokens() {
    }

    /** Claims for {@code sub} with the {@code sluice} grants; null lists and false admin are left out. */
    public static JWTClaimsSet.Builder claims(String sub, List<String> subscribe, List<String> publish, boolean admin) {
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder();
        if (sub != null) {
            b.subject(sub);
        }
        Map<String, Object> sluice = new LinkedHashMap<>();
        if (subscribe != null) {
            sluice.put("subscribe", subscribe);
        }
        if (publish != null) {
            sluice.put("publish", publish);
        }
        if (admin) {
            sluice.put("admin", true);
        }
        if (!sluice.isEmpty()) {
            b.claim("sluice", sluice);
        }
        return b;
    }

    /** An HS256 token with {@link #SECRET}. */
    public static String hs256(JWTClaimsSet.Builder claims) {
        return hs256(SECRET, claims);
    }

    public static String hs256(String secret, JWTClaimsSet.Builder claims) {
        return sign(new JWSHeader(JWSAlgorithm.HS256), claims.build(), macSigner(secret.getBytes(StandardCharsets.UTF_8)));
    }

    /** An HS256 token for {@code sub} with the grants, expiring at {@code exp} (null: no exp). */
    public static String hs256(String sub, List<String> subscribe, List<String> publish, boolean admin, Instant exp) {
        JWTClaimsSet.Builder c = claims(sub, subscribe, publish, admin);
        if (exp != null) {
            c.expirationTime(Date.from(exp));
        }
        return hs256(c);
    }

    public static JWSSigner macSigner(byte[] secret) {
        try {
            return new MACSigner(secret);
        } catch (JOSEException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** A signer for {@code pair}; RSA keys under 2048 bits too (tests mint what a hostile issuer could). */
    public static JWSSigner signer(KeyPair pair) {
        try {
            return pair.getPrivate() instanceof ECPrivateKey ec ? new ECDSASigner(ec)
                    : new RSASSASigner(pair.getPrivate(), Set.of(AllowWeakRSAKey.getInstance()));
        } catch (JOSEException e) {
            throw new IllegalArgumentException(e);
        }
    }

    public static String sign(JWSHeader header, JWTClaimsSet claims, JWSSigner signer) {
        SignedJWT jwt = new SignedJWT(header, claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }

    /** The public half of {@code pair} as a JWK with {@code kid}: RSA, or EC on the pair's curve. */
    public static JWK jwk(KeyPair pair, String kid) {
        if (pair.getPublic() instanceof ECPublicKey ec) {
            return new ECKey.Builder(Curve.forECParameterSpec(ec.getParams()), ec).keyID(kid).build();
        }
        return new RSAKey.Builder((RSAPublicKey) pair.getPublic()).keyID(kid).build();
    }

    /** A token signed by {@code pair} with the header {@code kid}: RS256 for an RSA pair, ES256 for an EC one. */
    public static String signed(KeyPair pair, String kid, JWTClaimsSet.Builder claims) {
        JWSAlgorithm alg = pair.getPublic() instanceof ECPublicKey ? JWSAlgorithm.ES256 : JWSAlgorithm.RS256;
        return sign(new JWSHeader.Builder(alg).keyID(kid).build(), claims.build(), signer(pair));
    }

    public static KeyPair rsa(int bits) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An EC key pair on {@code curve} ({@code secp256r1} for ES256). */
    public static KeyPair ec(String curve) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(curve));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code key} as a PEM {@code PUBLIC KEY} block, as {@code openssl pkey -pubout} writes it. */
    public static String pem(PublicKey key) {
        return "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    /** Writes {@code key} as PEM to {@code file}; returns the file. */
    public static Path writePem(Path file, PublicKey key) {
        try {
            return Files.writeString(file, pem(key), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
