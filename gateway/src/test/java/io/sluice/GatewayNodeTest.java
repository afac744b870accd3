package io.sluice;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.sluice.auth.AccessPolicies;
import io.sluice.auth.OpenAccessPolicy;
import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import io.sluice.testing.Await;
import io.sluice.testing.EmbeddedHttp;
import io.sluice.testing.JwksServer;
import io.sluice.testing.TestTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A whole node assembled by {@link GatewayNode} on an embedded event loop, with no socket: its public initializer
 * serves a stream and a publish, its readiness follows draining, and its two-half stop releases everything.
 */
class GatewayNodeTest {
    /** Its event loop is the node's only loop; it serves the stream (a stream must be on a fan-out loop). */
    private EmbeddedChannel loop;
    private GatewayNode node;

    @BeforeEach
    void setUp() {
        SluiceConfig config = ConfigLoader.load(new String[] {"--dev-clock=false"}, Map.of()).config();
        loop = new EmbeddedChannel();
        node = GatewayNode.assemble(config, OpenAccessPolicy.INSTANCE, loop.eventLoop(), loop.eventLoop(),
                new DefaultChannelGroup(ImmediateEventExecutor.INSTANCE));
    }

    @AfterEach
    void tearDown() {
        node.stopProducers();
        loop.runPendingTasks();
        loop.finishAndReleaseAll();
        node.release();
    }

    @Test
    void servesAStreamAndAPublishOnTheLoopsItWasGiven() {
        EmbeddedChannel stream = loop;
        stream.pipeline().addLast(node.publicInitializer());
        EmbeddedChannel publisher = newHttpChannel();
        try {
            String head = EmbeddedHttp.exchange(stream, "GET /v1/events/stream?topic=t HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(head.startsWith("HTTP/1.1 200 OK\r\n"), head);
            String body = "{\"topic\":\"t\",\"data\":\"hello\"}";
            String answer = EmbeddedHttp.exchange(publisher, "POST /v1/publish HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            assertTrue(answer.endsWith("\"sent\":1}"), answer);
            loop.runPendingTasks();
            String event = EmbeddedHttp.readAll(stream);
            assertTrue(event.matches("id: \\d+\ndata: hello\n\n"), event);
            assertEquals(1, node.metrics().delivered());
        } finally {
            stream.close();
            EmbeddedHttp.readAll(stream);
            publisher.finishAndReleaseAll();
        }
    }

    @Test
    void drainingMakesTheNodeNotReady() {
        assertTrue(node.isReady());
        node.startDraining();
        assertFalse(node.isReady());
        assertEquals("draining", node.notReadyReason());
        EmbeddedChannel probe = newHttpChannel();
        try {
            String answer = EmbeddedHttp.exchange(probe, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 503 "), answer);
        } finally {
            probe.finishAndReleaseAll();
        }
    }

    @Test
    void aJwkSetNotLoadedYetMakesTheNodeNotReadyWithoutRefusingStreams() {
        try (JwksServer idp = JwksServer.start()) { // answers 503 until told otherwise
            SluiceConfig config = ConfigLoader.load(new String[] {"--dev-clock=false", "--jwks-url=" + idp.url(),
                "--jwks-refresh-interval=1s"}, Map.of()).config();
            EmbeddedChannel jwksLoop = new EmbeddedChannel();
            GatewayNode jwksNode = GatewayNode.assemble(config, AccessPolicies.fromConfig(config), jwksLoop.eventLoop(),
                    jwksLoop.eventLoop(), new DefaultChannelGroup(ImmediateEventExecutor.INSTANCE));
            EmbeddedChannel probe = new EmbeddedChannel(jwksNode.publicInitializer());
            try {
                idp.awaitRequests(1, Duration.ofSeconds(10));
                assertEquals("the JWK set of jwksUrl is not loaded yet", jwksNode.notReadyReason());
                assertNull(jwksNode.streamRefusalReason(), "streams that need no token are still served");
                String answer = EmbeddedHttp.exchange(probe, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
                assertTrue(answer.startsWith("HTTP/1.1 503 "), answer);
                assertTrue(answer.endsWith("\"not ready: the JWK set of jwksUrl is not loaded yet\"}}"), answer);

                idp.serve(TestTokens.jwk(TestTokens.ec("secp256r1"), "k1"));
                Await.until(jwksNode::isReady, Duration.ofSeconds(10), "ready once the set is loaded");
                jwksNode.startDraining();
                assertEquals("draining", jwksNode.notReadyReason());
                assertEquals("draining", jwksNode.streamRefusalReason());
            } finally {
                probe.finishAndReleaseAll();
                jwksNode.stopProducers();
                jwksLoop.runPendingTasks();
                jwksLoop.finishAndReleaseAll();
                jwksNode.release();
            }
        }
    }

    private EmbeddedChannel newHttpChannel() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast(node.publicInitializer());
        return channel;
    }
}
