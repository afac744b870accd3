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
}
