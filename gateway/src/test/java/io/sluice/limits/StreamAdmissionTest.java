package io.sluice.limits;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.api.ApiError;
import io.sluice.auth.Principal;
import io.sluice.metrics.CountingMetrics;
import io.sluice.metrics.GatewayMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Admission of authenticated and anonymous streams at unit level: each stream is an {@link EmbeddedChannel}, the
 * principal is built by the test (the JWT policy that produces real ones is tested on its own), responses are read
 * as the {@link FullHttpResponse} objects written.
 */
class StreamAdmissionTest {
    private static final Principal ALICE = new Principal("alice", false);
    private static final Principal BOB = new Principal("bob", false);
    private static final Pattern RETRY_AND_COMMENT = Pattern.compile(
            "retry: ([0-9]+)\n: this node has the most streams it may hold open \\(maxConnections\\); retry later\n\n");

    private final CountingMetrics metrics = new CountingMetrics();
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void tearDown() {
        for (EmbeddedChannel ch : channels) {
            ch.finishAndReleaseAll();
        }
    }

    private ChannelHandlerContext newConnection() {
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        channels.add(ch);
        return ch.pipeline().firstContext();
    }

    private static FullHttpRequest streamRequest(String accept) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                "/v1/events/stream?topic=t");
        if (accept != null) {
            request.headers().set("Accept", accept);
        }
        return request;
    }

    private static FullHttpResponse response(ChannelHandlerContext ctx) {
        FullHttpResponse response = ((EmbeddedChannel) ctx.channel()).readOutbound();
        assertNotNull(response, "a response was written");
        return response;
    }

    private static String bodyOf(FullHttpResponse response) {
        try {
            return response.content().toString(StandardCharsets.UTF_8);
        } finally {
            response.release();
        }
    }

    private static int retryAfterSeconds(FullHttpResponse response) {
        return Integer.parseInt(response.headers().get("Retry-After"));
    }

    @Test
    void authenticatedUserIsLimitedBySubjectWhateverTheConnection() {
        StreamAdmission admission = new StreamAdmission(new ConnectionLimiter(10, 2), TrustedProxies.NONE, metrics, 3000);
        assertNotNull(admission.admit(newConnection(), streamRequest(null), ALICE));
        assertNotNull(admission.admit(newConnection(), streamRequest(null), ALICE));
        ChannelHandlerContext third = newConnection();
        assertNull(admission.admit(third, streamRequest("text/event-stream"), ALICE));
        FullHttpResponse refused = response(third);
        assertEquals(429, refused.status().code(), "429 even for an EventSource: retrying soon would not help");
        int retryAfter = retryAfterSeconds(refused);
        assertTrue(retryAfter >= 6 && retryAfter <= 12, "2-4 x reconnectMillis, in seconds: " + retryAfter);
        assertEquals("application/json", refused.headers().get("Content-Type"));
        assertEquals("{\"error\":{\"code\":\"too_many_connections\",\"message\":\"too many streams: at most 2 may be"
                + " open at once per user (maxConnectionsPerUser); close one before opening another\"}}", bodyOf(refused));
        assertTrue(third.channel().isOpen(), "a 429 keeps the connection");
        assertEquals(1, metrics.connectionsRejected(GatewayMetrics.REJECTED_MAX_CONNECTIONS_PER_USER));

        assertNotNull(admission.admit(newConnection(), streamRequest(null), BOB), "another user has their own count");
    }

    @Test
    void closingAStreamGivesItsSlotBack() {
        ConnectionLimiter limiter = new ConnectionLimiter(10, 1);
        StreamAdmission admission = new StreamAdmission(limiter, TrustedProxies.NONE, metrics, 3000);
        ChannelHandlerContext first = newConnection();
        assertNotNull(admission.admit(first, streamRequest(null), ALICE));
        assertEquals(1, limiter.open("user:alice"));
        first.channel().close();
        assertEquals(0, limiter.open());
        assertEquals(0, limiter.keys());
        assertNotNull(admission.admit(newConnection(), streamRequest(null), ALICE));
    }

    @Test
    void usersAndAnonymousAddressesNeverShareAKey() {
        StreamAdmission admission = new StreamAdmission(new ConnectionLimiter(10, 1), TrustedProxies.NONE, metrics, 3000);
        ChannelHandlerContext ctx = newConnection();
        HttpHeaders none = new DefaultHttpHeaders();
        assertEquals("user:alice", admission.keyOf(ALICE, ctx, none));
        assertEquals("addr:embedded", admission.keyOf(Principal.ANONYMOUS, ctx, none));
        assertEquals("user:embedded", admission.keyOf(new Principal("embedded", false), ctx, none));
    }

    @Test
    void globalLimitIs503ForPlainClientsAnd200RetryForEventSource() {
        StreamAdmission admission = new StreamAdmission(new ConnectionLimiter(1, 5), TrustedProxies.NONE, metrics, 3000);
        assertNotNull(admission.admit(newConnection(), streamRequest(null), ALICE));

        ChannelHandlerContext plain = newConnection();
        assertNull(admission.admit(plain, streamRequest("application/json"), BOB));
        FullHttpResponse unavailable = response(plain);
        assertEquals(503, unavailable.status().code());
        int retryAfter = retryAfterSeconds(unavailable);
        assertTrue(retryAfter >= 6 && retryAfter <= 12, "Retry-After " + retryAfter);
        assertEquals("close", unavailable.headers().get("Connection"));
        assertEquals("{\"error\":{\"code\":\"unavailable\",\"message\":\"this node has the most streams it may hold open"
                + " (maxConnections); retry later\"}}", bodyOf(unavailable));
        assertFalse(plain.channel().isOpen(), "a full node sheds the connection");

        ChannelHandlerContext browser = newConnection();
        assertNull(admission.admit(browser, streamRequest("text/event-stream"), BOB));
        FullHttpResponse retry = response(browser);
        assertEquals(200, retry.status().code());
        assertEquals("text/event-stream; charset=utf-8", retry.headers().get("Content-Type"));
        assertEquals("close", retry.headers().get("Connection"));
        String body = bodyOf(retry);
        Matcher m = RETRY_AND_COMMENT.matcher(body);
        assertTrue(m.matches(), body);
        int retryMillis = Integer.parseInt(m.group(1));
        assertTrue(retryMillis >= 6000 && retryMillis < 12000, "retry " + retryMillis);
        assertFalse(browser.channel().isOpen());

        assertEquals(2, metrics.connectionsRejected(GatewayMetrics.REJECTED_MAX_CONNECTIONS));
        assertEquals(0, metrics.connectionsRejected(GatewayMetrics.REJECTED_MAX_CONNECTIONS_PER_USER));
    }

    @Test
    void backoffIsJitteredWithAFloor() {
        StreamAdmission fast = new StreamAdmission(new ConnectionLimiter(1, 1), TrustedProxies.NONE, metrics, 100);
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (int i = 0; i < 2000; i++) {
            int b = fast.jitteredBackoffMillis();
            min = Math.min(min, b);
            max = Math.max(max, b);
        }
        assertTrue(min >= 1000 && max < 2000, min + ".." + max);
        assertTrue(max - min > 500, "spread out, not one value: " + min + ".." + max);
    }

    @Test
    void eventSourceIsRecognisedByItsAcceptMediaRange() {
        assertTrue(StreamAdmission.acceptsEventStream(headers("text/event-stream")));
        assertTrue(StreamAdmission.acceptsEventStream(headers("text/html, Text/Event-Stream;q=0.9")));
        assertFalse(StreamAdmission.acceptsEventStream(headers("application/json")));
        assertFalse(StreamAdmission.acceptsEventStream(headers("*/*")));
        assertFalse(StreamAdmission.acceptsEventStream(new DefaultHttpHeaders()));
    }

    @Test
    void rejectionReasonsAreTheFixedLabels() {
        assertEquals("unauthorized", StreamAdmission.rejectionReason(ApiError.UNAUTHORIZED));
        assertEquals("forbidden", StreamAdmission.rejectionReason(ApiError.FORBIDDEN));
        assertEquals("too_many_topics", StreamAdmission.rejectionReason(ApiError.TOO_MANY_TOPICS));
        assertEquals("invalid_request", StreamAdmission.rejectionReason(ApiError.INVALID_REQUEST));
        assertEquals("max_connections_per_user", StreamAdmission.rejectionReason(ApiError.TOO_MANY_CONNECTIONS));
        assertEquals("unavailable", StreamAdmission.rejectionReason(ApiError.UNAVAILABLE));
    }

    private static HttpHeaders headers(String accept) {
        return new DefaultHttpHeaders().add("Accept", accept);
    }
}
