package io.sluice.auth;

import com.nimbusds.jose.jwk.Curve;
import io.sluice.config.ConfigException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code jwtPublicKeyFile}: one PEM {@code PUBLIC KEY} block (X.509 SubjectPublicKeyInfo, what
 * {@code openssl pkey -pubout} writes) holding an RSA key of at least 2048 bits (RS256) or an EC key on P-256
 * (ES256). Anything else stops start-up with a {@link ConfigException} naming the key, the file and the fix.
 * Called once, at start-up.
 */
final class PemPublicKey {
    /** Bits; NIST SP 800-131A and RFC 7518 §3.3 require at least 2048 for RS256. */
    static final int MIN_RSA_BITS = 2048;
    private static final String KEY = "jwtPublicKeyFile";
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\\s]+)-----END PUBLIC KEY-----");
    private static final Pattern ANY_BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----");

    private PemPublicKey() {
    }

    /** @throws ConfigException when the file cannot be read or holds no usable key */
    static PublicKey read(String file) {
        String pem;
        try {
            pem = Files.readString(Path.of(file), StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(KEY + " '" + file + "': cannot read the file (" + e + ")", e);
        }
        return parse(pem, file);
    }

    static PublicKey parse(String pem, String file) {
        Matcher m = BLOCK.matcher(pem);
        if (!m.find()) {
            Matcher other = ANY_BLOCK.matcher(pem);
            String found = other.find() ? "a PEM '" + other.group(1) + "' block" : "no PEM block";
            throw new ConfigException(KEY + " '" + file + "': found " + found + "; expected a '-----BEGIN PUBLIC KEY-----'"
                    + " block (RSA or EC P-256; convert with: openssl pkey -pubout -in <key.pem>)");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(m.group(1).replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(KEY + " '" + file + "': the PUBLIC KEY block is not valid base64", e);
        }
        PublicKey key = decode(der);
        if (key == null) {
            throw new ConfigException(KEY + " '" + file + "': the PUBLIC KEY block is neither an RSA nor an EC public key");
        }
        if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < MIN_RSA_BITS) {
            throw new ConfigException(KEY + " '" + file + "': the RSA key has " + rsa.getModulus().bitLength()
                    + " bits; RS256 needs at least " + MIN_RSA_BITS);
        }
        if (key instanceof ECPublicKey ec && !Curve.P_256.equals(Curve.forECParameterSpec(ec.getParams()))) {
            Curve curve = Curve.forECParameterSpec(ec.getParams());
            throw new ConfigException(KEY + " '" + file + "': the EC key is on curve "
                    + (curve == null ? "(unknown)" : curve.getName()) + "; ES256 needs P-256 (prime256v1)");
        }
        return key;
    }

    /** The key as RSA, else as EC, else null. */
    private static PublicKey decode(byte[] der) {
        for (String algorithm : new String[] {"RSA", "EC"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException | RuntimeException e) {
                // not this algorithm: try the next
            }
        }
        return null;
    }
}
