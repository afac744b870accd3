package io.sluice.auth;

import io.sluice.config.ConfigException;
import io.sluice.config.SluiceConfig;

import java.security.PublicKey;

/** Builds the access policy a configuration asks for. Called once, at start-up, before anything is bound. */
public final class AccessPolicies {
    private AccessPolicies() {
    }

    /**
     * {@link OpenAccessPolicy} when no auth is configured ({@link SluiceConfig#authConfigured()} false), otherwise a
     * {@link TokenAccessPolicy} over the configured secret, public key file, publish keys and public topics.
     *
     * @throws ConfigException when {@code jwtPublicKeyFile} cannot be read or holds no usable key
     */
    public static AccessPolicy fromConfig(SluiceConfig config) {
        if (!config.authConfigured()) {
            return OpenAccessPolicy.INSTANCE;
        }
        PublicKey publicKey = config.jwtPublicKeyFile().isEmpty() ? null : PemPublicKey.read(config.jwtPublicKeyFile());
        JwtVerifier verifier = config.jwtSecret().isEmpty() && publicKey == null ? null
                : new JwtVerifier(config.jwtSecret(), publicKey, config.jwtClockSkew(), System::currentTimeMillis);
        return new TokenAccessPolicy(verifier, new PublishKeys(config.publishKeys()), config.publicTopics());
    }
}
