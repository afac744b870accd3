package io.sluice.bench;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import io.sluice.presence.PresenceHub;
import io.sluice.presence.PresenceTopics;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.ArrayList;
import java.util.List;

/**
 * Presence's cost per stream (issue 14): {@value #STREAMS} streams, each of its own user, open on a topic and then
 * close, through the gateway's real {@link PresenceHub} on one event loop, the way {@code StreamService} calls it (each
 * stream also has its implicit {@code broadcast} and {@code user/<id>} topics, which are checked too). A score is one
 * stream's open plus close.
 * <ul>
 *   <li>{@code untracked}: the topic is not in {@code presenceTopics}: what every stream pays when presence is
 *       configured for other topics (one pattern check per topic);</li>
 *   <li>{@code tracked}: the topic is tracked and nobody watches: the counting (a join and a leave per user);</li>
 *   <li>{@code watched}: tracked, and {@value #WATCHERS} other streams watch it ({@code presence=true}): each join and
 *       leave is also encoded once and written to every watcher, onto {@link DiscardChannel}s through their real
 *       pipelines.</li>
 * </ul>
 * Single node: in cluster mode the counting is the same and each join or leave is also queued for Redis, off the loop.
 */
@State(Scope.Thread)
public class PresenceBenchmark extends HotPathBenchmark {
    static final int STREAMS = 10_000;
    static final int WATCHERS = 100;

    @Param({"untracked", "tracked", "watched"})
    String presence;

    private final PresenceHub.Member[] members = new PresenceHub.Member[STREAMS];
    private final List<List<String>> topicsOf = new ArrayList<>();
    private final List<String> users = new ArrayList<>();
    private final List<PresenceHub.Member> watching = new ArrayList<>();
    private LoopStreams streams;
    private EventLoop loop;
    private PresenceHub hub;

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        streams = new LoopStreams();
        loop = streams.loop();
        String pattern = presence.equals("untracked") ? "other/*" : "rooms/*";
        hub = new PresenceHub(PresenceTopics.of(List.of(pattern)), loop, PooledByteBufAllocator.DEFAULT);
        for (int i = 0; i < STREAMS; i++) {
            String user = "user-" + i;
            users.add(user);
            topicsOf.add(List.of("rooms/1", "broadcast", "user/" + user));
        }
        if (presence.equals("watched")) {
            for (int i = 0; i < WATCHERS; i++) {
                watching.add(hub.open(streams.subscribe("rooms/1"), loop, List.of("rooms/1"), "watcher-" + i, true));
            }
            streams.runPendingTasks();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        watching.forEach(PresenceHub.Member::close);
        streams.close();
    }

    @Benchmark
    @OperationsPerInvocation(STREAMS)
    public int openAndClose() {
        for (int i = 0; i < STREAMS; i++) {
            members[i] = hub.open(null, loop, topicsOf.get(i), users.get(i), false);
        }
        streams.runPendingTasks();
        int held = hub.entryCount();
        for (int i = 0; i < STREAMS; i++) {
            if (members[i] != null) {
                members[i].close();
            }
        }
        streams.runPendingTasks();
        return held;
    }
}
