package io.sluice.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.api.QueryParams;
import io.sluice.config.ConfigException;
import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import io.sluice.testing.TestTokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link AccessPolicies#fromConfig}: open mode without auth, and {@code jwtPublicKeyFile} read at start-up, where
 * every unusable file is a {@link ConfigException} naming the key and saying what to do.
 */
class AccessPoliciesTest {
    @TempDir
    Path dir;

    private static SluiceConfig config(String... flags) {
        List<String> args = new ArrayList<>(List.of(flags));
        return ConfigLoader.load(args.toArray(new String[0]), Map.of()).config();
    }

    private static String verify(AccessPolicy policy, String token) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        r.headers().set("Authorization", "Bearer " + token);
        return policy.authenticate(r, QueryParams.of("/")).subject();
    }

    private String refusedKeyFile(String content) throws IOException {
        Path file = Files.writeString(dir.resolve("key.pem"), content);
        ConfigException e = assertThrows(ConfigException.class,
                () -> AccessPolicies.fromConfig(config("--jwt-public-key-file=" + file)));
        assertTrue(e.getMessage().startsWith("jwtPublicKeyFile '" + file + "': "), e.getMessage());
        return e.getMessage().substring(("jwtPublicKeyFile '" + file + "': ").length());
    }

    @Test
    void noAuthConfiguredIsOpenMode() {
        assertSame(OpenAccessPolicy.INSTANCE, AccessPolicies.fromConfig(config()));
        assertTrue(AccessPolicies.fromConfig(config()).isOpen());
        assertFalse(AccessPolicies.fromConfig(config("--publish-keys=" + TestTokens.PUBLISH_KEY)).isOpen());
        assertFalse(AccessPolicies.fromConfig(config("--jwt-secret=" + TestTokens.SECRET)).isOpen());
    }

    @Test
    void rsaAndEcPublicKeyFilesVerifyTheirTokens() {
        KeyPair rsa = TestTokens.rsa(2048);
        KeyPair ec = TestTokens.ec("secp256r1");
        Path rsaFile = TestTokens.writePem(dir.resolve("rsa.pem"), rsa.getPublic());
        Path ecFile = TestTokens.writePem(dir.resolve("ec.pem"), ec.getPublic());

        AccessPolicy rsaPolicy = AccessPolicies.fromConfig(config("--jwt-public-key-file=" + rsaFile));
        AccessPolicy ecPolicy = AccessPolicies.fromConfig(config("--jwt-public-key-file=" + ecFile,
                "--jwt-secret=" + TestTokens.SECRET));

        assertEquals("r", verify(rsaPolicy, TestTokens.sign(new JWSHeader(JWSAlgorithm.RS256),
                TestTokens.claims("r", null, null, false).build(), TestTokens.signer(rsa))));
        assertEquals("e", verify(ecPolicy, TestTokens.sign(new JWSHeader(JWSAlgorithm.ES256),
                TestTokens.claims("e", null, null, false).build(), TestTokens.signer(ec))));
        assertEquals("h", verify(ecPolicy, TestTokens.hs256(TestTokens.claims("h", null, null, false))));
        assertEquals("tokens=[HS256, ES256] publishKeys=0 publicTopics=[]", ecPolicy.toString());
    }

    @Test
    void aJwkSetUrlMakesAPolicyWhoseKeySetTheNodeStarts() {
        AccessPolicy policy = AccessPolicies.fromConfig(config("--jwks-url=https://idp.example.com/jwks.json?x=1",
                "--jwt-issuer=https://idp.example.com/", "--jwt-audience=sluice", "--jwt-claim=grants"));

        assertFalse(policy.isOpen());
        assertFalse(policy.jwks().isLoaded(), "created, not started: the node starts it");
        assertEquals("https://idp.example.com/jwks.json", policy.jwks().url(), "no query in what is logged");
        assertEquals("tokens=[RS256, ES256] jwks=https://idp.example.com/jwks.json issuer=https://idp.example.com/"
                + " audience=sluice grantsClaim=grants publishKeys=0 publicTopics=[]", policy.toString());
        assertEquals(null, AccessPolicies.fromConfig(config("--jwt-secret=" + TestTokens.SECRET)).jwks());
        assertEquals(null, OpenAccessPolicy.INSTANCE.jwks());
    }

    @Test
    void pemWithSurroundingTextAndCrlfIsRead() throws IOException {
        KeyPair ec = TestTokens.ec("secp256r1");
        Path file = Files.writeString(dir.resolve("k.pem"), "issuer: test\r\n" + TestTokens.pem(ec.getPublic())
                .replace("\n", "\r\n"));

        assertFalse(AccessPolicies.fromConfig(config("--jwt-public-key-file=" + file)).isOpen());
    }

    @Test
    void missingFileStopsStartUp() {
        Path missing = dir.resolve("nope.pem");
        ConfigException e = assertThrows(ConfigException.class,
                () -> AccessPolicies.fromConfig(config("--jwt-public-key-file=" + missing)));

        assertTrue(e.getMessage().startsWith("jwtPublicKeyFile '" + missing + "': cannot read the file"), e.getMessage());
    }

    @Test
    void aDirectoryIsNotAKeyFile() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> AccessPolicies.fromConfig(config("--jwt-public-key-file=" + dir)));

        assertTrue(e.getMessage().contains("cannot read the file"), e.getMessage());
    }

    @Test
    void unusableKeyFilesSayWhatIsWrong() throws IOException {
        assertEquals("found no PEM block; expected a '-----BEGIN PUBLIC KEY-----' block (RSA or EC P-256; convert with:"
                + " openssl pkey -pubout -in <key.pem>)", refusedKeyFile("hello"));
        assertTrue(refusedKeyFile("-----BEGIN RSA PUBLIC KEY-----\nMIIB\n-----END RSA PUBLIC KEY-----\n")
                .startsWith("found a PEM 'RSA PUBLIC KEY' block; expected a '-----BEGIN PUBLIC KEY-----' block"));
        assertTrue(refusedKeyFile("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
                .startsWith("found a PEM 'CERTIFICATE' block"));
        assertEquals("the PUBLIC KEY block is neither an RSA nor an EC public key",
                refusedKeyFile("-----BEGIN PUBLIC KEY-----\n" + Base64.getEncoder().encodeToString(new byte[64])
                        + "\n-----END PUBLIC KEY-----\n"));
        assertEquals("the PUBLIC KEY block is not valid base64",
                refusedKeyFile("-----BEGIN PUBLIC KEY-----\nAAA=A\n-----END PUBLIC KEY-----\n"));
    }

    @Test
    void weakRsaAndOtherCurvesAreRefused() throws IOException {
        assertEquals("the RSA key has 1024 bits; RS256 needs at least 2048",
                refusedKeyFile(TestTokens.pem(TestTokens.rsa(1024).getPublic())));
        assertEquals("the EC key is on curve P-384; ES256 needs P-256 (prime256v1)",
                refusedKeyFile(TestTokens.pem(TestTokens.ec("secp384r1").getPublic())));
    }
}
