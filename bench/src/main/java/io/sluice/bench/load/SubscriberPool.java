package io.sluice.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

import java.io.FileInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * This process's subscriber streams on their own event-loop group. Streams are assigned to loops round-robin
 * and never move, so each loop owns its streams and its {@link LoopStats} outright.
 *
 * <p>Threading: the coordinator thread calls the {@link StreamSource} methods (which run tasks on the loops and
 * wait for them); connect pacing runs as scheduled tasks on loop 0; {@code LoadStream}s call back the
 * {@code on*}/{@code stream*} methods from their own loops, which is why the shared counters are atomics.
 */
final class SubscriberPool implements StreamSource {
    /**
     * Connect attempts in flight at most: "as fast as possible" then means as fast as the gateway accepts, without
     * overflowing its accept backlog (net.core.somaxconn, 4096 here) and timing out in SYN retransmits.
     */
    static final int MAX_PENDING_CONNECTS = 1024;
    private static final long PACE_TICK_MICROS = 1000;
    /**
     * Descriptors held in reserve and released when the stream sockets hit EMFILE, so the run can still read
     * /proc, talk to its children and write its summary (the trick servers use to keep accepting after EMFILE).
     */
    private static final int FD_RESERVE = 32;
    private static final long LOOP_TASK_TIMEOUT_SECONDS = 30;

    private final LoadOptions options;
    private final int count;
    private final ClientTransport transport;
    private final EventLoopGroup group;
    private final EventLoop[] loops;
    private final LoopStats[] stats;
    private final List<List<LoadStream>> byLoop = new ArrayList<>();
    private final LoadStream[] streams;
    /** One per loop, each used only on its loop (a per-connect handler is set on it just before connecting). */
    private final Bootstrap[] bootstraps;
    /** One per node of {@code --url}; stream i connects to {@code remotes[options.nodeOf(i)]}. */
    private final InetSocketAddress[] remotes;
    private final String[] hostHeaders;
    private final InetSocketAddress[] locals;
    private final ServerApi api;
    /** A soak run's plan (each stream a slot renewed with fresh topics), or null. */
    private final SoakPlan soak;
    private final int buckets;
    /** RLIMIT_NOFILE read at start: once EMFILE hits, /proc/self/limits may not open any more. */
    private final long openFileLimit = ProcStats.openFileLimit();

    private volatile boolean closing;
    private volatile String limitHit;
    private volatile Timeline timeline;
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final AtomicInteger opened = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicInteger skipped = new AtomicInteger();
    private final AtomicInteger settled = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong firstAttemptNanos = new AtomicLong();
    private final AtomicLong lastOpenNanos = new AtomicLong();
    private final AtomicInteger stormNotOpen = new AtomicInteger();
    private final AtomicInteger stormReconnected = new AtomicInteger();
    private final AtomicLong stormStartNanos = new AtomicLong();
    private final AtomicLong stormLastReconnectNanos = new AtomicLong();
    private final CountDownLatch connected = new CountDownLatch(1);

    /** Pacer state: loop 0 only. */
    private int issued;
    private long paceStartNanos;

    /** Coordinator thread only. */
    private final Histogram scratch = Histograms.newHistogram();
    /** Released (by the loop that first sees EMFILE/ENFILE) under its own lock. */
    private final List<FileInputStream> fdReserve = new ArrayList<>();

    /** {@code soak}: a soak run's plan, or null. */
    SubscriberPool(LoadOptions options, TopicPlan plan, SoakPlan soak) {
        this.options = options;
        this.soak = soak;
        this.count = options.streamCount();
        this.transport = ClientTransport.select(options.transport());
        this.buckets = Timeline.bucketCount(options);
        this.group = new MultiThreadIoEventLoopGroup(options.threads(), new DefaultThreadFactory("loadgen-streams"),
                transport.ioHandlerFactory());
        this.loops = new EventLoop[options.threads()];
        this.stats = new LoopStats[loops.length];
        this.bootstraps = new Bootstrap[loops.length];
        Bootstrap base = new Bootstrap()
                .channel(transport.channelClass())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(options.connectTimeoutNanos())));
        if (transport.epoll() && !options.sourceAddresses().isEmpty()) {
            // Defer the port choice to connect(), where the kernel only needs the 4-tuple to be unique.
            base.option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
        }
        for (int i = 0; i < loops.length; i++) {
            loops[i] = group.next();
            stats[i] = new LoopStats(buckets);
            bootstraps[i] = base.clone(loops[i]);
            byLoop.add(new ArrayList<>());
        }
        this.remotes = new InetSocketAddress[options.nodes().size()];
        this.hostHeaders = new String[remotes.length];
        for (int i = 0; i < remotes.length; i++) {
            remotes[i] = options.nodeAddress(i);
            hostHeaders[i] = options.hostHeader(i);
        }
        List<InetAddress> sources = options.sourceAddresses();
        this.locals = new InetSocketAddress[sources.size()];
        for (int i = 0; i < locals.length; i++) {
            locals[i] = new InetSocketAddress(sources.get(i), 0);
        }
        this.api = options.server();
        if (count > 0) {
            reserveDescriptors();
        }
        int first = options.firstStream();
        this.streams = new LoadStream[count];
        for (int i = 0; i < count; i++) {
            int loop = i % loops.length;
            int index = first + i;
            streams[i] = new LoadStream(index, plan.topicOf(index), loop, loops[loop], stats[loop], this);
            byLoop.get(loop).add(streams[i]);
        }
    }

    String transportName() {
        return transport.name();
    }

    // ---- called by LoadStream on its loop ----

    ChannelFuture connect(LoadStream s) {
        Bootstrap b = bootstraps[s.loopIndex].handler(new StreamHandler(s));
        InetSocketAddress remote = remotes[options.nodeOf(s.index)];
        return locals.length == 0 ? b.connect(remote) : b.connect(remote, locals[s.index % locals.length]);
    }

    boolean closing() {
        return closing;
    }

    long connectTimeoutNanos() {
        return options.connectTimeoutNanos();
    }

    /** The request target of stream {@code s}: its plan topic, or in a soak run its current stream's topics. */
    String streamTarget(LoadStream s) {
        return api.streamTarget(options.basePath(), soak == null ? List.of(TopicPlan.topicName(s.topic)) : s.soakTopics());
    }

    /** The soak run's plan, or null. */
    SoakPlan soak() {
        return soak;
    }

    /** The server under test. */
    ServerApi api() {
        return api;
    }

    /** The Host header of stream {@code index}'s node. */
    String hostHeader(int index) {
        return hostHeaders[options.nodeOf(index)];
    }

    void streamOpened() {
        open.incrementAndGet();
    }

    void streamClosed() {
        open.decrementAndGet();
    }

    void onFirstOpen(long nowNanos) {
        opened.incrementAndGet();
        inFlight.decrementAndGet();
        lastOpenNanos.accumulateAndGet(nowNanos, Math::max);
        settle(1);
    }

    void onFirstConnectFailed(String reason) {
        failed.incrementAndGet();
        int sockets = opened.get() + inFlight.decrementAndGet();
        countError(reason);
        if (Reasons.isLimit(reason) && limitHit == null) {
            synchronized (fdReserve) {
                if (limitHit == null) {
                    String nofile = openFileLimit < 0 ? "" : " (open-file limit " + openFileLimit + ")";
                    limitHit = reason + " with " + sockets + " stream sockets open or connecting in "
                            + (options.isChild() ? "child process " + options.childIndex() : "the process") + nofile;
                }
            }
        }
        if (reason.equals(Reasons.EMFILE) || reason.equals(Reasons.ENFILE)) {
            releaseDescriptors();
        }
        settle(1);
    }

    /** A first connect not attempted because a limit was hit. */
    void onFirstConnectSkipped() {
        skipped.incrementAndGet();
        inFlight.decrementAndGet();
        settle(1);
    }

    /** Whether a resource limit stopped the opening of new streams. */
    boolean limitHit() {
        return limitHit != null;
    }

    void countError(String reason) {
        errors.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    void onStormNotOpen() {
        stormNotOpen.incrementAndGet();
    }

    void onStormReconnected(long nowNanos) {
        stormReconnected.incrementAndGet();
        stormLastReconnectNanos.accumulateAndGet(nowNanos, Math::max);
    }

    private void reserveDescriptors() {
        synchronized (fdReserve) {
            try {
                for (int i = 0; i < FD_RESERVE; i++) {
                    fdReserve.add(new FileInputStream("/dev/null"));
                }
            } catch (IOException e) {
                countError("fd reserve: " + e.getMessage());
            }
        }
    }

    private void releaseDescriptors() {
        synchronized (fdReserve) {
            for (FileInputStream f : fdReserve) {
                try {
                    f.close();
                } catch (IOException ignored) {
                    // closing /dev/null does not fail in practice; the descriptor is gone either way
                }
            }
            fdReserve.clear();
        }
    }

    private void settle(int n) {
        if (settled.addAndGet(n) == count) {
            connected.countDown();
        }
    }

    // ---- connect pacing: loop 0 ----

    /** Starts opening the streams at {@code --connect-rate} (per process: the rate divided by --processes). */
    void startConnecting() {
        if (count == 0) {
            connected.countDown();
            return;
        }
        loops[0].execute(() -> {
            paceStartNanos = System.nanoTime();
            firstAttemptNanos.set(paceStartNanos);
            pace();
        });
    }

    private void pace() {
        if (limitHit != null || closing) {
            int rest = count - issued;
            issued = count;
            if (rest > 0) {
                skipped.addAndGet(rest);
                settle(rest);
            }
            return;
        }
        double rate = options.connectRate() / options.processes();
        long due = count;
        if (rate > 0) {
            due = Math.min(count, 1 + (long) ((System.nanoTime() - paceStartNanos) * rate / 1e9));
        }
        while (issued < due && inFlight.get() < MAX_PENDING_CONNECTS) {
            LoadStream s = streams[issued++];
            inFlight.incrementAndGet();
            if (s.loop.inEventLoop()) {
                s.connect();
            } else {
                s.loop.execute(s::connect);
            }
        }
        if (issued < count) {
            loops[0].schedule(this::pace, PACE_TICK_MICROS, TimeUnit.MICROSECONDS);
        }
    }

    // ---- StreamSource: coordinator thread ----

    @Override
    public boolean awaitConnected(long timeoutNanos) throws InterruptedException {
        return connected.await(timeoutNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public BitSet openedStreams() {
        BitSet out = new BitSet();
        for (int i = 0; i < loops.length; i++) {
            List<LoadStream> mine = byLoop.get(i);
            out.or(onLoop(i, () -> {
                BitSet b = new BitSet();
                for (LoadStream s : mine) {
                    if (s.everOpened) {
                        b.set(s.index);
                    }
                }
                return b;
            }));
        }
        return out;
    }

    @Override
    public void start(Timeline t) {
        timeline = t;
        for (int i = 0; i < loops.length; i++) {
            LoopStats st = stats[i];
            onLoop(i, () -> {
                st.timeline = t;
                return null;
            });
        }
    }

    @Override
    public void storm() {
        LoadOptions.Storm storm = options.storm();
        if (storm == null) {
            return;
        }
        int n = Math.min(count, options.share(storm.count()));
        stormStartNanos.set(System.nanoTime());
        for (int j = 0; j < n; j++) {
            LoadStream s = streams[(int) ((long) j * count / n)];
            s.loop.execute(s::stormClose);
        }
    }

    @Override
    public StreamTotals poll(boolean last, Histos into) {
        StreamTotals t = new StreamTotals(buckets);
        for (int i = 0; i < loops.length; i++) {
            List<LoadStream> mine = byLoop.get(i);
            LoopStats st = stats[i];
            t.add(onLoop(i, () -> loopTotals(mine, st, last)));
        }
        t.set(StreamTotals.Counter.PROCESSES, 1);
        t.set(StreamTotals.Counter.IO_THREADS, loops.length);
        t.set(StreamTotals.Counter.STREAMS_ASSIGNED, count);
        t.set(StreamTotals.Counter.STREAMS_OPENED, opened.get());
        t.set(StreamTotals.Counter.STREAMS_FAILED, failed.get());
        t.set(StreamTotals.Counter.STREAMS_SKIPPED, skipped.get());
        t.set(StreamTotals.Counter.STREAMS_OPEN, open.get());
        t.set(StreamTotals.Counter.CONNECT_FIRST_NANOS, firstAttemptNanos.get());
        t.set(StreamTotals.Counter.CONNECT_LAST_NANOS, lastOpenNanos.get());
        t.set(StreamTotals.Counter.STORM_NOT_OPEN, stormNotOpen.get());
        t.set(StreamTotals.Counter.STORM_RECONNECTED, stormReconnected.get());
        t.set(StreamTotals.Counter.STORM_START_NANOS, stormStartNanos.get());
        t.set(StreamTotals.Counter.STORM_LAST_RECONNECT_NANOS, stormLastReconnectNanos.get());
        errors.forEach((k, v) -> t.addError(k, v.sum()));
        if (limitHit != null) {
            t.limitHit(limitHit);
        }
        Timeline tl = timeline;
        long now = System.nanoTime();
        for (LoopStats st : stats) {
            if (tl != null) {
                for (int b = 0; b < buckets && tl.bucketStart(b) - now <= 0; b++) {
                    drain(st.latency[b], into.latency()[b]);
                }
            }
            drain(st.connectLatency, into.connect());
            drain(st.reconnectLatency, into.reconnect());
        }
        return t;
    }

    private void drain(SingleWriterRecorder from, Histogram into) {
        from.getIntervalHistogramInto(scratch);
        if (scratch.getTotalCount() > 0) {
            into.add(scratch);
        }
    }

    /** Runs on the streams' loop. */
    private static StreamTotals loopTotals(List<LoadStream> mine, LoopStats st, boolean last) {
        StreamTotals t = new StreamTotals(st.uniqueByBucket.length);
        t.addUnique(st.uniqueByBucket);
        t.add(StreamTotals.Counter.LATENCY_CLAMPED, st.clamped);
        for (LoadStream s : mine) {
            t.add(StreamTotals.Counter.DELIVERIES, s.deliveries);
            t.add(StreamTotals.Counter.DUPLICATES, s.duplicates);
            t.add(StreamTotals.Counter.OUT_OF_ORDER, s.outOfOrder);
            t.add(StreamTotals.Counter.MISSING, s.missing());
            t.add(StreamTotals.Counter.RESETS, s.resets);
            t.add(StreamTotals.Counter.OTHER_EVENTS, s.otherEvents);
            t.add(StreamTotals.Counter.UNEXPECTED_DISCONNECTS, s.unexpectedDisconnects);
            t.add(StreamTotals.Counter.RECONNECTS, s.reconnects);
            t.add(StreamTotals.Counter.RECONNECT_FAILURES, s.reconnectFailures);
            t.add(StreamTotals.Counter.RENEWALS, s.renewals);
            t.add(StreamTotals.Counter.SLOW_PAUSES, s.pauses);
            if (s.stormMember) {
                t.add(StreamTotals.Counter.STORM_CLOSED, 1);
                if (s.stormWithoutLastId) {
                    t.add(StreamTotals.Counter.STORM_WITHOUT_LAST_ID, 1);
                }
                if (last) {
                    boolean gaps = s.stormGaps();
                    boolean dups = s.stormDuplicates();
                    boolean reset = s.stormReset();
                    t.add(StreamTotals.Counter.STORM_WITH_GAPS, gaps ? 1 : 0);
                    t.add(StreamTotals.Counter.STORM_WITH_DUPLICATES, dups ? 1 : 0);
                    t.add(StreamTotals.Counter.STORM_RESETS, reset ? 1 : 0);
                    t.add(StreamTotals.Counter.STORM_EXACT, s.stormReconnected && !gaps && !dups && !reset ? 1 : 0);
                }
            }
        }
        return t;
    }

    private <T> T onLoop(int loop, Callable<T> task) {
        Future<T> f = loops[loop].submit(task);
        try {
            return f.get(LOOP_TASK_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for I/O loop " + loop, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("I/O loop " + loop + " did not answer: " + e, e);
        }
    }

    @Override
    public void close() {
        closing = true;
        for (int i = 0; i < loops.length; i++) {
            List<LoadStream> mine = byLoop.get(i);
            try {
                onLoop(i, () -> {
                    mine.forEach(LoadStream::close);
                    return null;
                });
            } catch (IllegalStateException e) {
                // the loop is gone or stuck; shutting the group down below closes its channels anyway
                countError("close: " + e.getMessage());
            }
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        releaseDescriptors();
    }
}
