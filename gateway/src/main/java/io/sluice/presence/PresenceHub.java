package io.sluice.presence;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.sluice.api.Json;
import io.sluice.backplane.ControlPlane;
import io.sluice.fanout.Membership;
import io.sluice.fanout.Subscriber;
import io.sluice.fanout.SubscriberList;
import io.sluice.sse.SseFrames;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * This node's presence (CONTRACT §11): for each tracked topic ({@code presenceTopics}) with a stream here, its
 * streams, its anonymous streams, each authenticated user's streams, and the streams that asked for presence events
 * ({@code presence=true}, the watchers), per event loop. Kept here, apart from the fan-out's topics (which come and
 * go with their history), and only for tracked topics: a stream pays one pattern check per topic, and nothing more
 * unless one of them is tracked.
 *
 * <p>Join and leave: when a user's first stream on a topic opens on this node, or their last one closes, that is a
 * <em>flip</em>. On a single node a flip is the user's first or last stream on the topic anywhere, and it is announced
 * at once ({@code presence:join} / {@code presence:leave}) to the topic's watchers. In cluster mode the flip goes to
 * the {@link SharedPresence} instead, which announces a join or leave only when the user's first stream opens or last
 * closes across every node, and every node's hub then {@link #announce}s it to its own watchers, in the one order
 * Redis published them in. Anonymous streams are counted, never announced.
 *
 * <p>Threading: each topic's state is changed under its map entry's lock ({@code compute}), on the event loop of the
 * stream that opens or closes; that lock also orders announcements, which are handed to each watching loop with
 * {@code EventLoop.execute} while it is held, so every watcher sees one topic's joins and leaves in one order. The
 * watchers of a topic on loop {@code i} are touched only on loop {@code i} (added and removed as its streams open and
 * close, walked by the announcement tasks), like the fan-out's subscriber lists.
 *
 * <p>Bound: an entry exists only while a stream holds it: per tracked topic with a stream here, and per tracked topic
 * and user with a stream here. So presence memory is at most streams × their tracked topics
 * ({@code maxConnections × maxTopicsPerConnection}), and falls back to nothing when those streams close; the gauges
 * {@code sluice_presence_topics} and {@code sluice_presence_entries} show it.
 */
public final class PresenceHub {
    static final String JOIN = "presence:join";
    static final String LEAVE = "presence:leave";

    private final PresenceTopics tracked;
    private final EventExecutor[] loops;
    private final Map<EventExecutor, Integer> loopIndex = new IdentityHashMap<>();
    private final ByteBufAllocator alloc;
    private final ConcurrentHashMap<String, TopicState> topics = new ConcurrentHashMap<>();
    /** Users held per topic, summed: the entries gauge. */
    private final AtomicInteger userEntries = new AtomicInteger();
    /** Cluster mode: where flips go and counts come from; null on a single node. Set once, before streams open. */
    private volatile SharedPresence shared;

    /**
     * @param loops the event loops streams run on
     * @param alloc allocates the announcement frames
     */
    public PresenceHub(PresenceTopics tracked, EventExecutorGroup loops, ByteBufAllocator alloc) {
        this.tracked = tracked;
        this.alloc = alloc;
        List<EventExecutor> list = new ArrayList<>();
        for (EventExecutor loop : loops) {
            loopIndex.put(loop, list.size());
            list.add(loop);
        }
        this.loops = list.toArray(new EventExecutor[0]);
    }

    /**
     * A hub for a node whose backplane has {@code control}: in cluster mode, with tracked topics, its presence is shared
     * with the other nodes ({@link SharedPresence}, a thread of its own); otherwise it stays in this process. Call
     * before any stream opens; {@link #stop()} it before the backplane closes.
     */
    public static PresenceHub start(PresenceTopics tracked, EventExecutorGroup loops, ByteBufAllocator alloc,
                                    ControlPlane control) {
        PresenceHub hub = new PresenceHub(tracked, loops, alloc);
        if (control.isShared() && !tracked.isEmpty()) {
            hub.shared = SharedPresence.start(hub, control);
        }
        return hub;
    }

    /** Cluster mode: this node's users leave now, and sharing stops. Once the node's streams are closed. */
    public void stop() {
        SharedPresence cluster = shared;
        if (cluster != null) {
            cluster.stop();
        }
    }

    public PresenceTopics tracked() {
        return tracked;
    }

    /**
     * A stream opened: counts it on each of its tracked topics and, if it asked, makes it a watcher of them. Call on
     * the stream's event loop once it is subscribed.
     *
     * @param topicNames every topic of the stream, implicit ones included
     * @param user the authenticated user, or null for an anonymous stream
     * @param watch whether the stream asked for presence events ({@code presence=true})
     * @return what to {@link Member#close()} when the stream ends, or null when none of its topics is tracked (then
     *         nothing was done beyond one pattern check per topic)
     */
    public Member open(Subscriber subscriber, EventExecutor loop, List<String> topicNames, String user, boolean watch) {
        if (tracked.isEmpty()) {
            return null;
        }
        String[] mine = null;
        int n = 0;
        for (int i = 0; i < topicNames.size(); i++) {
            String topic = topicNames.get(i);
            if (tracked.matches(topic)) {
                if (mine == null) {
                    mine = new String[topicNames.size() - i];
                }
                mine[n++] = topic;
            }
        }
        if (mine == null) {
            return null;
        }
        Integer index = loopIndex.get(loop);
        if (index == null) {
            throw new IllegalStateException("stream is not on one of the presence hub's event loops");
        }
        Member member = new Member(this, Arrays.copyOf(mine, n), user, index, watch ? subscriber : null);
        for (int i = 0; i < member.topics.length; i++) {
            int which = i;
            topics.compute(member.topics[i], (name, state) -> {
                TopicState s = state != null ? state : new TopicState(loops.length);
                join(name, s, member, which);
                return s;
            });
        }
        return member;
    }

    /** A stream ended; see {@link Member#close()}. */
    private void close(Member member) {
        for (int i = 0; i < member.topics.length; i++) {
            int which = i;
            topics.computeIfPresent(member.topics[i], (name, state) -> {
                leave(name, state, member, which);
                return state.connections == 0 ? null : state;
            });
        }
    }

    /** Under {@code topic}'s entry lock; {@code topic} is the member's {@code which}-th. */
    private void join(String topic, TopicState state, Member member, int which) {
        if (member.watcher != null) {
            if (state.watchers[member.loop] == null) {
                state.watchers[member.loop] = new SubscriberList();
            }
            member.watching[which] = state.watchers[member.loop].add(member.watcher);
            state.watcherCounts[member.loop]++;
        }
        state.connections++;
        if (member.user == null) {
            state.anonymous++;
        } else {
            int[] streams = state.users.get(member.user);
            if (streams == null) {
                state.users.put(member.user, new int[] {1});
                userEntries.incrementAndGet();
                flip(topic, state, member.user, true);
            } else {
                streams[0]++;
            }
        }
        countsChanged(topic);
    }

    /**
     * Under {@code topic}'s entry lock; {@code topic} is the member's {@code which}-th. The stream stops watching first:
     * it does not hear its own leave.
     */
    private void leave(String topic, TopicState state, Member member, int which) {
        if (member.watcher != null) {
            state.watchers[member.loop].remove(member.watching[which]);
            state.watcherCounts[member.loop]--;
        }
        state.connections--;
        if (member.user == null) {
            state.anonymous--;
        } else {
            int[] streams = state.users.get(member.user);
            if (--streams[0] == 0) {
                state.users.remove(member.user);
                userEntries.decrementAndGet();
                flip(topic, state, member.user, false);
            }
        }
        countsChanged(topic);
    }

    /** Under {@code topic}'s entry lock: the user's first stream on it opened here, or their last one here closed. */
    private void flip(String topic, TopicState state, String user, boolean joined) {
        SharedPresence cluster = shared;
        if (cluster == null) {
            dispatch(topic, state, user, joined);
        } else {
            cluster.flip(topic, user, joined);
        }
    }

    private void countsChanged(String topic) {
        SharedPresence cluster = shared;
        if (cluster != null) {
            cluster.countsChanged(topic);
        }
    }

    /**
     * Cluster mode: {@code user} joined or left {@code topic} across the cluster; tells this node's watchers. Called
     * in the order the announcements were published (one backplane thread).
     */
    void announce(String topic, String user, boolean joined) {
        topics.computeIfPresent(topic, (name, state) -> {
            dispatch(name, state, user, joined);
            return state;
        });
    }

    /**
     * Under {@code topic}'s entry lock: hands the announcement to every loop with watchers of the topic. One frame,
     * encoded once; each loop gets a reference and writes a retained duplicate to each of its watchers.
     */
    private void dispatch(String topic, TopicState state, String user, boolean joined) {
        ByteBuf frame = null;
        for (int i = 0; i < loops.length; i++) {
            if (state.watcherCounts[i] == 0) {
                continue;
            }
            if (frame == null) {
                frame = frame(topic, user, joined);
            }
            SubscriberList watchers = state.watchers[i];
            ByteBuf reference = frame.retain();
            try {
                loops[i].execute(() -> deliver(watchers, reference));
            } catch (RejectedExecutionException stopping) {
                reference.release();
            }
        }
        if (frame != null) {
            frame.release();
        }
    }

    /** On the watchers' loop. Takes over one reference to {@code frame}. */
    private static void deliver(SubscriberList watchers, ByteBuf frame) {
        try {
            for (int i = watchers.size() - 1; i >= 0; i--) {
                watchers.get(i).writeSystemEvent(frame.retainedDuplicate());
            }
        } finally {
            frame.release();
        }
    }

    /** {@code event: presence:join|leave} with {@code data: {"topic":…,"user":…}}, no id. */
    private ByteBuf frame(String topic, String user, boolean joined) {
        String json = Json.writeString(g -> {
            g.writeStartObject();
            g.writeStringField("topic", topic);
            g.writeStringField("user", user);
            g.writeEndObject();
        });
        return SseFrames.systemEvent(alloc, joined ? JOIN : LEAVE, json);
    }

    /**
     * {@code GET /v1/presence} for {@code topic}: this node's count on a single node, the cluster's in cluster mode
     * (from Redis). Any thread.
     */
    public CompletionStage<PresenceCount> query(String topic) {
        if (!tracked.matches(topic)) {
            return CompletableFuture.completedFuture(PresenceCount.none(topic));
        }
        SharedPresence cluster = shared;
        return cluster != null ? cluster.query(topic) : CompletableFuture.completedFuture(local(topic));
    }

    /** This node's count for {@code topic}: zeros when it has no stream on it. Any thread. */
    public PresenceCount local(String topic) {
        PresenceCount[] count = {PresenceCount.none(topic)};
        topics.computeIfPresent(topic, (name, state) -> {
            count[0] = state.count(name);
            return state;
        });
        return count[0];
    }

    /**
     * This node's {@code n} tracked topics with the most streams, most first (the dashboard). Any thread; walks the
     * tracked topics, one lock at a time.
     */
    public List<TopicPresence> top(int n) {
        List<TopicPresence> all = new ArrayList<>();
        for (String topic : topics.keySet()) {
            topics.computeIfPresent(topic, (name, state) -> {
                all.add(new TopicPresence(name, state.connections, state.users.size(), state.anonymous));
                return state;
            });
        }
        all.sort(Comparator.comparingLong(TopicPresence::connections).reversed().thenComparing(TopicPresence::topic));
        return all.size() > n ? List.copyOf(all.subList(0, n)) : all;
    }

    /** A tracked topic on this node: its streams, distinct users and anonymous streams. */
    public record TopicPresence(String topic, long connections, int users, long anonymous) {
    }

    /**
     * Calls {@code user} with every tracked topic and user this node holds a stream of, and {@code counts} with every
     * tracked topic and its {@code [connections, anonymous]}: what {@link SharedPresence} puts in Redis on (re)connect.
     * Each topic is read under its lock; the whole is not one moment's view.
     */
    void forEach(BiConsumer<String, String> user, BiConsumer<String, long[]> counts) {
        for (String topic : topics.keySet()) {
            topics.computeIfPresent(topic, (name, state) -> {
                for (String u : state.users.keySet()) {
                    user.accept(name, u);
                }
                counts.accept(name, new long[] {state.connections, state.anonymous});
                return state;
            });
        }
    }

    /** {@code [connections, anonymous]} of {@code topic} on this node; zeros without a stream. Any thread. */
    long[] counts(String topic) {
        long[][] counts = {{0, 0}};
        topics.computeIfPresent(topic, (name, state) -> {
            counts[0] = new long[] {state.connections, state.anonymous};
            return state;
        });
        return counts[0];
    }

    /** Tracked topics with a stream on this node (a gauge). Any thread. */
    public int topicCount() {
        return topics.size();
    }

    /** Presence entries this node holds: one per tracked topic, one per tracked topic and user (a gauge). */
    public int entryCount() {
        return topics.size() + userEntries.get();
    }

    /** One stream's part in presence: its tracked topics. Confined to the stream's event loop. */
    public static final class Member {
        private final PresenceHub hub;
        private final String[] topics;
        private final String user;
        private final int loop;
        /** The stream, when it watches (presence=true); else null. */
        private final Subscriber watcher;
        /** When it watches: its place in each of its topics' watcher lists, in the order of {@link #topics}. */
        private final Membership[] watching;
        private boolean closed;

        private Member(PresenceHub hub, String[] topics, String user, int loop, Subscriber watcher) {
            this.hub = hub;
            this.topics = topics;
            this.user = user;
            this.loop = loop;
            this.watcher = watcher;
            this.watching = watcher == null ? null : new Membership[topics.length];
        }


        /** The stream ended: it stops watching, and it is no longer counted. Idempotent; on the stream's loop. */
        public void close() {
            if (!closed) {
                closed = true;
                hub.close(this);
            }
        }
    }

    /** One tracked topic on this node. Guarded by the topic's map entry, except as the class comment says. */
    private static final class TopicState {
        /** User → streams on this node; sorted, so an answer lists the first users without sorting them all. */
        final TreeMap<String, int[]> users = new TreeMap<>();
        int connections;
        int anonymous;
        /**
         * Per loop: the watchers on that loop, or null before its first; each list is changed only on its loop (under
         * the entry lock) and walked only there.
         */
        final SubscriberList[] watchers;
        /** Per loop: how many watchers that loop has. */
        final int[] watcherCounts;

        TopicState(int loopCount) {
            watchers = new SubscriberList[loopCount];
            watcherCounts = new int[loopCount];
        }

        PresenceCount count(String topic) {
            List<String> first = new ArrayList<>(Math.min(users.size(), PresenceCount.MAX_USERS));
            for (String user : users.keySet()) {
                if (first.size() == PresenceCount.MAX_USERS) {
                    break;
                }
                first.add(user);
            }
            return new PresenceCount(topic, connections, first, anonymous);
        }
    }
}
