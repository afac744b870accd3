package io.sluice;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.sluice.auth.OpenAccessPolicy;
import io.sluice.config.ConfigKey;
import io.sluice.config.SluiceConfig;
import io.sluice.http.DiscardedAccessLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The start-up warm-up ({@code warmup}, docs/operations.md): before a node binds its listeners, and so before
 * {@code /readyz} can answer 200 or the {@code sluice listening} line is printed, synthetic clients drive its hot paths
 * over loopback so the JIT compiler has compiled them when the first real client arrives. A freshly started JVM
 * interprets: its first second of 1,000 streams at 1 M deliveries/s had a p99 of 245-499 ms, and its first 19,000
 * streams cost 6-8 times nchan's CPU each (bench/RESULTS.md).
 *
 * <p>The traffic goes through the real code on throwaway state: a second node assembled from the operator's config
 * (local backplane, open access, no JWK set, an access log of its own that writes to {@code /dev/null}) on the same
 * event loops, listening on an ephemeral loopback port. It opens and closes streams (HTTP decode, route, stream open,
 * pipeline switch, {@code connected}, topic acquire, subscribe, leave), and publishes single events and batches to a
 * topic 64 streams read and to topics of their own (parse, encode, commit, drain, joined runs, writes, flushes, the
 * access-log line through logback). Once a second the starting thread rehearses the listeners' bind
 * ({@link Rehearsal}). Then that node is closed and released: no topic, id, connection id, metric, history,
 * connection or access-log line of it survives, and the node that serves clients is assembled afterwards, from
 * scratch. What stays is what was meant to: compiled code, loaded classes, and the pooled allocator's arenas.
 *
 * <p>Bounded: three phases (streams, publishing, then cycles of both once the compiler's queue has drained,
 * {@link #topUp}), each ending when, after its minimum of streams or publishes, the JIT compiler has been quiet for its
 * traffic ({@link CompilerQuiet}: under 5 % of the time spent compiling), or at its share of the budget; the whole at
 * the budget. A compiler that shares one core with the traffic takes ~25-30 s to catch up (30 s by default, on the
 * benchmark machine); one with cores of its own catches up sooner. Then it waits for the compiler queue to go quiet,
 * for at most a quarter of the budget more. Runs on the starting thread (never an event loop); the clients are a JDK
 * NIO selector on that thread, so client and server code do not share a type profile.
 */
final class Warmup {
    private static final Logger log = LoggerFactory.getLogger(Warmup.class);
    /** Streams opened and closed together, per wave of the first phase. */
    static final int STREAM_WAVE = 200;
    /** Streams on the one topic the second phase publishes to: each event there is 64 deliveries. */
    static final int SHARED_STREAMS = 64;
    /** Streams with a topic of their own, published to one event at a time. */
    static final int OWN_TOPIC_STREAMS = 64;
    /** Publishing connections. */
    static final int PUBLISHERS = 8;
    /** Requests each publisher keeps in flight (pipelined; answered in order). */
    static final int IN_FLIGHT = 4;
    /** Every this many publishes, a batch of {@link #BATCH} events instead of one. */
    static final int BATCH_EVERY = 32;
    static final int BATCH = 20;
    /** The throwaway node's stream limits: above what the warm-up opens, so none is refused. */
    private static final int MAX_STREAMS = 1_000_000;
    /** Share of the budget the first phase (streams opened and closed) may take. */
    static final double STREAM_SHARE = 0.3;
    /** Share of the budget the first two phases may take together; the third ({@link #topUp}) gets the rest. */
    static final double PHASES_SHARE = 0.6;
    /** Each kind of traffic per cycle of the third phase. */
    static final long TOP_UP_SLICE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /**
     * Streams opened and publishes made in the third phase before a quiet compiler may end it: C2's invocation threshold
     * ({@code Tier4InvocationThreshold}), which a method compiled again at tier 3 once C2's queue drained must reach.
     */
    static final int MIN_TOP_UP_OPERATIONS = 5_000;
    /** Publishing between two looks at the compiler. */
    static final long PUBLISH_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /**
     * Streams opened (phase one) or publishes made (phase two) before a quiet compiler may end the phase: above C2's
     * compile threshold (HotSpot's {@code Tier4CompileThreshold}, 15,000 invocations and loop iterations), so a method
     * run once per stream or per publish has reached C2 by then. Before that a quiet compiler only means the counters
     * are still climbing: a warm-up that ended on quiet after ~4,400 publishes left scenario a's publish path to be
     * compiled under the first real load (bench/ANALYSIS.md).
     */
    static final int MIN_OPERATIONS_PER_PHASE = 15_000;
    /**
     * Quiet: less than {@link #QUIET_SHARE} of the last {@code QUIET_WINDOW_NANOS} of a phase's traffic spent
     * compiling.
     */
    static final long QUIET_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final double QUIET_SHARE = 0.05;

    /** How often the starting thread rehearses what it does once the warm-up ends ({@link Rehearsal}). */
    static final long REHEARSAL_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final String TOPIC_PREFIX = "sluice-warmup/";
    /** Every this many publishes (of the odd ones), one to a topic never published to before. */
    static final int FRESH_TOPIC_EVERY = 8;
    private static final byte[] PADDING = "x".repeat(100).getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESPONSE_START = "HTTP/1.1 ".getBytes(StandardCharsets.US_ASCII);

    /**
     * What a warm-up did, for the start-up log.
     *
     * @param compilerQuiet whether the traffic ended because the compiler went quiet (false: the budget ran out)
     */
    record Result(int streamsOpened, long publishes, long bytesReceived, long accessLogLines, int rehearsals,
                  long millis, long compileMillis, boolean compilerQuiet) {
    }

    private final Selector selector;
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);
    private final InetSocketAddress address;
    private final Rehearsal rehearsal;
    private long nextRehearsal;
    private int rehearsals;
    private int streamsOpened;
    private long publishes;
    private long bytesReceived;
    private boolean compilerQuiet;
    /** Topics and data field names the warm-up has used: each publish to a fresh topic, and each event, a new one. */
    private long freshTopics;
    private long fieldNames;

    private Warmup(InetSocketAddress address, Rehearsal rehearsal) throws IOException {
        this.address = address;
        this.rehearsal = rehearsal;
        this.selector = Selector.open();
    }

    /**
     * Runs the warm-up on {@code loops} for about {@code budgetNanos}, then leaves no trace but compiled code. A failure
     * is logged and ends it early; start-up goes on (an unwarmed node is slower at first, not wrong).
     *
     * @param config the operator's configuration, which the throwaway node copies (auth and cluster mode aside)
     * @param management the loop of the management listener (the throwaway node's timers run there, and stop)
     */
    static Result run(SluiceConfig config, EventLoopGroup loops, EventLoop management, Transports transport,
                      long budgetNanos) {
        long start = System.nanoTime();
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long compiledBefore = compileMillis(jit);
        SluiceConfig throwaway = throwawayConfig(config);
        ChannelGroup connections = new DefaultChannelGroup("sluice-warmup", GlobalEventExecutor.INSTANCE);
        DiscardedAccessLog accessLog = DiscardedAccessLog.open();
        GatewayNode node;
        try {
            node = GatewayNode.assembleWithAccessLogger(throwaway, OpenAccessPolicy.INSTANCE, loops, management,
                    connections, accessLog.logger());
        } catch (RuntimeException e) {
            accessLog.close(); // its writer thread ends with it
            throw e;
        }
        Channel listener = null;
        Warmup warmup = null;
        try {
            listener = SluiceServer.bind(throwaway, loops, transport, "127.0.0.1", 0, node.publicInitializer());
            Rehearsal rehearsal = new Rehearsal(throwaway, loops, management, transport, node, connections);
            warmup = new Warmup((InetSocketAddress) listener.localAddress(), rehearsal);
            warmup.traffic(start, start + budgetNanos, jit);
        } catch (IOException | RuntimeException e) {
            log.warn("start-up warm-up ended early: {}", e.toString());
        } finally {
            if (warmup != null) {
                warmup.closeAll();
            }
            if (listener != null) {
                listener.close().syncUninterruptibly();
            }
            connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            node.stopProducers();
            awaitLoops(loops);
            // where the node's buffers are released in service (history maintenance), not on this thread
            management.submit(node::release).syncUninterruptibly();
            accessLog.close();
        }
        awaitQuietCompiler(jit, start + budgetNanos + budgetNanos / 4);
        Warmup done = warmup;
        return new Result(done == null ? 0 : done.streamsOpened, done == null ? 0 : done.publishes,
                done == null ? 0 : done.bytesReceived, accessLog.linesDiscarded(), done == null ? 0 : done.rehearsals,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), compileMillis(jit) - compiledBefore,
                done != null && done.compilerQuiet);
    }

    /**
     * The operator's config for a node no client can reach and that reaches nobody: local backplane (no Redis), no
     * identity provider, keys or tokens (open access), no demo clock, no stream limits.
     */
    static SluiceConfig throwawayConfig(SluiceConfig config) {
        return config.with(ConfigKey.BACKPLANE, SluiceConfig.DEFAULT_BACKPLANE)
                .with(ConfigKey.JWKS_URL, "")
                .with(ConfigKey.JWT_ISSUER, "")
                .with(ConfigKey.JWT_AUDIENCE, "")
                .with(ConfigKey.JWT_SECRET, "")
                .with(ConfigKey.JWT_PUBLIC_KEY_FILE, "")
                .with(ConfigKey.PUBLISH_KEYS, List.of())
                .with(ConfigKey.DEV_CLOCK, false)
                .with(ConfigKey.MAX_CONNECTIONS, MAX_STREAMS)
                .with(ConfigKey.MAX_CONNECTIONS_PER_USER, MAX_STREAMS);
    }

    /**
     * Phase one, waves of streams opened and closed, for {@link #STREAM_SHARE} of the budget or until the compiler is
     * quiet; then phase two, publishing to held streams, until {@link #PHASES_SHARE} of the budget or until the
     * compiler is quiet again; then phase three ({@link #topUp}) until {@code end}. Each of the first two runs one
     * kind of traffic, so the compiler sees one kind of traffic's profile at a time; a quiet compiler ends either only
     * after {@link #MIN_OPERATIONS_PER_PHASE} of its operations and a whole quiet window of it.
     */
    private void traffic(long start, long end, CompilationMXBean jit) throws IOException {
        boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
        long churnEnd = start + (long) ((end - start) * STREAM_SHARE);
        CompilerQuiet churnQuiet = new CompilerQuiet(QUIET_WINDOW_NANOS, QUIET_SHARE);
        int wave = 0;
        nextRehearsal = start;
        while (System.nanoTime() < churnEnd) {
            rehearseWhenDue();
            churnWave(wave++, churnEnd);
            boolean quiet = timed && churnQuiet.sample(System.nanoTime(), jit.getTotalCompilationTime());
            if (quiet && streamsOpened >= MIN_OPERATIONS_PER_PHASE) {
                break;
            }
        }
        List<SocketChannel> streams = new ArrayList<>();
        for (int i = 0; i < SHARED_STREAMS; i++) {
            streams.add(connect(streamRequest(TOPIC_PREFIX + "shared", i % 4 == 0 ? "&types=warmup:*" : "")));
        }
        for (int i = 0; i < OWN_TOPIC_STREAMS; i++) {
            streams.add(connect(streamRequest(TOPIC_PREFIX + "own" + i, "")));
        }
        awaitOpen(streams, end);
        Publisher[] publishers = new Publisher[PUBLISHERS];
        for (int i = 0; i < PUBLISHERS; i++) {
            publishers[i] = new Publisher(i, connectChannel(null));
        }
        // at least one slice: opening the held streams may have used up phase two's share of a short budget
        long publishEnd = Math.max(start + (long) ((end - start) * PHASES_SHARE),
                System.nanoTime() + PUBLISH_SLICE_NANOS);
        CompilerQuiet publishQuiet = new CompilerQuiet(QUIET_WINDOW_NANOS, QUIET_SHARE);
        while (System.nanoTime() < publishEnd) {
            rehearseWhenDue();
            publish(publishers, Math.min(publishEnd, System.nanoTime() + PUBLISH_SLICE_NANOS));
            boolean quiet = timed && publishQuiet.sample(System.nanoTime(), jit.getTotalCompilationTime());
            if (quiet && publishes >= MIN_OPERATIONS_PER_PHASE) {
                break;
            }
        }
        topUp(publishers, wave, end, timed ? jit : null);
    }

    /**
     * Phase three, what the first two left below C2. While C2's queue is long, HotSpot raises the counts a method
     * needs before C2 takes it (in proportion to the queue, {@code Tier4LoadFeedback}) and parks new methods at tier 2.
     * On one core busy with the warm-up the queue stays long, and methods run once per stream (the HTTP line parser,
     * the stream's start, the loop's own run) were still at tier 2 or 3 when the node listened; C2 compiled them under
     * the first real wave of streams, at ~110 µs of its time per stream (bench/ANALYSIS.md). So, in cycles until
     * {@code end}: wait for the compiler to drain its queue, then open and close streams for
     * {@link #TOP_UP_SLICE_NANOS} and publish for as long. Counts already past the normal thresholds send their
     * methods to C2; the rest climb. Ends early on a cycle that left the compiler quiet, once the phase made
     * {@link #MIN_TOP_UP_OPERATIONS} of each kind.
     *
     * @param jit null when compilation time cannot be read: cycles until {@code end}
     */
    private void topUp(Publisher[] publishers, int firstWave, long end, CompilationMXBean jit) throws IOException {
        int wave = firstWave;
        int streamsBefore = streamsOpened;
        long publishesBefore = publishes;
        while (System.nanoTime() < end) {
            awaitQuietCompiler(jit, end);
            long cycleStart = System.nanoTime();
            long compiledBefore = compileMillis(jit);
            long churnEnd = Math.min(end, cycleStart + TOP_UP_SLICE_NANOS);
            while (System.nanoTime() < churnEnd) {
                rehearseWhenDue();
                churnWave(wave++, churnEnd);
            }
            publish(publishers, Math.min(end, System.nanoTime() + TOP_UP_SLICE_NANOS));
            long cycleMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cycleStart);
            boolean quiet = jit != null && compileMillis(jit) - compiledBefore < cycleMillis * QUIET_SHARE;
            if (quiet && streamsOpened - streamsBefore >= MIN_TOP_UP_OPERATIONS
                    && publishes - publishesBefore >= MIN_TOP_UP_OPERATIONS) {
                compilerQuiet = true;
                return;
            }
        }
    }

    /** Runs {@link Rehearsal} once every {@link #REHEARSAL_INTERVAL_NANOS}. */
    private void rehearseWhenDue() throws IOException {
        long now = System.nanoTime();
        if (now - nextRehearsal >= 0) {
            rehearsal.run();
            rehearsals++;
            nextRehearsal = now + REHEARSAL_INTERVAL_NANOS;
        }
    }

    /** One wave of streams opened (their {@code connected} event read) and closed. */
    private void churnWave(int wave, long end) throws IOException {
        List<SocketChannel> streams = new ArrayList<>(STREAM_WAVE);
        for (int i = 0; i < STREAM_WAVE; i++) {
            // a few topics shared by many streams, as a reconnect storm has
            streams.add(connect("GET /v1/events/stream?topic=" + TOPIC_PREFIX + "churn" + (i % 10)
                    + (i % 2 == 0 ? "" : "&topic=" + TOPIC_PREFIX + wave + "-" + i) + " HTTP/1.1\r\nHost: warmup\r\n"
                    + "Accept: text/event-stream\r\n\r\n"));
        }
        awaitOpen(streams, end);
        for (SocketChannel s : streams) {
            close(s);
        }
    }

    /** Publishers sending single events and batches, each with up to {@link #IN_FLIGHT} requests in flight. */
    private void publish(Publisher[] publishers, long end) throws IOException {
        while (System.nanoTime() < end) {
            for (Publisher p : publishers) {
                while (p.inFlight < IN_FLIGHT) {
                    p.send();
                }
            }
            selectOnce();
        }
    }

    private static String streamRequest(String topic, String extra) {
        return "GET /v1/events/stream?topic=" + topic + extra + " HTTP/1.1\r\nHost: warmup\r\n\r\n";
    }

    /** One keep-alive publishing connection with up to {@link #IN_FLIGHT} requests in flight. */
    private final class Publisher {
        private final int index;
        private final SocketChannel channel;
        private int inFlight;
        private long sent;
        /** How far into {@link #RESPONSE_START} the bytes read so far end: a response split across reads. */
        private int matched;

        Publisher(int index, SocketChannel channel) {
            this.index = index;
            this.channel = channel;
            channel.keyFor(selector).attach(this);
        }

        void send() throws IOException {
            sent++;
            String body;
            if (sent % BATCH_EVERY == 0) {
                StringBuilder b = new StringBuilder("[");
                for (int i = 0; i < BATCH; i++) {
                    b.append(i == 0 ? "" : ",").append(event(TOPIC_PREFIX + "shared", "warmup:batch", i));
                }
                body = b.append(']').toString();
            } else if (sent % 2 == 0) {
                body = event(TOPIC_PREFIX + "shared", sent % 4 == 0 ? "warmup:tick" : null, sent);
            } else if (sent % FRESH_TOPIC_EVERY == 1) {
                // a topic no stream reads, first published to now: topic creation, a first retained event, retention
                body = event(TOPIC_PREFIX + "fresh" + freshTopics++, null, sent);
            } else {
                body = event(TOPIC_PREFIX + "own" + (sent + index) % OWN_TOPIC_STREAMS, null, sent);
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            String head = "POST /v1/publish HTTP/1.1\r\nHost: warmup\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + bytes.length + "\r\n\r\n";
            writeFully(channel, ByteBuffer.wrap(concat(head.getBytes(StandardCharsets.US_ASCII), bytes)));
            inFlight++;
            publishes++;
        }

        /** Counts answers in what was just read: each starts with {@code HTTP/1.1 }, which no answer's body holds. */
        void read(ByteBuffer bytes) {
            while (bytes.hasRemaining()) {
                byte b = bytes.get();
                matched = b == RESPONSE_START[matched] ? matched + 1 : (b == RESPONSE_START[0] ? 1 : 0);
                if (matched == RESPONSE_START.length) {
                    matched = 0;
                    inFlight--;
                }
            }
        }
    }

    /**
     * A publish event whose data has, besides fields every event repeats, one field named as no earlier event's: real
     * traffic keeps bringing field names the parser's symbol table has not seen, and the path that adds one must be in
     * the compiled parser, or a node's first real events send it back to the interpreter (bench/ANALYSIS.md).
     */
    private String event(String topic, String type, long n) {
        return "{\"topic\":\"" + topic + "\"" + (type == null ? "" : ",\"type\":\"" + type + "\"")
                + ",\"data\":{\"n\":" + n + ",\"text\":\"warm-up event\",\"pad\":\""
                + new String(PADDING, StandardCharsets.US_ASCII) + "\",\"list\":[1,2.5,true,null],\"" + newFieldName()
                + "\":0}}";
    }

    /** A field name of 1 to 20 characters, of lengths in turn (the parser reads names by 4-byte quads). */
    private String newFieldName() {
        long n = fieldNames++;
        String unique = Long.toString(n / 20, 36);
        int length = 1 + (int) (n % 20);
        return length <= unique.length() ? unique : "_".repeat(length - unique.length()) + unique;
    }

    private SocketChannel connect(String request) throws IOException {
        return connectChannel(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
    }

    /** A blocking connect (loopback: immediate), then non-blocking reads through the selector. */
    private SocketChannel connectChannel(ByteBuffer request) throws IOException {
        SocketChannel channel = SocketChannel.open(address);
        if (request != null) {
            writeFully(channel, request);
        }
        channel.configureBlocking(false);
        channel.register(selector, SelectionKey.OP_READ, new long[1]);
        return channel;
    }

    /** Reads until every stream in {@code streams} got its first bytes (its head and {@code connected}), or {@code end}. */
    private void awaitOpen(List<SocketChannel> streams, long end) throws IOException {
        int open = 0;
        while (open < streams.size() && System.nanoTime() < end) {
            selectOnce();
            open = 0;
            for (SocketChannel s : streams) {
                if (((long[]) s.keyFor(selector).attachment())[0] > 0) {
                    open++;
                }
            }
        }
        streamsOpened += open;
    }

    /** Reads whatever is ready (waiting at most 10 ms); stream bytes are counted and dropped. */
    private void selectOnce() throws IOException {
        selector.select(10);
        for (SelectionKey key : selector.selectedKeys()) {
            if (!key.isValid() || !key.isReadable()) {
                continue;
            }
            SocketChannel channel = (SocketChannel) key.channel();
            readBuffer.clear();
            int n;
            try {
                n = channel.read(readBuffer);
            } catch (IOException closedByServer) {
                n = -1;
            }
            if (n < 0) {
                close(channel);
                continue;
            }
            bytesReceived += n;
            if (key.attachment() instanceof Publisher p) {
                readBuffer.flip();
                p.read(readBuffer);
            } else {
                ((long[]) key.attachment())[0] += n;
            }
        }
        selector.selectedKeys().clear();
    }

    private static void writeFully(SocketChannel channel, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            if (channel.write(bytes) == 0) {
                Thread.onSpinWait(); // loopback: the server reads a request this size at once
            }
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = new byte[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private void close(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a socket the server already closed
        }
    }

    private void closeAll() {
        for (SelectionKey key : selector.keys()) {
            close((SocketChannel) key.channel());
        }
        try {
            selector.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What the starting thread does once the warm-up ends, done by it once a second during the warm-up: bind a public
     * and a management listener ({@link SluiceServer#bind}, from a thread that is no event loop), take a stream and a
     * {@code /readyz} request through them, close that stream's channel from this thread, and close both listeners.
     *
     * <p>C2 compiles for what the profiles have seen. Code only the loops had run was compiled for loop threads
     * (Netty's thread-local map for its own thread class, {@code inEventLoop()} true, one kind of channel). Run from
     * the starting thread by the warm-up's teardown and the listeners' bind, that code hit its uncommon traps and was
     * thrown away as clients arrived: JFR recorded ~60 deoptimizations in the half second around the listening line
     * (bench/ANALYSIS.md). Rehearsed, those paths are in the profiles, or the code that missed them was thrown away
     * and compiled again, before the node listens.
     */
    private static final class Rehearsal {
        private static final int TIMEOUT_MILLIS = 5_000;
        private final SluiceConfig config;
        private final EventLoopGroup loops;
        private final EventLoop management;
        private final Transports transport;
        private final GatewayNode node;
        private final ChannelGroup connections;

        Rehearsal(SluiceConfig config, EventLoopGroup loops, EventLoop management, Transports transport,
                  GatewayNode node, ChannelGroup connections) {
            this.config = config;
            this.loops = loops;
            this.management = management;
            this.transport = transport;
            this.node = node;
            this.connections = connections;
        }

        void run() throws IOException {
            Channel listener = SluiceServer.bind(config, loops, transport, "127.0.0.1", 0, node.publicInitializer());
            Channel managementListener = null;
            try {
                managementListener = SluiceServer.bind(config, management, transport, "127.0.0.1", 0,
                        node.managementInitializer());
                streamClosedFromHere((InetSocketAddress) listener.localAddress());
                readyz((InetSocketAddress) managementListener.localAddress());
            } finally {
                listener.close().syncUninterruptibly();
                if (managementListener != null) {
                    managementListener.close().syncUninterruptibly();
                }
            }
        }

        /** A stream, open once its first bytes arrive, then closed by the server side from this thread. */
        private void streamClosedFromHere(InetSocketAddress address) throws IOException {
            try (Socket client = connect(address, streamRequest(TOPIC_PREFIX + "rehearsal", ""))) {
                if (client.getInputStream().read() < 0) {
                    throw new IOException("rehearsal stream closed before its first byte");
                }
                int port = client.getLocalPort();
                connections.close(ch -> ch.remoteAddress() instanceof InetSocketAddress peer && peer.getPort() == port)
                        .awaitUninterruptibly(TIMEOUT_MILLIS);
            }
        }

        /** {@code GET /readyz}, read to the end of its answer (the server closes: {@code Connection: close}). */
        private static void readyz(InetSocketAddress address) throws IOException {
            try (Socket client = connect(address, "GET /readyz HTTP/1.1\r\nHost: warmup\r\nConnection: close\r\n\r\n")) {
                client.getInputStream().readAllBytes();
            }
        }

        private static Socket connect(InetSocketAddress address, String request) throws IOException {
            Socket client = new Socket();
            try {
                client.connect(address, TIMEOUT_MILLIS);
                client.setSoTimeout(TIMEOUT_MILLIS);
                client.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                return client;
            } catch (IOException e) {
                client.close();
                throw e;
            }
        }
    }

    /**
     * Waits until every loop has run what was queued before now: the throwaway node's last drains and closes, so its
     * queues are empty and nothing of it runs when it is released.
     */
    private static void awaitLoops(EventLoopGroup loops) {
        for (EventExecutor loop : loops) {
            loop.submit(() -> { }).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /**
     * Waits (until {@code deadline} at most) for the JIT to catch up with what the traffic asked it to compile: until it
     * spent less than a tenth of a 100 ms window compiling.
     */
    private static void awaitQuietCompiler(CompilationMXBean jit, long deadline) {
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return;
        }
        long window = TimeUnit.MILLISECONDS.toNanos(100);
        while (System.nanoTime() + window <= deadline) {
            long before = jit.getTotalCompilationTime();
            LockSupport.parkNanos(window); // an interrupt only ends the wait early
            if (jit.getTotalCompilationTime() - before < TimeUnit.NANOSECONDS.toMillis(window) / 10) {
                return;
            }
        }
    }

    private static long compileMillis(CompilationMXBean jit) {
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }
}
