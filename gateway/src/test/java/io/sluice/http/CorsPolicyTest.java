package io.sluice.http;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How configured origins are compared and which answer each request origin gets. */
class CorsPolicyTest {

    @Test
    void listedOriginsAreSerialisedAsBrowsersSendThem() {
        assertEquals("https://app.example.com", CorsPolicy.serialize("https://App.Example.COM"));
        assertEquals("https://app.example.com", CorsPolicy.serialize("https://app.example.com:443"));
        assertEquals("http://app.example.com", CorsPolicy.serialize("http://app.example.com:80"));
        assertEquals("http://app.example.com:443", CorsPolicy.serialize("http://app.example.com:443"));
        assertEquals("https://localhost:3000", CorsPolicy.serialize("https://localhost:03000"));
        assertEquals("http://[::1]:8080", CorsPolicy.serialize("http://[::1]:8080"));
        assertEquals("http://[::1]", CorsPolicy.serialize("http://[::1]"));
    }

    @Test
    void exactMatchGetsCredentialsWildcardNeverDoesOthersAreRefused() {
        CorsPolicy exactOnly = CorsPolicy.of(List.of("https://a.example"));
        CorsPolicy.Decision a = exactOnly.decide("https://a.example");
        assertEquals("https://a.example", a.allowOrigin());
        assertTrue(a.credentials());
        assertNull(exactOnly.decide("https://b.example"));
        assertNull(exactOnly.decide("https://A.example"), "compared byte for byte, as browsers serialise origins");
        assertNull(exactOnly.decide("null"));

        CorsPolicy withWildcard = CorsPolicy.of(List.of("*", "https://a.example"));
        assertTrue(withWildcard.decide("https://a.example").credentials());
        CorsPolicy.Decision other = withWildcard.decide("https://b.example");
        assertEquals("*", other.allowOrigin());
        assertFalse(other.credentials());

        assertNull(CorsPolicy.of(List.of()).decide("https://a.example"));
    }

    @Test
    void sameOriginComparesHostAndPortIgnoringSchemeAndDefaultPorts() {
        assertTrue(CorsHandler.isSameOrigin("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assertTrue(CorsHandler.isSameOrigin("https://Events.Example.com", "events.example.com"));
        assertTrue(CorsHandler.isSameOrigin("https://events.example.com", "events.example.com:443"));
        assertTrue(CorsHandler.isSameOrigin("http://events.example.com:80", "events.example.com"));
        assertFalse(CorsHandler.isSameOrigin("http://127.0.0.1:8081", "127.0.0.1:8080"));
        assertFalse(CorsHandler.isSameOrigin("https://evil.example", "events.example.com"));
        assertFalse(CorsHandler.isSameOrigin("https://events.example.com.evil.example", "events.example.com"));
        assertFalse(CorsHandler.isSameOrigin("null", "events.example.com"));
        assertFalse(CorsHandler.isSameOrigin("http://a.example", null));
    }
}
