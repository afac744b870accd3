package io.sluice.presence;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.sluice.fanout.FanoutCore;
import io.sluice.fanout.ReplayStart;
import io.sluice.fanout.Subscriber;
import io.sluice.fanout.Topic;
import io.sluice.fanout.TypeFilter;
import io.sluice.metrics.CountingMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node's presence on one event loop: what is counted, when a join or leave is announced, the exact frames a
 * watcher gets, and that nothing is left once the streams close. One watching stream is a real subscriber on an
 * {@link EmbeddedChannel}; the other streams only count (they do not watch).
 */
class PresenceHubTest {
    private final CountingMetrics metrics = new CountingMetrics();
    private EmbeddedChannel channel;
    private ChannelHandlerContext ctx;
    private FanoutCore core;
    private PresenceHub hub;

    @BeforeEach
    void setUp() {
        channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext c) {
                ctx = c;
            }
        });
        core = new FanoutCore(channel.eventLoop(), 10, 1024, TimeUnit.HOURS.toNanos(1), metrics);
        hub = new PresenceHub(PresenceTopics.of(List.of("rooms/*", "doc")), channel.eventLoop(),
                PooledByteBufAllocator.DEFAULT);
    }

    @AfterEach
    void tearDown() {
        channel.close();
        frames();
        assertFalse(channel.finish());
        core.release();
    }

    /** A watching stream (presence=true) of {@code user} on {@code topics}. */
    private PresenceHub.Member watcher(String user, String... topics) {
        Topic[] resolved = new Topic[topics.length];
        for (int i = 0; i < topics.length; i++) {
            resolved[i] = core.topics().get(topics[i]);
        }
        Subscriber s = core.subscribe(ctx, resolved, TypeFilter.ALL, 10, ReplayStart.LIVE);
        return hub.open(s, channel.eventLoop(), List.of(topics), user, true);
    }

    /** A stream that only counts. */
    private PresenceHub.Member stream(String user, String... topics) {
        return hub.open(null, channel.eventLoop(), List.of(topics), user, false);
    }

    private List<String> frames() {
        channel.runPendingTasks();
        List<String> out = new ArrayList<>();
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            out.add(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return out;
    }

    private static String join(String topic, String user) {
        return "event: presence:join\ndata: {\"topic\":\"" + topic + "\",\"user\":\"" + user + "\"}\n\n";
    }

    private static String leave(String topic, String user) {
        return "event: presence:leave\ndata: {\"topic\":\"" + topic + "\",\"user\":\"" + user + "\"}\n\n";
    }

    @Test
    void untrackedTopicsCostNothing() {
        assertNull(stream("alice", "news", "broadcast"), "no topic tracked: nothing to close");
        assertEquals(0, hub.topicCount());
        assertEquals(0, hub.entryCount());
        PresenceHub none = new PresenceHub(PresenceTopics.of(List.of()), channel.eventLoop(),
                PooledByteBufAllocator.DEFAULT);
        assertNull(none.open(null, channel.eventLoop(), List.of("rooms/1"), "alice", true));
    }

    @Test
    void firstStreamOfAUserJoinsAndTheirLastLeavesAndAnonymousStreamsAreNeverAnnounced() {
        PresenceHub.Member watching = watcher("carol", "rooms/1", "news");
        assertEquals(List.of(join("rooms/1", "carol")), frames(), "a watcher hears its own user's join");
        PresenceHub.Member alice1 = stream("alice", "rooms/1");
        PresenceHub.Member alice2 = stream("alice", "rooms/1", "doc");
        PresenceHub.Member anonymous = stream(null, "rooms/1");
        assertEquals(List.of(join("rooms/1", "alice")), frames(), "alice's second stream and the anonymous one: quiet");
        assertEquals(new PresenceCount("rooms/1", 4, List.of("alice", "carol"), 1), hub.local("rooms/1"));
        assertEquals(new PresenceCount("doc", 1, List.of("alice"), 0), hub.local("doc"));

        alice1.close();
        anonymous.close();
        assertEquals(List.of(), frames(), "alice still has a stream on rooms/1");
        alice2.close();
        alice2.close();
        assertEquals(List.of(leave("rooms/1", "alice")), frames(), "her last one closed; doc has no watcher");
        assertEquals(new PresenceCount("rooms/1", 1, List.of("carol"), 0), hub.local("rooms/1"));
        watching.close();
        assertEquals(List.of(), frames(), "a closing watcher does not hear its own leave");
    }

    @Test
    void aWatcherOfSeveralTrackedTopicsHearsEachAndStopsHearingOnceClosed() {
        PresenceHub.Member watching = watcher("carol", "doc", "rooms/2");
        assertEquals(List.of(join("doc", "carol"), join("rooms/2", "carol")), frames());
        PresenceHub.Member dave = stream("dave", "rooms/2", "doc");
        assertEquals(List.of(join("rooms/2", "dave"), join("doc", "dave")), frames());
        watching.close();
        dave.close();
        assertEquals(List.of(), frames());
        assertEquals(0, hub.entryCount());
    }

    @Test
    void nothingIsLeftOnceTheStreamsClose() {
        List<PresenceHub.Member> members = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            members.add(stream("u" + (i % 7), "rooms/" + (i % 5), "doc", "news"));
            members.add(stream(null, "rooms/" + (i % 5)));
        }
        assertEquals(6, hub.topicCount());
        assertEquals(6 + 5 * 7 + 7, hub.entryCount(), "a topic each, and a user per topic");
        members.forEach(PresenceHub.Member::close);
        assertEquals(0, hub.topicCount());
        assertEquals(0, hub.entryCount());
        assertEquals(PresenceCount.none("doc"), hub.local("doc"));
    }

    @Test
    void usersAreSortedAndCappedAtAThousand() {
        List<PresenceHub.Member> members = new ArrayList<>();
        for (int i = 1200; i > 0; i--) {
            members.add(stream(String.format("user%04d", i), "doc"));
        }
        PresenceCount count = hub.local("doc");
        assertEquals(1200, count.connections());
        assertEquals(PresenceCount.MAX_USERS, count.users().size());
        assertEquals("user0001", count.users().get(0));
        assertEquals("user1000", count.users().get(999));
        members.forEach(PresenceHub.Member::close);
    }

    @Test
    void queryGivesZerosForAnUntrackedTopicAndTheJsonOfTheContract() {
        PresenceHub.Member m = stream("alice", "doc");
        assertEquals(PresenceCount.none("news"), hub.query("news").toCompletableFuture().join());
        assertEquals("{\"topic\":\"doc\",\"connections\":1,\"users\":[\"alice\"],\"anonymous\":0}",
                new String(hub.query("doc").toCompletableFuture().join().toJson(), StandardCharsets.UTF_8));
        m.close();
    }

    @Test
    void topListsTrackedTopicsByStreams() {
        List<PresenceHub.Member> members = List.of(stream("a", "doc"), stream("b", "rooms/1"), stream(null, "rooms/1"));
        assertEquals(List.of(new PresenceHub.TopicPresence("rooms/1", 2, 1, 1), new PresenceHub.TopicPresence("doc", 1, 1, 0)),
                hub.top(10));
        assertEquals(1, hub.top(1).size());
        members.forEach(PresenceHub.Member::close);
    }

    @Test
    void aWatcherFarAboveItsWatermarkIsClosedAsASlowConsumerInsteadOfBuffering() {
        PresenceHub.Member watching = watcher("carol", "doc");
        frames();
        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        // bytes written but not yet flushed count as pending: a socket that stopped draining
        channel.write(Unpooled.wrappedBuffer(new byte[channel.config().getWriteBufferHighWaterMark() + 1024]));
        PresenceHub.Member bob = stream("bob", "doc");
        channel.runPendingTasks();
        assertTrue(channel.isOpen(), "within the overdraft: written");
        channel.write(Unpooled.wrappedBuffer(new byte[200 * 1024]));
        bob.close();
        channel.runPendingTasks();
        assertFalse(channel.isOpen(), "past it: closed, not buffered");
        assertEquals(1, metrics.slowConsumerDisconnects());
        watching.close();
    }
}
