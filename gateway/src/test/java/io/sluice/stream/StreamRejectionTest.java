package io.sluice.stream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.sluice.Endpoints;
import io.sluice.api.ApiError;
import io.sluice.api.ApiException;
import io.sluice.api.QueryParams;
import io.sluice.auth.AccessPolicy;
import io.sluice.auth.Principal;
import io.sluice.backplane.LocalBackplane;
import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import io.sluice.fanout.FanoutCore;
import io.sluice.http.PipelineNames;
import io.sluice.metrics.CountingMetrics;
import io.sluice.metrics.GatewayMetrics;
import io.sluice.presence.PresenceHub;
import io.sluice.presence.PresenceTopics;
import io.sluice.testing.IdleDashboard;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stream endpoint's refusals through the production pipeline on {@link EmbeddedChannel}s, with an access policy
 * owned by the test (a header names the user): every refusal is counted by reason, an admitted stream holds its
 * user's slot and leaves the HTTP handlers (timeouts included) behind, and no path leaks a slot.
 */
class StreamRejectionTest {
    /**
     * Test policy: {@code X-Test-User} authenticates, {@code X-Test-Bad} is a bad token, {@code X-Test-Keys-Loading} a
     * token that cannot be checked yet (503), {@code secret} is forbidden.
     */
    private static final AccessPolicy POLICY = new AccessPolicy() {
        @Override
        public Principal authenticate(HttpRequest request, QueryParams query) {
            if (request.headers().contains("X-Test-Bad")) {
                throw new ApiException(ApiError.UNAUTHORIZED, "token: invalid");
            }
            if (request.headers().contains("X-Test-Keys-Loading")) {
                throw new ApiException(ApiError.UNAVAILABLE, "token: keys not loaded yet",
                        r -> r.headers().set("Retry-After", 4));
            }
            String user = request.headers().get("X-Test-User");
            return user == null ? Principal.ANONYMOUS : new Principal(user, false);
        }

        @Override
        public void checkSubscribe(Principal principal, String topic) {
            if (topic.equals("secret")) {
                throw new ApiException(ApiError.FORBIDDEN, "topic: 'secret' is not yours");
            }
        }

        @Override
        public void checkPublish(Principal principal, String topic) {
        }

        @Override
        public boolean isOpen() {
            return false;
        }
    };

    private final CountingMetrics metrics = new CountingMetrics();
    private EmbeddedChannel loopChannel;
    private FanoutCore core;
    private Endpoints endpoints;

    @BeforeEach
    void setUp() {
        SluiceConfig config = ConfigLoader.load(new String[] {"--max-topics-per-connection=2",
            "--max-connections-per-user=1"}, Map.of()).config();
        loopChannel = new EmbeddedChannel();
        core = new FanoutCore(loopChannel.eventLoop(), config.historySize(), 1024, config.heartbeatInterval().toNanos(),
                metrics);
        LocalBackplane backplane = new LocalBackplane(core);
        endpoints = new Endpoints(config, core, POLICY, backplane, metrics, () -> null, () -> null,
                new DefaultChannelGroup(ImmediateEventExecutor.INSTANCE), IdleDashboard.on(loopChannel.eventLoop()),
                PresenceHub.start(PresenceTopics.of(List.of()), loopChannel.eventLoop(), PooledByteBufAllocator.DEFAULT,
                        backplane.control()));
        loopChannel.pipeline().addLast(endpoints.publicInitializer());
    }

    @AfterEach
    void tearDown() {
        loopChannel.close();
        readAll(loopChannel);
        assertFalse(loopChannel.finish());
        core.release();
        assertEquals(0, endpoints.connectionLimiter().open(), "every slot was released");
    }

    private static String readAll(EmbeddedChannel ch) {
        ch.runPendingTasks();
        StringBuilder out = new StringBuilder();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            if (o instanceof ByteBuf b) {
                out.append(b.toString(StandardCharsets.UTF_8));
            } else {
                out.append(o);
            }
            ReferenceCountUtil.release(o);
        }
        return out.toString();
    }

    private static String exchange(EmbeddedChannel ch, String query, String headers) {
        ch.writeInbound(Unpooled.copiedBuffer("GET /v1/events/stream?" + query + " HTTP/1.1\r\nHost: x\r\n" + headers
                + "\r\n", StandardCharsets.UTF_8));
        return readAll(ch);
    }

    /** A fresh connection through the production pipeline, closed (and its buffers released) by the test. */
    private EmbeddedChannel otherChannel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(endpoints.publicInitializer());
        return ch;
    }

    private static void assertStatus(int status, String response) {
        assertTrue(response.startsWith("HTTP/1.1 " + status + " "), response);
    }

    @Test
    void everyRefusalIsCountedByReason() {
        EmbeddedChannel ch = otherChannel();
        try {
            assertStatus(401, exchange(ch, "topic=a", "X-Test-Bad: 1\r\n"));
            assertStatus(403, exchange(ch, "topic=a&topic=secret", "X-Test-User: alice\r\n"));
            String tooMany = exchange(ch, "topic=a&topic=b&topic=c", "");
            assertStatus(400, tooMany);
            assertTrue(tooMany.endsWith("{\"error\":{\"code\":\"invalid_request\",\"message\":\"topic: 3 given, at most 2"
                    + " (maxTopicsPerConnection) per request\"}}"), tooMany);
            assertStatus(400, exchange(ch, "topic=bad%20topic", ""));
            assertTrue(ch.isOpen(), "a refused request keeps its connection");
        } finally {
            ch.finishAndReleaseAll();
        }
        assertEquals(1, metrics.connectionsRejected(GatewayMetrics.REJECTED_UNAUTHORIZED));
        assertEquals(1, metrics.connectionsRejected(GatewayMetrics.REJECTED_FORBIDDEN));
        assertEquals(1, metrics.connectionsRejected(GatewayMetrics.REJECTED_TOO_MANY_TOPICS));
        assertEquals(1, metrics.connectionsRejected(GatewayMetrics.REJECTED_INVALID_REQUEST));
        assertEquals(0, endpoints.connectionLimiter().open());
    }

    @Test
    void aTemporaryRefusalFromAuthenticationTellsAnEventSourceToRetry() {
        EmbeddedChannel eventSource = otherChannel();
        EmbeddedChannel other = otherChannel();
        try {
            String retry = exchange(eventSource, "topic=a", "X-Test-Keys-Loading: 1\r\nAccept: text/event-stream\r\n");
            assertStatus(200, retry);
            assertTrue(retry.contains("\r\n\r\nretry: "), retry);
            assertTrue(retry.endsWith(": token: keys not loaded yet\n\n"), retry);
            assertFalse(eventSource.isOpen(), "closed at once, as for any temporary refusal");

            String unavailable = exchange(other, "topic=a", "X-Test-Keys-Loading: 1\r\n");
            assertStatus(503, unavailable);
            assertTrue(unavailable.contains("\r\nretry-after: "), unavailable);
            assertTrue(unavailable.endsWith("{\"error\":{\"code\":\"unavailable\",\"message\":\"token: keys not loaded"
                    + " yet\"}}"), unavailable);
        } finally {
            eventSource.finishAndReleaseAll();
            other.finishAndReleaseAll();
        }
        assertEquals(2, metrics.connectionsRejected(GatewayMetrics.REJECTED_NOT_READY));
        assertEquals(0, metrics.connectionsRejected("unavailable"));
    }

    @Test
    void authenticatedStreamHoldsItsUsersSlotUntilItCloses() {
        String head = exchange(loopChannel, "topic=a", "X-Test-User: alice\r\n");
        assertStatus(200, head);
        assertEquals(List.of(PipelineNames.STREAM, PipelineNames.ACCESS_LOG, "DefaultChannelPipeline$TailContext#0"),
                loopChannel.pipeline().names(),
                "the request timeout handler left with the other HTTP handlers; only the access log stays, behind");
        assertEquals(1, endpoints.connectionLimiter().open("user:alice"));

        EmbeddedChannel second = otherChannel();
        try {
            String refused = exchange(second, "topic=a", "X-Test-User: alice\r\n");
            assertStatus(429, refused);
            assertTrue(refused.contains("\r\nretry-after: "), refused);
            assertEquals(1, metrics.connectionsRejected(GatewayMetrics.REJECTED_MAX_CONNECTIONS_PER_USER));
        } finally {
            second.finishAndReleaseAll();
        }

        loopChannel.close();
        assertEquals(0, endpoints.connectionLimiter().open("user:alice"));
    }

    @Test
    void streamThatFailsAfterTakingASlotGivesItBack() {
        // Served by another event loop than the fan-out's: subscribing fails after the slot was taken and the
        // connection became a stream, where no HTTP error can follow the 200 head any more: it closes.
        EmbeddedChannel foreign = otherChannel();
        try {
            String response = exchange(foreign, "topic=a", "X-Test-User: carol\r\n");
            assertFalse(response.contains("500"), response);
            assertFalse(foreign.isOpen());
            assertEquals(0, endpoints.connectionLimiter().open(), "the slot is released on the error path");
            assertEquals(0, endpoints.connectionLimiter().keys());
        } finally {
            foreign.finishAndReleaseAll();
        }
    }
}
