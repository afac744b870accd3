package io.sluice.e2e;

import com.nimbusds.jwt.JWTClaimsSet;
import io.sluice.testing.Await;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.JwksServer;
import io.sluice.testing.PrometheusText;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import io.sluice.testing.TestTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;

import static io.sluice.e2e.StreamTestSupport.SNAPSHOT_PATH;
import static io.sluice.e2e.StreamTestSupport.STREAM_PATH;
import static io.sluice.e2e.StreamTestSupport.WAIT;
import static io.sluice.e2e.StreamTestSupport.assertErrorThenHealthy;
import static io.sluice.e2e.StreamTestSupport.eventJson;
import static io.sluice.testing.TestTokens.PUBLISH_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CONTRACT §13 against a real gateway over real sockets, with a real HTTP server in the test as the identity
 * provider: streams, snapshots and publishes with RS256 and ES256 tokens chosen by kid, next to HS256 tokens and
 * publish keys; the provider down at start (503, the EventSource form, {@code /readyz} 503, public topics still
 * served) and later (the last good set kept, the failure counted); rotation to a new kid; issuer and audience.
 */
class JwksEndpointTest {
    private static final KeyPair RSA = TestTokens.rsa(2048);
    private static final KeyPair EC = TestTokens.ec("secp256r1");
    private static final KeyPair NEXT = TestTokens.rsa(2048);
    private static final String ISSUER = "https://idp.example.com/realms/acme";

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeEverything() {
        StreamTestSupport.closeAll(resources);
    }

    private JwksServer idp() {
        JwksServer idp = JwksServer.start();
        resources.add(idp);
        return idp;
    }

    /** A gateway on {@code idp}'s set, refreshed every second, with a secret, a publish key and a public topic. */
    private GatewayFixture gateway(JwksServer idp, String... extraFlags) {
        List<String> flags = new ArrayList<>(List.of("--jwks-url=" + idp.url(), "--jwks-refresh-interval=1s",
                "--jwt-secret=" + TestTokens.SECRET, "--publish-keys=" + PUBLISH_KEY, "--public-topics=news/*"));
        flags.addAll(List.of(extraFlags));
        GatewayFixture gateway = GatewayFixture.start(flags.toArray(new String[0]));
        resources.add(gateway);
        return gateway;
    }

    private static JWTClaimsSet.Builder claims(String sub, List<String> subscribe, List<String> publish) {
        return TestTokens.claims(sub, subscribe, publish, false).expirationTime(Date.from(Instant.now().plusSeconds(600)));
    }

    private static Map<String, String> bearer(String token) {
        return Map.of("Authorization", "Bearer " + token);
    }

    private SseTestClient open(GatewayFixture gateway, String query, Map<String, String> headers) {
        return StreamTestSupport.openStream(gateway, query, headers, resources);
    }

    private static RawResponse get(GatewayFixture gateway, String path, Map<String, String> headers) {
        return HttpTestClient.get(GatewayFixture.HOST, gateway.port(), path, headers);
    }

    private static RawResponse readyz(GatewayFixture gateway, int port) {
        return HttpTestClient.get(GatewayFixture.HOST, port, "/readyz");
    }

    private static PrometheusText metrics(GatewayFixture gateway) {
        return PrometheusText.parse(HttpTestClient.get(GatewayFixture.HOST, gateway.managementPort(), "/metrics").body());
    }

    private static void awaitReady(GatewayFixture gateway) {
        Await.until(() -> readyz(gateway, gateway.port()).status() == 200, WAIT, "/readyz 200 once the set is loaded");
    }

    @Test
    void rs256AndEs256TokensFromTheSetStreamReadAndPublishBesideHs256TokensAndPublishKeys() {
        JwksServer idp = idp();
        idp.serve(TestTokens.jwk(RSA, "rsa-1"), TestTokens.jwk(EC, "ec-1"));
        GatewayFixture gateway = gateway(idp);
        awaitReady(gateway);

        SseTestClient rsa = open(gateway, "topic=orders/1", bearer(TestTokens.signed(RSA, "rsa-1",
                claims("alice", List.of("orders/*"), null))));
        SseTestClient ec = open(gateway, "topic=orders/1", Map.of("Cookie", "sluice_token="
                + TestTokens.signed(EC, "ec-1", claims("bob", List.of("orders/*"), null))));
        SseTestClient hs = open(gateway, "topic=orders/1", bearer(TestTokens.hs256(claims("carol", List.of("orders/*"),
                null))));
        String publisher = TestTokens.signed(EC, "ec-1", claims("svc", null, List.of("orders/*")));
        RawResponse published = HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/publish", "application/json",
                eventJson("orders/1", "order:paid", "42"), bearer(publisher));
        assertEquals(200, published.status(), published::toString);
        RawResponse withKey = HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/publish", "application/json",
                eventJson("orders/1", "order:shipped", "43"), bearer(PUBLISH_KEY));
        assertEquals(200, withKey.status(), withKey::toString);

        for (SseTestClient stream : List.of(rsa, ec, hs)) {
            List<SseEvent> events = stream.awaitEvents(2, WAIT);
            assertEquals(List.of("42", "43"), events.stream().map(SseEvent::data).toList());
        }
        RawResponse snapshot = get(gateway, SNAPSHOT_PATH + "?topic=orders/1", bearer(TestTokens.signed(RSA, "rsa-1",
                claims("alice", List.of("orders/*"), null))));
        assertEquals(200, snapshot.status(), snapshot::toString);
        assertTrue(snapshot.body().contains("\"type\":\"order:shipped\""), snapshot.body());
        assertErrorThenHealthy(gateway, "GET", STREAM_PATH + "?topic=secret", bearer(TestTokens.signed(RSA, "rsa-1",
                claims("alice", List.of("orders/*"), null))), null, 403, "forbidden",
                "topic 'secret': the token of user alice may not read it (no sluice.subscribe pattern matches)");
        assertEquals(0, metrics(gateway).value("sluice_jwks_refresh_failures_total"));
    }

    @Test
    void untilAFirstSetIsLoadedTokensThatNeedItGet503AndEverythingElseIsServed() {
        JwksServer idp = idp();
        idp.fail(503);
        GatewayFixture gateway = gateway(idp);
        idp.awaitRequests(1, WAIT);
        String token = TestTokens.signed(RSA, "rsa-1", claims("alice", List.of("orders/*"), null));

        for (int port : List.of(gateway.port(), gateway.managementPort())) {
            RawResponse notReady = readyz(gateway, port);
            assertEquals(503, notReady.status(), notReady::toString);
            assertEquals("{\"error\":{\"code\":\"unavailable\",\"message\":\"not ready: the JWK set of jwksUrl is not"
                    + " loaded yet\"}}", notReady.body());
        }
        SseTestClient eventSource = gateway.stream(STREAM_PATH + "?topic=orders/1",
                Map.of("Authorization", "Bearer " + token, "Accept", "text/event-stream"));
        resources.add(eventSource);
        assertEquals(200, eventSource.status(), "an EventSource is told to retry, not failed");
        assertTrue(eventSource.awaitClosed(WAIT));
        assertTrue(eventSource.retry() >= 1000, eventSource::toString);
        assertEquals(List.of(" token: the signing keys of jwksUrl are not loaded yet; retry in a few seconds"),
                eventSource.comments());
        for (String path : List.of(STREAM_PATH + "?topic=orders/1", SNAPSHOT_PATH + "?topic=orders/1")) {
            RawResponse r = get(gateway, path, bearer(token));
            assertEquals(503, r.status(), r::toString);
            assertTrue(Integer.parseInt(r.header("Retry-After")) >= 1, r::toString);
            assertEquals("{\"error\":{\"code\":\"unavailable\",\"message\":\"token: the signing keys of jwksUrl are not"
                    + " loaded yet; retry in a few seconds\"}}", r.body());
        }
        RawResponse publish = HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/publish", "application/json",
                eventJson("news/today", null, "1"), bearer(PUBLISH_KEY));
        assertEquals(200, publish.status(), "a publish key needs no JWK set");
        SseTestClient anonymous = open(gateway, "topic=news/today", Map.of());
        SseTestClient hs = open(gateway, "topic=orders/1", bearer(TestTokens.hs256(claims("carol", List.of("orders/*"),
                null))));
        PrometheusText before = metrics(gateway);
        assertEquals(0, before.value("sluice_ready"));
        assertTrue(before.value("sluice_jwks_refresh_failures_total") >= 1);
        assertTrue(Double.isNaN(before.value("sluice_jwks_age_seconds")));
        assertTrue(before.value("sluice_connections_rejected_total", "reason", "not_ready") >= 1);

        idp.serve(TestTokens.jwk(RSA, "rsa-1"));
        awaitReady(gateway);
        open(gateway, "topic=orders/1", bearer(token));
        assertEquals(1, metrics(gateway).value("sluice_ready"));
        for (String topic : List.of("news/today", "orders/1")) {
            RawResponse r = HttpTestClient.post(GatewayFixture.HOST, gateway.port(), "/v1/publish", "application/json",
                    eventJson(topic, null, "2"), bearer(PUBLISH_KEY));
            assertEquals(200, r.status(), r::toString);
        }
        assertEquals("2", anonymous.awaitEvent(WAIT).data(), "streams opened while not ready kept flowing");
        assertEquals("2", hs.awaitEvent(WAIT).data());
    }

    @Test
    void aFailedRefreshKeepsTheLastGoodSetAndIsCounted() {
        JwksServer idp = idp();
        idp.serve(TestTokens.jwk(RSA, "rsa-1"));
        GatewayFixture gateway = gateway(idp);
        awaitReady(gateway);

        idp.fail(500);
        Await.until(() -> metrics(gateway).value("sluice_jwks_refresh_failures_total") >= 2, WAIT,
                "failed refreshes counted");
        open(gateway, "topic=orders/1", bearer(TestTokens.signed(RSA, "rsa-1", claims("dave", List.of("orders/*"), null))));
        assertEquals(200, readyz(gateway, gateway.port()).status(), "still ready on the last good set");
        Await.until(() -> metrics(gateway).value("sluice_jwks_age_seconds") >= 1.0, WAIT, "the set growing older");

        idp.serve(TestTokens.jwk(RSA, "rsa-1"));
        Await.until(() -> metrics(gateway).value("sluice_jwks_age_seconds") < 1.0, WAIT, "a fresh fetch");
    }

    @Test
    void rotationToANewKidIsPickedUpAndTheRemovedKeyStopsVerifying() {
        JwksServer idp = idp();
        idp.serve(TestTokens.jwk(RSA, "2024-01"));
        GatewayFixture gateway = gateway(idp, "--jwks-refresh-interval=1h");
        awaitReady(gateway);
        String old = TestTokens.signed(RSA, "2024-01", claims("erin", List.of("orders/*"), null));
        open(gateway, "topic=orders/1", bearer(old)).close();
        int fetched = idp.requests();

        idp.serve(TestTokens.jwk(NEXT, "2024-02"));
        String rotated = TestTokens.signed(NEXT, "2024-02", claims("erin", List.of("orders/*"), null));
        RawResponse first = assertErrorThenHealthy(gateway, "GET", STREAM_PATH + "?topic=orders/1", bearer(rotated), null,
                401, "unauthorized", "token: kid '2024-02' is not in the JWK set of jwksUrl (the set is fetched again, at"
                        + " most every 30s, in case the provider rotated its keys)");
        assertEquals("Bearer error=\"invalid_token\"", first.header("WWW-Authenticate"));
        idp.awaitRequests(fetched + 1, WAIT);
        Await.until(() -> get(gateway, SNAPSHOT_PATH + "?topic=orders/1", bearer(rotated)).status() == 200, WAIT,
                "the new kid accepted once the refetch is in");

        open(gateway, "topic=orders/1", bearer(rotated));
        assertErrorThenHealthy(gateway, "GET", STREAM_PATH + "?topic=orders/1", bearer(old), null, 401, "unauthorized",
                "token: kid '2024-01' is not in the JWK set of jwksUrl (the set is fetched again, at most every 30s, in"
                        + " case the provider rotated its keys)");
    }

    @Test
    void issuerAndAudienceAreCheckedAndAMismatchNamesTheClaim() {
        JwksServer idp = idp();
        idp.serve(TestTokens.jwk(EC, "ec-1"));
        GatewayFixture gateway = gateway(idp, "--jwt-issuer=" + ISSUER, "--jwt-audience=sluice");
        awaitReady(gateway);

        open(gateway, "topic=orders/1", bearer(TestTokens.signed(EC, "ec-1", claims("frank", List.of("orders/*"), null)
                .issuer(ISSUER).audience(List.of("account", "sluice")))));
        RawResponse wrongIssuer = assertErrorThenHealthy(gateway, "GET", STREAM_PATH + "?topic=news/a",
                bearer(TestTokens.signed(EC, "ec-1", claims("frank", null, null).issuer("https://other.example.com")
                        .audience("sluice"))), null, 401, "unauthorized",
                "token: claim iss is 'https://other.example.com'; jwtIssuer requires '" + ISSUER + "'");
        assertEquals("Bearer error=\"invalid_token\"", wrongIssuer.header("WWW-Authenticate"));
        assertErrorThenHealthy(gateway, "GET", SNAPSHOT_PATH + "?topic=news/a",
                bearer(TestTokens.signed(EC, "ec-1", claims("frank", null, null).issuer(ISSUER).audience("account"))), null,
                401, "unauthorized", "token: claim aud [account] does not contain jwtAudience 'sluice'");
        assertErrorThenHealthy(gateway, "GET", SNAPSHOT_PATH + "?topic=news/a",
                bearer(TestTokens.hs256(claims("frank", null, null))), null, 401, "unauthorized",
                "token: claim iss is missing; jwtIssuer requires '" + ISSUER + "'");
    }
}
