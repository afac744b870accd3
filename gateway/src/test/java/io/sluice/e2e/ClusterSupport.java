package io.sluice.e2e;

import io.sluice.testing.Await;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.RedisServer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Starting cluster-mode gateways on a test Redis and waiting for their backplane. Stateless. */
final class ClusterSupport {
    /** How long a node may take to connect and read the stream's retained window. */
    static final Duration READY = Duration.ofSeconds(10);

    private ClusterSupport() {
    }

    /** A gateway on {@code redis}, returned once it is ready (connected, the retained window read). */
    static GatewayFixture node(RedisServer redis, String... flags) {
        List<String> all = new ArrayList<>(List.of(redis.backplaneFlag()));
        all.addAll(List.of(flags));
        GatewayFixture node = GatewayFixture.start(all.toArray(new String[0]));
        try {
            awaitReady(node, READY);
            return node;
        } catch (RuntimeException | Error e) {
            node.close();
            throw e;
        }
    }

    /** Waits for {@code /readyz} on the main port to answer 200. */
    static void awaitReady(GatewayFixture node, Duration timeout) {
        Await.until(() -> HttpTestClient.get(GatewayFixture.HOST, node.port(), "/readyz").status() == 200, timeout,
                () -> "node on port " + node.port() + " to be ready (backplane " + node.server().backplane().describe()
                        + ", up=" + node.server().backplane().isUp() + ")");
    }

    /** Waits until the node's backplane reports down. */
    static void awaitDown(GatewayFixture node) {
        Await.until(() -> !node.server().backplane().isUp(), READY,
                () -> "the backplane of node on port " + node.port() + " to notice Redis is gone");
    }
}
