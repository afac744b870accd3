package io.sluice.presence;

import io.netty.util.concurrent.DefaultEventExecutor;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.backplane.ControlPlane;
import io.sluice.backplane.ControlScript;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Presence across a cluster (CONTRACT §11), kept in Redis through the backplane's {@link ControlPlane}: no node talks
 * to another. {@code presence.lua} beside this class holds the model; in short:
 * <ul>
 *   <li>each node registers in a sorted set with a deadline it pushes forward every {@link #HEARTBEAT_MILLIS}
 *       ({@link #NODE_TTL_MILLIS} ahead), and keeps the set of tracked topics and users it holds a stream of, and its
 *       stream counts per topic;</li>
 *   <li>a node's flips ({@link PresenceHub}: its first stream of a user on a topic opened, its last closed) run as one
 *       script each batch: per topic and user Redis counts the nodes holding a stream, and publishes {@code J topic
 *       user} when that count leaves zero and {@code L topic user} when it returns to it. So "first stream" and "last
 *       stream" mean across the cluster, every join and leave is decided once, atomically, and every node hears them
 *       in the same order on the control channel, then tells its own watchers;</li>
 *   <li>every heartbeat also drops nodes whose deadline passed (a crashed node's users leave within
 *       {@link #NODE_TTL_MILLIS} plus a beat), and a stopping node drops itself at once;</li>
 *   <li>a node that reconnects, or learns it was dropped (a long pause), or failed to send a batch, syncs: it sends
 *       everything it holds and Redis announces only the differences;</li>
 *   <li>{@code GET /v1/presence} reads the users from Redis and sums the live nodes' counts, which are at most one
 *       heartbeat old.</li>
 * </ul>
 *
 * <p>Threading: flips and changed counts are queued by event loops (lock-free; never blocking them) and sent from one
 * thread of its own, {@code sluice-presence}, one script call in flight at a time, so they reach Redis in the order
 * they happened. Announcements arrive on the backplane's thread and go straight to the hub. Bounds: the queue holds the
 * flips made during one round trip to Redis (while Redis is unreachable they are dropped, and the sync that follows
 * the reconnect replaces them); a batch carries at most {@link #MAX_FLIPS_PER_CALL} flips.
 */
final class SharedPresence implements ControlPlane.Listener {
    private static final Logger log = LoggerFactory.getLogger(SharedPresence.class);
    /** How often a node tells Redis it is alive and sends its changed counts: the counts' staleness. */
    static final long HEARTBEAT_MILLIS = 1000;
    /** A node silent this long is dropped: its users leave. Several beats, so one slow beat is no crash. */
    static final long NODE_TTL_MILLIS = 4000;
    /** Flips per script call: bounds one call's time in Redis. */
    static final int MAX_FLIPS_PER_CALL = 500;
    private static final ControlScript SCRIPT = ControlScript.load(SharedPresence.class, "presence.lua");
    private static final long STOP_TIMEOUT_MILLIS = 2000;

    private final PresenceHub hub;
    private final ControlPlane control;
    private final String prefix;
    private final EventExecutor executor = new DefaultEventExecutor(new DefaultThreadFactory("sluice-presence", true));
    private final ConcurrentLinkedQueue<String[]> flips = new ConcurrentLinkedQueue<>();
    private final Set<String> dirtyCounts = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final ScheduledFuture<?> heartbeat;
    /** A call is out: the next waits for it. Executor only. */
    private boolean inFlight;
    /** Redis may disagree with this node: sync before sending more flips. Executor only. */
    private boolean needSync = true;

    private SharedPresence(PresenceHub hub, ControlPlane control) {
        this.hub = hub;
        this.control = control;
        this.prefix = control.keyPrefix() + "presence:";
        this.heartbeat = executor.scheduleWithFixedDelay(this::beat, HEARTBEAT_MILLIS, HEARTBEAT_MILLIS,
                TimeUnit.MILLISECONDS);
    }

    /**
     * Shares {@code hub}'s presence through {@code control} (cluster mode): once the hub holds the result its flips go
     * to Redis and its watchers hear the cluster's joins and leaves. Call before any stream opens.
     */
    static SharedPresence start(PresenceHub hub, ControlPlane control) {
        SharedPresence shared = new SharedPresence(hub, control);
        control.addListener(shared);
        return shared;
    }

    /** Under the topic's lock in the hub, on an event loop: queues the flip, never blocks. */
    void flip(String topic, String user, boolean joined) {
        flips.offer(new String[] {joined ? "+" : "-", topic, user});
        if (!flushScheduled.get() && flushScheduled.compareAndSet(false, true)) {
            executor.execute(this::flush);
        }
    }

    /** Under the topic's lock in the hub: the topic's counts go out with the next heartbeat. */
    void countsChanged(String topic) {
        dirtyCounts.add(topic);
    }

    /** The cluster's presence on {@code topic}, from Redis. Any thread. */
    CompletionStage<PresenceCount> query(String topic) {
        List<String> args = args("query", topic, Integer.toString(PresenceCount.MAX_USERS));
        return control.run(SCRIPT, List.of(), args).thenApply(reply -> {
            List<String> users = new ArrayList<>(reply.size() - 2);
            for (int i = 2; i < reply.size(); i++) {
                users.add((String) reply.get(i));
            }
            return new PresenceCount(topic, (Long) reply.get(0), users, (Long) reply.get(1));
        });
    }

    /** Backplane thread: an announcement ({@code J topic user}, {@code L topic user}) or another plane message. */
    @Override
    public void onMessage(String message) {
        if (message.length() < 5 || message.charAt(1) != ' ' || (message.charAt(0) != 'J' && message.charAt(0) != 'L')) {
            return;
        }
        int space = message.indexOf(' ', 2);
        if (space < 0) {
            return;
        }
        hub.announce(message.substring(2, space), message.substring(space + 1), message.charAt(0) == 'J');
    }

    @Override
    public void onConnected() {
        executor.execute(() -> {
            needSync = true;
            sendNext();
        });
    }

    /** Executor. */
    private void flush() {
        flushScheduled.set(false);
        sendNext();
    }

    /** Executor. Sends a sync if one is owed, else the next batch of flips; one call at a time. */
    private void sendNext() {
        if (inFlight) {
            return;
        }
        if (needSync) {
            sync();
            return;
        }
        if (flips.isEmpty()) {
            return;
        }
        List<String> args = args("flips", Long.toString(control.nodeId()));
        String[] flip;
        for (int n = 0; n < MAX_FLIPS_PER_CALL && (flip = flips.poll()) != null; n++) {
            args.add(flip[0]);
            args.add(flip[1]);
            args.add(flip[2]);
        }
        send(args);
    }

    /**
     * Executor. Everything this node holds, so Redis agrees with it. Flips queued so far are dropped first: the
     * state read after that includes them (a flip queued while it is read may be sent again, which changes nothing).
     */
    private void sync() {
        flips.clear();
        dirtyCounts.clear();
        List<String> members = new ArrayList<>();
        List<String> counts = new ArrayList<>();
        hub.forEach((topic, user) -> {
            members.add(topic);
            members.add(user);
        }, (topic, c) -> {
            counts.add(topic);
            counts.add(c[0] + " " + c[1]);
        });
        List<String> args = args("sync", Long.toString(control.nodeId()), Long.toString(NODE_TTL_MILLIS),
                Integer.toString(members.size() / 2));
        args.addAll(members);
        args.addAll(counts);
        needSync = false;
        send(args);
    }

    /** Executor. One call; when it completes, the next. A failure (Redis away, a timeout) owes a sync. */
    private void send(List<String> args) {
        inFlight = true;
        control.run(SCRIPT, List.of(), args).whenCompleteAsync((reply, failure) -> {
            inFlight = false;
            if (failure != null) {
                log.debug("presence {} not applied ({}); syncing once Redis answers", args.get(0), failure.toString());
                needSync = true;
                return; // the next heartbeat tries again
            }
            if (Long.valueOf(1).equals(reply.get(0))) {
                needSync = true;
            }
            sendNext();
        }, executor);
    }

    /** Executor, every {@link #HEARTBEAT_MILLIS}: keeps this node alive, sends changed counts, drops dead nodes. */
    private void beat() {
        if (needSync) {
            sendNext();
            return;
        }
        List<String> args = args("beat", Long.toString(control.nodeId()), Long.toString(NODE_TTL_MILLIS));
        for (String topic : dirtyCounts) {
            dirtyCounts.remove(topic);
            long[] c = hub.counts(topic);
            args.add(topic);
            args.add(c[0] + " " + c[1]);
        }
        control.run(SCRIPT, List.of(), args).whenCompleteAsync((reply, failure) -> {
            if (failure != null || Long.valueOf(1).equals(reply.get(0))) {
                needSync = true;
                sendNext();
            }
        }, executor);
    }

    /**
     * Stops: this node's users leave now (rather than when its deadline passes), then the thread ends. Blocks for at
     * most a few seconds; call once the node's streams are closed, before the backplane closes.
     */
    void stop() {
        heartbeat.cancel(false);
        try {
            control.run(SCRIPT, List.of(), args("drop", Long.toString(control.nodeId())))
                    .toCompletableFuture().get(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.debug("presence of this node not dropped from Redis ({}); it expires instead", e.toString());
        }
        executor.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
    }

    private List<String> args(String op, String... rest) {
        List<String> args = new ArrayList<>(List.of(op, prefix, control.channel()));
        args.addAll(List.of(rest));
        return args;
    }
}
