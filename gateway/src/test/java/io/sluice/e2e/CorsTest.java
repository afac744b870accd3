package io.sluice.e2e;

import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpConnection;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.sluice.e2e.PublishTestSupport.WAIT;
import static io.sluice.e2e.PublishTestSupport.accepted;
import static io.sluice.e2e.PublishTestSupport.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CORS on the public listener over real sockets: the headers an allowed origin gets (exactly listed: its own
 * origin with credentials; through {@code *}: {@code *} without), 403 for any other origin, preflights answered
 * 204 for the publish and the GET routes, plain requests without Origin untouched, and the stream's response
 * head carrying the same headers as any other response.
 */
class CorsTest {
    private static final String APP = "https://app.example.com";
    private static final String OTHER = "https://other.example.org";
    private static final String EVENT = "{\"topic\":\"t\",\"data\":1}";

    private GatewayFixture gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private RawResponse get(String path, Map<String, String> headers) {
        return HttpTestClient.get(GatewayFixture.HOST, gateway.port(), path, headers);
    }

    private RawResponse publishFrom(String origin) {
        return HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/publish", "application/json", EVENT,
                Map.of("Origin", origin));
    }

    private RawResponse preflight(String path, String origin, String method, String requestHeaders) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Connection", "close");
        headers.put("Origin", origin);
        headers.put("Access-Control-Request-Method", method);
        if (requestHeaders != null) {
            headers.put("Access-Control-Request-Headers", requestHeaders);
        }
        String request = "OPTIONS " + path + " HTTP/1.1\r\nHost: " + GatewayFixture.HOST + "\r\n";
        StringBuilder sb = new StringBuilder(request);
        headers.forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
        sb.append("\r\n");
        return HttpTestClient.exchange(GatewayFixture.HOST, gateway.port(),
                sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), HttpTestClient.DEFAULT_TIMEOUT);
    }

    /** The headers of an actual response to an allowed origin. */
    private static void assertAllowed(RawResponse r, String allowOrigin, boolean credentials) {
        assertEquals(allowOrigin, r.header("Access-Control-Allow-Origin"), () -> "Allow-Origin of " + r);
        assertEquals(credentials ? "true" : null, r.header("Access-Control-Allow-Credentials"), () -> "credentials of " + r);
        assertEquals(List.of("Origin"), r.headerValues("Vary"), () -> "Vary of " + r);
        assertEquals("Retry-After, WWW-Authenticate", r.header("Access-Control-Expose-Headers"), () -> "Expose of " + r);
    }

    private static void assertNoCors(RawResponse r) {
        for (String name : List.of("Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Vary",
                "Access-Control-Expose-Headers", "Access-Control-Allow-Methods")) {
            assertNull(r.header(name), () -> name + " must be absent: " + r);
        }
    }

    @Test
    void exactlyListedOriginGetsItselfWithCredentials() {
        gateway = GatewayFixture.start("--allowed-origins=" + APP);
        RawResponse r = publishFrom(APP);
        accepted(r, 1, 0);
        assertAllowed(r, APP, true);
        assertAllowed(get("/v1/events?topic=t", Map.of("Origin", APP)), APP, true);
    }

    @Test
    void wildcardAnswersStarWithoutCredentialsButAnExactMatchStillGetsCredentials() {
        gateway = GatewayFixture.start("--allowed-origins=" + APP + ",*");
        RawResponse other = publishFrom(OTHER);
        accepted(other, 1, 0);
        assertAllowed(other, "*", false);
        assertAllowed(publishFrom(APP), APP, true);
    }

    @Test
    void listedOriginIsComparedAsBrowsersSerialiseIt() {
        gateway = GatewayFixture.start("--allowed-origins=https://App.Example.com:443,http://localhost:3000");
        assertAllowed(publishFrom(APP), APP, true);
        assertAllowed(publishFrom("http://localhost:3000"), "http://localhost:3000", true);
        assertError(publishFrom("http://localhost:3001"), 403, "forbidden", "Origin: 'http://localhost:3001'");
    }

    @Test
    void disallowedOriginIs403NamingItAndNothingIsPublished() {
        gateway = GatewayFixture.start("--allowed-origins=" + APP);
        SseTestClient stream = PublishTestSupport.openStream(gateway, "/v1/events/stream?topic=t");
        try {
            RawResponse r = publishFrom(OTHER);
            String message = assertError(r, 403, "forbidden", "Origin: '" + OTHER + "'");
            assertTrue(message.contains("allowedOrigins"), message);
            assertNoCors(r);
            assertError(get("/v1/events/stream?topic=t", Map.of("Origin", OTHER)), 403, "forbidden", "Origin:");
            // the next publish is the first event the stream sees: the refused one never reached the fan-out
            accepted(HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/publish", "application/json",
                    "{\"topic\":\"t\",\"data\":2}"), 1, 1);
            assertEquals("2", stream.awaitEvent(WAIT).data());
        } finally {
            stream.close();
        }
    }

    @Test
    void aPageFromTheGatewaysOwnHostIsSameOriginAndNeedsNoListing() {
        gateway = GatewayFixture.start();
        String self = "http://" + GatewayFixture.HOST + ":" + gateway.port();
        RawResponse r = publishFrom(self);
        accepted(r, 1, 0);
        assertNoCors(r);
        assertError(publishFrom("http://" + GatewayFixture.HOST + ":" + (gateway.port() + 1)), 403, "forbidden",
                "Origin:");
    }

    @Test
    void noAllowedOriginsRefusesEveryOriginButNotRequestsWithoutOne() {
        gateway = GatewayFixture.start();
        assertError(publishFrom(APP), 403, "forbidden", "Origin: '" + APP + "'");
        RawResponse plain = HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/publish", "application/json",
                EVENT);
        accepted(plain, 1, 0);
        assertNoCors(plain);
    }

    @Test
    void requestWithoutOriginIsUnaffected() {
        gateway = GatewayFixture.start("--allowed-origins=*");
        RawResponse r = HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/publish", "application/json",
                EVENT);
        accepted(r, 1, 0);
        assertNoCors(r);
        assertNoCors(get("/healthz", Map.of()));
    }

    @Test
    void preflightForPublishRoutesAnswers204WithTheRouteMethodAndAcceptedHeadersOnly() {
        gateway = GatewayFixture.start("--allowed-origins=" + APP);
        for (String path : List.of("/v1/publish", "/v1/broadcast", "/v1/users/u1/events")) {
            RawResponse r = preflight(path, APP, "POST", "content-type, authorization, x-evil");
            assertEquals(204, r.status(), () -> path + ": " + r);
            assertEquals(APP, r.header("Access-Control-Allow-Origin"), () -> path + ": " + r);
            assertEquals("true", r.header("Access-Control-Allow-Credentials"), () -> path + ": " + r);
            assertEquals("POST", r.header("Access-Control-Allow-Methods"), () -> path + ": " + r);
            assertEquals("Authorization, Content-Type, Last-Event-ID", r.header("Access-Control-Allow-Headers"),
                    () -> path + ": " + r);
            assertFalse(r.header("Access-Control-Allow-Headers").toLowerCase().contains("x-evil"));
            assertEquals("600", r.header("Access-Control-Max-Age"), () -> path + ": " + r);
            assertTrue(r.header("Vary").startsWith("Origin"), () -> path + ": " + r);
            assertNull(r.header("Content-Length"), () -> "a 204 has no Content-Length: " + r);
            assertNull(r.header("Content-Type"), () -> path + ": " + r);
            assertEquals("", r.body());
        }
    }

    @Test
    void preflightForTheStreamAndSnapshotRoutesAllowsGetAndWithWildcardNoCredentials() {
        gateway = GatewayFixture.start("--allowed-origins=*");
        for (String path : List.of("/v1/events/stream?topic=t", "/v1/events")) {
            RawResponse r = preflight(path, OTHER, "GET", "last-event-id");
            assertEquals(204, r.status(), () -> path + ": " + r);
            assertEquals("*", r.header("Access-Control-Allow-Origin"), () -> path + ": " + r);
            assertNull(r.header("Access-Control-Allow-Credentials"), () -> "never * with credentials: " + r);
            assertEquals("GET", r.header("Access-Control-Allow-Methods"), () -> path + ": " + r);
            assertEquals("600", r.header("Access-Control-Max-Age"), () -> path + ": " + r);
        }
    }

    @Test
    void preflightFromDisallowedOriginIs403() {
        gateway = GatewayFixture.start("--allowed-origins=" + APP);
        RawResponse r = preflight("/v1/publish", OTHER, "POST", "content-type");
        assertError(r, 403, "forbidden", "Origin: '" + OTHER + "'");
        assertNoCors(r);
    }

    @Test
    void optionsWithoutPreflightHeadersAndOtherWrongMethodsStill405() {
        gateway = GatewayFixture.start("--allowed-origins=" + APP);
        try (HttpConnection c = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            RawResponse options = c.request("OPTIONS", "/v1/publish", Map.of("Origin", APP), null);
            assertError(options, 405, "method_not_allowed", "OPTIONS");
            assertEquals("POST", options.header("Allow"));
            assertAllowed(options, APP, true);
            RawResponse delete = c.request("DELETE", "/v1/events/stream", Map.of(), null);
            assertError(delete, 405, "method_not_allowed", "DELETE");
            assertNoCors(delete);
            RawResponse unknown = c.request("OPTIONS", "/nope", Map.of("Origin", APP,
                    "Access-Control-Request-Method", "GET"), null);
            assertError(unknown, 404, "not_found", "no endpoint");
        }
    }

    @Test
    void preflightThenActualRequestOnOneKeptAliveConnection() {
        gateway = GatewayFixture.start("--allowed-origins=" + APP);
        try (HttpConnection c = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            RawResponse pre = c.request("OPTIONS", "/v1/publish", Map.of("Origin", APP,
                    "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type"), null);
            assertEquals(204, pre.status(), pre::toString);
            RawResponse actual = c.request("POST", "/v1/publish", Map.of("Origin", APP,
                    "Content-Type", "application/json"), EVENT);
            accepted(actual, 1, 0);
            assertAllowed(actual, APP, true);
        }
    }

    @Test
    void refusedRequestWithoutBodyKeepsItsConnectionOneWithBodyClosesIt() {
        gateway = GatewayFixture.start("--allowed-origins=" + APP);
        try (HttpConnection c = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            RawResponse refusedGet = c.request("GET", "/v1/events?topic=t", Map.of("Origin", OTHER), null);
            assertError(refusedGet, 403, "forbidden", "Origin:");
            assertNull(refusedGet.header("Connection"), refusedGet::toString);
            RawResponse next = c.request("GET", "/v1/events?topic=t", Map.of("Origin", APP), null);
            assertEquals(200, next.status(), next::toString);
            RawResponse refusedPost = c.request("POST", "/v1/publish", Map.of("Origin", OTHER,
                    "Content-Type", "application/json"), EVENT);
            assertError(refusedPost, 403, "forbidden", "Origin:");
            assertEquals("close", refusedPost.header("Connection"), refusedPost::toString);
            assertTrue(c.awaitClosedByServer(WAIT));
        }
    }

    @Test
    void refusalsBeforeTheEndpointCarryCorsHeadersToo() {
        gateway = GatewayFixture.start("--allowed-origins=" + APP, "--max-event-bytes=32", "--max-body-bytes=64");
        RawResponse tooLarge = HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/publish",
                "application/json", "{\"topic\":\"t\",\"data\":\"" + "x".repeat(100) + "\"}", Map.of("Origin", APP));
        assertError(tooLarge, 413, "too_large", "body:");
        assertAllowed(tooLarge, APP, true);
        RawResponse notFound = get("/nope", Map.of("Origin", APP));
        assertError(notFound, 404, "not_found", "no endpoint");
        assertAllowed(notFound, APP, true);
    }

    @Test
    void streamResponseHeadCarriesCorsHeadersAndTheStreamFlows() {
        gateway = GatewayFixture.start("--allowed-origins=" + APP);
        try (SseTestClient stream = gateway.stream("/v1/events/stream?topic=t", Map.of("Origin", APP))) {
            assertEquals(200, stream.status());
            assertEquals(APP, stream.header("Access-Control-Allow-Origin"));
            assertEquals("true", stream.header("Access-Control-Allow-Credentials"));
            assertEquals("Origin", stream.header("Vary"));
            assertEquals("text/event-stream; charset=utf-8", stream.header("Content-Type"));
            assertEquals("connected", stream.awaitEvent(WAIT).type());
            accepted(HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/publish", "application/json",
                    EVENT), 1, 1);
            SseEvent e = stream.awaitEvent(WAIT);
            assertEquals("1", e.data());
        }
    }

    @Test
    void managementListenerIgnoresOrigin() {
        gateway = GatewayFixture.start("--allowed-origins=" + APP);
        RawResponse r = HttpTestClient.get(GatewayFixture.HOST, gateway.managementPort(), "/healthz",
                Map.of("Origin", OTHER));
        assertEquals(200, r.status(), r::toString);
        assertNoCors(r);
    }
}
