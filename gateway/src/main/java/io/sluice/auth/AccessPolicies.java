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
     * {@link TokenAccessPolicy} over the configured secret, public key file, JWK set, claim rules, publish keys and
     * public topics. A JWK set is created but not started: {@link AccessPolicy#jwks()} returns it to whoever runs the
     * node, which starts its thread.
     *
     * @throws ConfigException when {@code jwtPublicKeyFile} cannot be read or holds no usable key
     */
    public static AccessPolicy fromConfig(SluiceConfig config) {
        if (!config.authConfigured()) {
            return OpenAccessPolicy.INSTANCE;
        }
        PublicKey publicKey = config.jwtPublicKeyFile().isEmpty() ? null : PemPublicKey.read(config.jwtPublicKeyFile());
        JwksKeys jwks = config.jwksUrl().isEmpty() ? null : new JwksKeys(config.jwksUrl(), config.jwksRefreshInterval());
        JwtVerifier verifier = config.jwtSecret().isEmpty() && publicKey == null && jwks == null ? null
                : new JwtVerifier(config.jwtSecret(), publicKey, jwks,
                        new JwtVerifier.ClaimRules(config.jwtIssuer(), config.jwtAudience(), config.jwtClaim()),
                        config.jwtClockSkew(), System::currentTimeMillis);
        return new TokenAccessPolicy(verifier, new PublishKeys(config.publishKeys()), config.publicTopics());
    }
}
