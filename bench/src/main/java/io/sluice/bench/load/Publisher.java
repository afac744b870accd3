package io.sluice.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.HdrHistogram.Histogram;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Publishes load events over {@code --publishers} keep-alive HTTP/1.1 connections, each with at most one request
 * in flight, paced by a deadline schedule: request {@code k} of a rate segment is due at
 * {@code segmentStart + (k - segmentBase) / requestRate}, so pacing never drifts; requests that come due while
 * every connection is busy form a backlog sent as connections free up (reported, never dropped silently). Events go
 * round-robin over the {@link TopicPlan}'s topics with {@code --payload} bytes of data, or in a soak run to the topic
 * and with the size {@link SoakPlan#draw} picks (sequence numbers then count per connection).
 *
 * <p>Threading: everything but the {@code AtomicLong*} results runs on one dedicated event loop (pacing ticks,
 * encoding, responses). The coordinator thread calls {@link #connect}, {@link #start}, {@link #setRate},
 * {@link #stop}, {@link #close} and the getters; those hop onto the loop where needed.
 */
final class Publisher implements AutoCloseable {
    /** Shortest pause between pacing ticks: fine enough for 20k requests/s per tick stream, coarse enough to idle. */
    private static final long MIN_TICK_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    private static final long RECONNECT_DELAY_MILLIS = 100;

    private final LoadOptions options;
    private final TopicPlan plan;
    private final ClientTransport transport;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final PayloadEncoder encoder;
    private final ServerApi api;
    /** Soak runs only; null otherwise. */
    private final SoakPlan soak;
    /**
     * Request heads up to {@code Content-Length: }, by topic when the request target names the topic
     * ({@link ServerApi#bareEventBody()}), else one for all; built on first use. Loop-confined.
     */
    private final byte[][] heads;
    private final int batch;

    // ---- loop-confined state ----
    private final List<Conn> conns = new ArrayList<>();
    private final ArrayDeque<Conn> idle = new ArrayDeque<>();
    private final int[] topicScratch;
    private final long[] seqScratch;
    /** Soak: each batch event's topic and data size. */
    private final String[] soakTopics;
    private final int[] soakSizes;
    private final SplittableRandom random;
    private final Histogram rtt = Histograms.newHistogram();
    private int[] subscribers;
    private Timeline timeline;
    private int topicCursor;
    private boolean running;
    private boolean closing;
    private double requestsPerNano;
    private double targetRate;
    private long segmentStart;
    private double segmentBase;
    private long issued;
    private long notSent;

    // ---- results: written on the loop, read by the coordinator ----
    private final AtomicLongArray acceptedByBucket;
    private final AtomicLongArray expectedByBucket;
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong acceptedBodyBytes = new AtomicLong();
    private final AtomicLong requestsOk = new AtomicLong();
    private final AtomicLong requestsFailed = new AtomicLong();
    private final AtomicLong eventsFailed = new AtomicLong();
    private final AtomicLong eventsUnknown = new AtomicLong();
    private final AtomicLong backlogMax = new AtomicLong();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();

    /** {@code soak}: a soak run's plan, or null. */
    Publisher(LoadOptions options, TopicPlan plan, SoakPlan soak) {
        this.options = options;
        this.plan = plan;
        this.soak = soak;
        this.transport = ClientTransport.select(options.transport());
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("loadgen-publish"),
                transport.ioHandlerFactory());
        this.loop = group.next();
        this.encoder = soak == null ? new PayloadEncoder(options.payload())
                : new PayloadEncoder(options.payload(), soak.spec().largestData());
        this.api = options.server();
        this.batch = options.batch();
        this.heads = new byte[api.bareEventBody() ? plan.topicCount() : 1][];
        this.topicScratch = new int[batch];
        this.seqScratch = new long[batch];
        this.soakTopics = new String[batch];
        this.soakSizes = new int[batch];
        this.random = new SplittableRandom(options.seed());
        int buckets = Timeline.bucketCount(options);
        this.acceptedByBucket = new AtomicLongArray(buckets);
        this.expectedByBucket = new AtomicLongArray(buckets);
        this.bootstrap = new Bootstrap().group(loop).channel(transport.channelClass())
                .remoteAddress(options.publishAddress())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(options.connectTimeoutNanos())));
    }

    /** One publishing connection slot, across reconnects. Loop-confined. */
    private static final class Conn {
        /** Written into each event as {@code pub}: sequence numbers count per topic and per connection. */
        final int index;
        final long[] nextSeq;
        Channel channel;
        boolean busy;
        long sendNanos;
        int bucket;
        int bodyLength;
        long expected;
        int status;
        boolean keepAlive;

        Conn(int index, int topics) {
            this.index = index;
            this.nextSeq = new long[topics];
        }
    }

    /** Last handler of a publishing channel, after the response decoder. One per channel; runs on the loop. */
    private final class ResponseHandler extends SimpleChannelInboundHandler<HttpObject> {
        private final Conn conn;

        ResponseHandler(Conn conn) {
            this.conn = conn;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg.decoderResult().isFailure()) {
                countError("bad response: " + Reasons.of(msg.decoderResult().cause()));
                ctx.close();
                return;
            }
            if (msg instanceof HttpResponse r) {
                conn.status = r.status().code();
                conn.keepAlive = HttpUtil.isKeepAlive(r);
            }
            if (msg instanceof LastHttpContent && conn.busy && ctx.channel() == conn.channel) {
                completed(conn);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (ctx.channel() == conn.channel) {
                lost(conn, "connection closed");
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            countError("io: " + Reasons.of(cause));
            ctx.close();
        }
    }

    /** Opens every connection; returns how many are up. Coordinator thread. */
    int connect() throws InterruptedException {
        List<ChannelFuture> futures = new ArrayList<>();
        for (int i = 0; i < options.publishers(); i++) {
            int index = i;
            futures.add(onLoop(() -> open(new Conn(index, plan.topicCount()))));
        }
        int up = 0;
        for (ChannelFuture f : futures) {
            if (f.await(options.connectTimeoutNanos() + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS) && f.isSuccess()) {
                up++;
            }
        }
        return up;
    }

    private ChannelFuture open(Conn c) {
        conns.add(c);
        ChannelFuture f = bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new HttpResponseDecoder(), new ResponseHandler(c));
            }
        }).connect();
        c.channel = f.channel();
        f.addListener(done -> {
            if (loop.inEventLoop()) {
                opened(c, f);
            } else {
                // A channel that could not even be created (EMFILE) fails on the global executor.
                loop.execute(() -> opened(c, f));
            }
        });
        return f;
    }

    private void opened(Conn c, ChannelFuture f) {
        if (c.channel != f.channel()) {
            return;
        }
        if (f.isSuccess()) {
            idle.add(c);
            sendDue(System.nanoTime());
        } else {
            countError("connect: " + Reasons.of(f.cause()));
            c.channel = null;
            reopenLater(c);
        }
    }

    private void reopenLater(Conn c) {
        if (closing) {
            return;
        }
        conns.remove(c);
        loop.schedule(() -> {
            if (!closing) {
                open(c);
            }
        }, RECONNECT_DELAY_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts publishing at {@code rate} events/s from {@code timeline.t0()}; {@code subscribers[t]} is how many
     * open streams read topic {@code t} (for expected deliveries). Coordinator thread.
     */
    void start(Timeline timeline, double rate, int[] subscribers) {
        onLoop(() -> {
            this.timeline = timeline;
            this.subscribers = subscribers.clone();
            this.running = true;
            this.segmentStart = timeline.t0();
            this.segmentBase = 1;
            this.issued = 0;
            rate(rate);
            loop.schedule(this::tick, Math.max(0, timeline.t0() - System.nanoTime()), TimeUnit.NANOSECONDS);
            return null;
        });
    }

    /** From {@code atNanos} on, publish at {@code rate} events/s (ramp steps). Coordinator thread. */
    void setRate(double rate, long atNanos) {
        onLoop(() -> {
            segmentBase = due(atNanos);
            segmentStart = atNanos;
            rate(rate);
            return null;
        });
    }

    private void rate(double eventsPerSecond) {
        targetRate = eventsPerSecond;
        requestsPerNano = eventsPerSecond / batch / 1e9;
    }

    /** Stops issuing requests and waits (up to {@code timeoutNanos}) for those in flight. Coordinator thread. */
    void stop(long timeoutNanos) throws InterruptedException {
        onLoop(() -> {
            if (running) {
                running = false;
                notSent = Math.max(0, (long) due(System.nanoTime()) - issued);
            }
            return null;
        });
        long deadline = System.nanoTime() + timeoutNanos;
        while (System.nanoTime() - deadline < 0 && onLoop(() -> conns.stream().anyMatch(c -> c.busy))) {
            Thread.sleep(10);
        }
    }

    private double due(long now) {
        return segmentBase + (now - segmentStart) * requestsPerNano;
    }

    private void tick() {
        if (!running) {
            return;
        }
        long now = System.nanoTime();
        sendDue(now);
        double nextDue = segmentStart + (issued + 1 - segmentBase) / requestsPerNano;
        long delay = Math.max(MIN_TICK_NANOS, (long) (nextDue - now));
        loop.schedule(this::tick, delay, TimeUnit.NANOSECONDS);
    }

    private void sendDue(long now) {
        if (!running || now - segmentStart < 0) {
            return;
        }
        long due = (long) due(now);
        while (issued < due) {
            Conn c = idle.pollFirst();
            if (c == null) {
                break;
            }
            issued++;
            send(c);
        }
        long backlog = due - issued;
        if (backlog > backlogMax.get()) {
            backlogMax.lazySet(backlog);
        }
    }

    private int nextTopic() {
        int t = topicCursor;
        topicCursor = t + 1 == plan.topicCount() ? 0 : t + 1;
        return t;
    }

    /** The request head up to {@code Content-Length: } for a request whose (first) event goes to {@code topic}. */
    private byte[] head(int topic) {
        int i = api.bareEventBody() ? topic : 0;
        byte[] h = heads[i];
        if (h == null) {
            h = PayloadEncoder.ascii("POST " + api.publishTarget(options.basePath(), TopicPlan.topicName(topic))
                    + " HTTP/1.1\r\nHost: " + options.hostHeader() + "\r\nUser-Agent: sluice-loadgen\r\n"
                    + "Content-Type: application/json\r\nContent-Length: ");
            heads[i] = h;
        }
        return h;
    }

    private void send(Conn c) {
        long ts = System.nanoTime();
        int bodyLength = batch > 1 ? 2 + batch - 1 : 0;
        long expected = 0;
        boolean bare = api.bareEventBody();
        for (int j = 0; j < batch; j++) {
            int t = soak == null ? nextTopic() : 0;
            long s = c.nextSeq[t]++;
            topicScratch[j] = t;
            seqScratch[j] = s;
            if (soak != null) {
                SoakPlan.Draw d = soak.draw(random);
                soakTopics[j] = d.topic();
                soakSizes[j] = d.size();
                bodyLength += encoder.eventLength(d.topic(), ts, s, c.index, d.size());
                continue;
            }
            bodyLength += bare ? encoder.dataLength(ts, s, c.index) : encoder.eventLength(t, ts, s, c.index);
            expected += subscribers[t];
        }
        byte[] head = head(topicScratch[0]);
        ByteBuf buf = c.channel.alloc().directBuffer(head.length + 16 + bodyLength);
        buf.writeBytes(head);
        PayloadEncoder.writeDecimal(buf, bodyLength);
        buf.writeByte('\r').writeByte('\n').writeByte('\r').writeByte('\n');
        if (batch > 1) {
            buf.writeByte('[');
        }
        for (int j = 0; j < batch; j++) {
            if (j > 0) {
                buf.writeByte(',');
            }
            if (soak != null) {
                encoder.writeEvent(buf, soakTopics[j], ts, seqScratch[j], c.index, soakSizes[j]);
            } else if (bare) {
                encoder.writeData(buf, ts, seqScratch[j], c.index);
            } else {
                encoder.writeEvent(buf, topicScratch[j], ts, seqScratch[j], c.index);
            }
        }
        if (batch > 1) {
            buf.writeByte(']');
        }
        c.busy = true;
        c.sendNanos = ts;
        c.bucket = timeline.bucketOf(ts);
        c.expected = expected;
        c.bodyLength = bodyLength;
        c.status = 0;
        c.channel.writeAndFlush(buf, c.channel.voidPromise());
    }

    private void completed(Conn c) {
        long now = System.nanoTime();
        c.busy = false;
        rtt.recordValue(Histograms.clamp(now - c.sendNanos));
        // Any 2xx: Sluice answers 200; nchan 201 (delivered to subscribers) or 202 (stored, none listening).
        if (c.status / 100 == 2) {
            requestsOk.incrementAndGet();
            accepted.addAndGet(batch);
            acceptedBodyBytes.addAndGet(c.bodyLength);
            if (c.bucket >= 0) {
                acceptedByBucket.addAndGet(c.bucket, batch);
                expectedByBucket.addAndGet(c.bucket, c.expected);
            }
        } else {
            requestsFailed.incrementAndGet();
            eventsFailed.addAndGet(batch);
            countError("http " + c.status);
        }
        if (c.keepAlive) {
            idle.addLast(c);
            sendDue(now);
        } else {
            c.channel.close();
        }
    }

    private void lost(Conn c, String why) {
        idle.remove(c);
        if (c.busy) {
            c.busy = false;
            requestsFailed.incrementAndGet();
            eventsUnknown.addAndGet(batch);
            countError("io: " + why + " with a request in flight (outcome unknown)");
        }
        c.channel = null;
        reopenLater(c);
    }

    private void countError(String reason) {
        errors.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    // ---- results (coordinator thread) ----

    long accepted() {
        return accepted.get();
    }

    /** Bytes of the request bodies the server accepted (the events as JSON, all topics). */
    long acceptedBodyBytes() {
        return acceptedBodyBytes.get();
    }

    long acceptedIn(int bucket) {
        return acceptedByBucket.get(bucket);
    }

    long expectedIn(int bucket) {
        return expectedByBucket.get(bucket);
    }

    long requestsOk() {
        return requestsOk.get();
    }

    long requestsFailed() {
        return requestsFailed.get();
    }

    long eventsFailed() {
        return eventsFailed.get();
    }

    long eventsUnknown() {
        return eventsUnknown.get();
    }

    long backlogMax() {
        return backlogMax.get();
    }

    double targetRate() {
        return onLoop(() -> targetRate);
    }

    long notSent() {
        return onLoop(() -> notSent);
    }

    Map<String, Long> errors() {
        Map<String, Long> out = new TreeMap<>();
        errors.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** A copy of the request round-trip histogram (send to full response). */
    Histogram rtt() {
        return onLoop(rtt::copy);
    }

    String transportName() {
        return transport.name();
    }

    private <T> T onLoop(Callable<T> task) {
        try {
            return loop.submit(task).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the publisher loop", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("publisher loop did not answer: " + e, e);
        }
    }

    @Override
    public void close() {
        try {
            onLoop(() -> {
                closing = true;
                running = false;
                for (Conn c : conns) {
                    if (c.channel != null) {
                        c.channel.close();
                    }
                }
                return null;
            });
        } catch (IllegalStateException e) {
            countError("close: " + e.getMessage());
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
