package io.sluice.e2e;

import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.RawResponse;
import io.sluice.testing.RepoFiles;
import io.sluice.testing.TestTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /v1/client.js} over real sockets (CONTRACT §14): the repository's {@code clients/js/src/sluice-client.js}
 * byte for byte, as JavaScript, cacheable for five minutes and revalidated by its ETag, with CORS like every route,
 * and served whatever auth is configured (a page needs the client before it has credentials).
 */
class ClientScriptEndpointTest {
    private static final String PATH = "/v1/client.js";
    private static final String APP = "http://app.example.com:3000";

    private GatewayFixture gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private RawResponse get(Map<String, String> headers) {
        return HttpTestClient.get(GatewayFixture.HOST, gateway.port(), PATH, headers);
    }

    @Test
    void servesTheRepositoryFileByteForByte() throws IOException {
        gateway = GatewayFixture.start();
        byte[] file = Files.readAllBytes(RepoFiles.file("clients/js/src/sluice-client.js"));
        RawResponse r = get(Map.of());
        assertEquals(200, r.status(), r::toString);
        assertEquals("text/javascript; charset=utf-8", r.header("Content-Type"));
        assertEquals(String.valueOf(file.length), r.header("Content-Length"));
        assertArrayEquals(file, r.body().getBytes(StandardCharsets.UTF_8), "served bytes differ from the repository's");
        assertEquals("public, max-age=300", r.header("Cache-Control"));
        assertTrue(r.header("ETag").matches("\"[A-Za-z0-9_-]{22}\""), () -> "a strong ETag: " + r.header("ETag"));
        assertEquals(List.of("Origin"), r.headerValues("Vary"), "a shared cache keeps one copy per Origin");
        assertEquals("nosniff", r.header("X-Content-Type-Options"));
    }

    @Test
    void revalidatesWithItsEtag() {
        gateway = GatewayFixture.start();
        String etag = get(Map.of()).header("ETag");
        for (String ifNoneMatch : List.of(etag, "W/" + etag, "\"older\", " + etag, "*")) {
            RawResponse r = get(Map.of("If-None-Match", ifNoneMatch));
            assertEquals(304, r.status(), () -> "If-None-Match: " + ifNoneMatch + " → " + r);
            assertEquals("", r.body());
            assertNull(r.header("Content-Length"), "a 304 describes no body");
            assertEquals(etag, r.header("ETag"));
            assertEquals("public, max-age=300", r.header("Cache-Control"));
        }
        RawResponse changed = get(Map.of("If-None-Match", "\"older\""));
        assertEquals(200, changed.status());
        assertEquals(etag, changed.header("ETag"));
    }

    @Test
    void carriesCorsHeadersLikeEveryRoute() {
        gateway = GatewayFixture.start("--allowed-origins=" + APP);
        RawResponse r = get(Map.of("Origin", APP));
        assertEquals(200, r.status(), r::toString);
        assertEquals(APP, r.header("Access-Control-Allow-Origin"));
        assertEquals(List.of("Origin"), r.headerValues("Vary"), "Vary: Origin once, not once per layer");
        RawResponse revalidated = get(Map.of("Origin", APP, "If-None-Match", r.header("ETag")));
        assertEquals(304, revalidated.status());
        assertEquals(APP, revalidated.header("Access-Control-Allow-Origin"));
        assertEquals(403, get(Map.of("Origin", "https://elsewhere.example")).status(), "other origins are refused");
    }

    @Test
    void isServedWithoutCredentialsWhenAuthIsConfigured() {
        gateway = GatewayFixture.start("--jwt-secret=" + TestTokens.SECRET, "--publish-keys=" + TestTokens.PUBLISH_KEY);
        RawResponse r = get(Map.of());
        assertEquals(200, r.status(), r::toString);
        assertEquals("text/javascript; charset=utf-8", r.header("Content-Type"));
    }
}
