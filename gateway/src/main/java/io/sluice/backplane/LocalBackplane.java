package io.sluice.backplane;

import io.sluice.fanout.CommitResult;
import io.sluice.fanout.EncodedEvent;
import io.sluice.fanout.FanoutCore;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The in-process backplane: a publish commits straight into this node's fan-out, synchronously. Refuses a
 * batch only when a fan-out queue is full (an event loop far behind) or when history could not hold it even empty
 * ({@code historyMaxBytes}), which the caller answers with 503.
 */
public final class LocalBackplane implements Backplane {
    private final FanoutCore fanout;
    private final LocalControlPlane control = new LocalControlPlane();

    public LocalBackplane(FanoutCore fanout) {
        this.fanout = fanout;
    }

    @Override
    public CompletionStage<CommitResult> publish(List<EncodedEvent> batch) {
        if (!fanout.historyCanHold(batch)) {
            batch.forEach(EncodedEvent::release);
            return CompletableFuture.failedFuture(new BackplaneUnavailableException(
                    "the batch is larger than historyMaxBytes lets this node hold; publish it in smaller batches"));
        }
        CommitResult result = fanout.commit(batch);
        if (result == null) {
            batch.forEach(EncodedEvent::release);
            return CompletableFuture.failedFuture(new BackplaneUnavailableException(
                    "fan-out queues are full; retry shortly"));
        }
        return CompletableFuture.completedFuture(result);
    }

    @Override
    public boolean isUp() {
        return true;
    }

    @Override
    public ControlPlane control() {
        return control;
    }

    @Override
    public String describe() {
        return "local";
    }

    @Override
    public void close() {
        // nothing outside the fan-out, which the server releases
    }
}
