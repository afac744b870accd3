package io.sluice.http;

import io.netty.handler.codec.http.HttpMethod;
import io.sluice.http.RequestRouter.Route;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Route patterns: exact paths, and one parameter segment in the middle or at the end of the pattern. */
class RequestRouterTest {
    private static final RequestRouter.RouteHandler NONE = (ctx, request, query, parameter) -> { };

    @Test
    void exactRouteMatchesOnlyItsPath() {
        Route route = new Route("/v1/publish", HttpMethod.POST, NONE);
        assertTrue(route.matches("/v1/publish"));
        assertFalse(route.matches("/v1/publish/"));
        assertFalse(route.matches("/v1/publis"));
        assertNull(route.pathParameter("/v1/publish"));
    }

    @Test
    void parameterInTheMiddleMatchesOneNonEmptySegment() {
        Route route = new Route("/v1/users/{userId}/events", HttpMethod.POST, NONE);
        assertTrue(route.matches("/v1/users/alice/events"));
        assertEquals("alice", route.pathParameter("/v1/users/alice/events"));
        assertFalse(route.matches("/v1/users//events"));
        assertFalse(route.matches("/v1/users/a/b/events"));
        assertFalse(route.matches("/v1/users/alice/event"));
        assertFalse(route.matches("/v1/users/alice"));
    }

    @Test
    void parameterAtTheEndMatchesOneNonEmptySegment() {
        Route route = new Route("/v1/connections/{connectionId}", HttpMethod.GET, NONE);
        assertTrue(route.matches("/v1/connections/1x9k2-1"));
        assertEquals("1x9k2-1", route.pathParameter("/v1/connections/1x9k2-1"));
        assertFalse(route.matches("/v1/connections/"));
        assertFalse(route.matches("/v1/connections"));
        assertFalse(route.matches("/v1/connections/a/events"));
        assertFalse(route.matches("/v1/connectionsx/a"));
    }
}
