package io.sluice.backplane;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The control plane of a single node: a message goes to this node's listeners at once, on the caller's thread, and
 * there is no shared store. The node id is the start time in milliseconds, so a restarted node never reuses one
 * (unless the clock goes back by the restart's length, the same assumption its event ids make).
 */
final class LocalControlPlane implements ControlPlane {
    private final long nodeId = System.currentTimeMillis();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    @Override
    public long nodeId() {
        return nodeId;
    }

    @Override
    public boolean isShared() {
        return false;
    }

    @Override
    public String keyPrefix() {
        return "";
    }

    @Override
    public String channel() {
        return "";
    }

    @Override
    public CompletionStage<Void> broadcast(String message) {
        for (Listener listener : listeners) {
            listener.onMessage(message);
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<List<Object>> run(ControlScript script, List<String> keys, List<String> args) {
        throw new UnsupportedOperationException("a single node has no shared store to run " + script + " on");
    }

    @Override
    public void addListener(Listener listener) {
        listeners.add(listener);
    }
}
