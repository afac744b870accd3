package io.sluice.backplane;

import io.sluice.fanout.CommitResult;
import io.sluice.fanout.EncodedEvent;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Where accepted events go before they reach streams. In-process by default ({@link LocalBackplane});
 * cluster mode puts a shared log (Redis Streams) behind this seam, whose reader feeds the same fan-out.
 *
 * <p>Contract: an event is accepted only when the returned stage completes normally; it then reaches every
 * matching stream on every node (or those streams are told {@code reset} or disconnected to resume from
 * history). A stage that completes exceptionally with {@link BackplaneUnavailableException} means nothing of
 * the batch was accepted.
 */
public interface Backplane extends AutoCloseable {

    /**
     * Publishes a validated batch, all or nothing. Takes ownership of every event's frame in every outcome.
     * Called on the publishing channel's event loop; must not block it.
     */
    CompletionStage<CommitResult> publish(List<EncodedEvent> batch);

    /** Whether publishes can currently be accepted (drives {@code /readyz} in cluster mode). */
    boolean isUp();

    /** What nodes tell each other besides events (CONTRACT §11): commands, presence, the node's id. */
    ControlPlane control();

    /** A short description for the start-up log, e.g. {@code local}. */
    String describe();

    @Override
    void close();
}
