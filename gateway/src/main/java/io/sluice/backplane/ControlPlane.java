package io.sluice.backplane;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * What nodes tell each other besides events: commands every node acts on (a user's disconnect), presence
 * announcements, and the scripts presence keeps its shared state with (CONTRACT §11). It goes through the backplane
 * only, never from node to node: in cluster mode one Redis pub/sub channel and scripts on Redis; on a single node
 * nothing leaves the process.
 *
 * <p>Delivery: Redis pub/sub, at most once. A node that is not connected when a message is sent never receives it,
 * not even later, so a command is acted on only by the nodes that were there to hear it. Every listener of every
 * connected node gets the messages in one order, the order Redis published them in (scripts included).
 *
 * <p>Threading: every method may be called from any thread and never blocks. Listeners are called on a backplane
 * thread, one message at a time; they must hand work off (to an event loop) and never block.
 */
public interface ControlPlane {

    /**
     * This node's id: never the same for two nodes of a deployment, nor for two runs of one node (so the connection
     * ids built on it never repeat). Cluster mode: from Redis, at least Redis's clock in milliseconds and above every
     * id handed out before; a single node: its start time in milliseconds. 0 until known (cluster mode: the backplane
     * has not connected yet, and then nothing that needs it runs, since the node is not ready).
     */
    long nodeId();

    /** Whether other nodes share this plane (cluster mode). */
    boolean isShared();

    /** Prefix for the keys of state kept on the shared store, such as {@code sluice:events:}. */
    String keyPrefix();

    /** The channel {@link #broadcast} publishes on, for scripts that publish to the same listeners. */
    String channel();

    /**
     * Sends {@code message} to the listeners of every node, this one's included.
     *
     * @return completes once the message is out (cluster: Redis took it); fails with
     *         {@link BackplaneUnavailableException} while the backplane is down
     */
    CompletionStage<Void> broadcast(String message);

    /**
     * Runs {@code script} on the shared store (cluster mode only): atomic, in the order of the calls. Bulk strings in
     * the reply come back as {@link String}s (UTF-8), integers as {@link Long}s, arrays as lists of these.
     *
     * @return the script's reply; fails with {@link BackplaneUnavailableException} while the backplane is down
     * @throws UnsupportedOperationException on a single node, which has no shared store
     */
    CompletionStage<List<Object>> run(ControlScript script, List<String> keys, List<String> args);

    /** Adds a listener for the rest of the node's life. */
    void addListener(Listener listener);

    /** Receives what {@link #broadcast} and scripts publish. */
    interface Listener {
        /** One message, in the order Redis published them. Hand work off; never block. */
        void onMessage(String message);

        /**
         * The node has just (re)connected to the shared store, its subscription in place: whatever this node keeps
         * there may have been lost or dropped while it was away. Called on the backplane's thread.
         */
        default void onConnected() {
        }
    }
}
