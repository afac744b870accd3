package io.sluice.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One subscriber stream across its connections: its topic, last event id, sequence windows and counters.
 * Threading: every method runs on {@link #loop} (the stream's channels are registered there), so nothing here is
 * synchronized; the pool reads the counters only from tasks it runs on that loop.
 *
 * <p>Life: {@link #connect()} (paced by the pool) → open on the {@code connected} event (nchan: on the 200
 * response head, {@link ServerApi#openAtResponseHead()}) → on an unexpected close,
 * reconnect with {@code Last-Event-ID} after a short jittered delay; on a storm close, reconnect at once. A
 * first connect that fails is final (the stream counts as failed); a failed reconnect is retried.
 *
 * <p>In a soak run ({@link SoakPlan}) this is a slot holding one stream at a time: each open connection lives its
 * drawn lifetime, then closes, and the slot opens the next stream (its next generation) with fresh topics and no
 * {@code Last-Event-ID}. A slow generation stops reading for its pause once its first connection opens (the gateway
 * queues for it, then it catches up or is cut loose); after a cut it reconnects with {@code Last-Event-ID} as above.
 */
final class LoadStream implements SseScanner.Listener {
    private static final int IDLE = 0;
    private static final int CONNECTING = 1;
    private static final int OPEN = 2;
    private static final int DEAD = 3;

    /**
     * Reconnect delay after an unexpected close, plus up to the same again as jitter. Shorter than the gateway's
     * retry hint (3 s), which is for browsers: a load run wants the stream back quickly.
     */
    private static final long RECONNECT_DELAY_MILLIS = 200;
    /** Matches the --publishers bound; a larger publisher number in the data is not ours. */
    private static final int MAX_PUBLISHERS = 10_000;

    final int index;
    /** The {@link TopicPlan} topic; unused in a soak run. */
    final int topic;
    final int loopIndex;
    final EventLoop loop;
    final LoopStats stats;
    private final SubscriberPool pool;
    private final SseScanner scanner = new SseScanner(this);
    /** One window per publisher connection: sequence numbers count per topic and per connection. */
    private SeqWindow[] windows = new SeqWindow[0];

    private Channel channel;
    private int state = IDLE;
    private int attempt;
    private long connectStartNanos;
    private ScheduledFuture<?> timeout;
    private long readNanos;
    boolean everOpened;

    long deliveries;
    long duplicates;
    long outOfOrder;
    long resets;
    long otherEvents;
    long unexpectedDisconnects;
    long reconnects;
    long reconnectFailures;

    /** Soak: the slot's current stream, its draws, and whether its pause is still to come. */
    private int generation;
    private SoakPlan.StreamDraw draw;
    private boolean pauseDue;
    /** Soak: the open connection is being closed at the end of its life; the next stream follows. */
    private boolean retiring;
    /** Soak: the connection being opened is a new stream's (not a reconnect). */
    private boolean renewing;
    private ScheduledFuture<?> lifeTimer;
    long renewals;
    long pauses;

    boolean stormMember;
    private boolean stormPending;
    boolean stormReconnected;
    boolean stormWithoutLastId;
    private long stormCloseNanos;
    private long stormMissingBefore;
    private long stormDuplicatesBefore;
    private long stormResetsBefore;

    LoadStream(int index, int topic, int loopIndex, EventLoop loop, LoopStats stats, SubscriberPool pool) {
        this.index = index;
        this.topic = topic;
        this.loopIndex = loopIndex;
        this.loop = loop;
        this.stats = stats;
        this.pool = pool;
        if (pool.soak() != null) {
            drawGeneration();
        }
    }

    /** Soak: the topics of the current stream. */
    List<String> soakTopics() {
        return pool.soak().streamTopics(index, generation, draw.slow());
    }

    boolean isOpen() {
        return state == OPEN;
    }

    long missing() {
        long m = 0;
        for (SeqWindow w : windows) {
            if (w != null) {
                m += w.missing();
            }
        }
        return m;
    }

    /** Starts a connection attempt (first connect or reconnect). */
    void connect() {
        if (pool.closing()) {
            state = DEAD;
            return;
        }
        if (!everOpened && pool.limitHit()) {
            // Do not take a descriptor from the reserve the pool just released; this stream is not attempted.
            state = DEAD;
            pool.onFirstConnectSkipped();
            return;
        }
        state = CONNECTING;
        int myAttempt = ++attempt;
        connectStartNanos = System.nanoTime();
        scanner.resetConnection();
        ChannelFuture f = pool.connect(this);
        channel = f.channel();
        timeout = loop.schedule(() -> onTimeout(myAttempt), pool.connectTimeoutNanos(), TimeUnit.NANOSECONDS);
        f.addListener(done -> {
            if (loop.inEventLoop()) {
                onConnectDone(done, myAttempt);
            } else {
                // A channel that could not even be created (EMFILE) fails on the global executor.
                loop.execute(() -> onConnectDone(done, myAttempt));
            }
        });
    }

    /** The request line and headers; called by the handler when the connection is up. */
    ByteBuf request(ByteBufAllocator alloc) {
        StringBuilder sb = new StringBuilder(160);
        sb.append("GET ").append(pool.streamTarget(this)).append(" HTTP/1.1\r\nHost: ").append(pool.hostHeader(index))
                .append("\r\nUser-Agent: sluice-loadgen\r\n").append(pool.api().streamHeaders());
        if (scanner.hasLastId()) {
            sb.append("Last-Event-ID: ").append(scanner.lastId()).append("\r\n");
        }
        sb.append("\r\n");
        ByteBuf buf = alloc.buffer(sb.length());
        buf.writeCharSequence(sb, StandardCharsets.UTF_8);
        return buf;
    }

    /** The response head said 200: a server without a {@code connected} event (nchan) has opened the stream. */
    void onResponseOk() {
        if (pool.api().openAtResponseHead()) {
            onConnected();
        }
    }

    /** Bytes of the stream body arrived; {@code in} is consumed, not released. */
    void onBytes(ByteBuf in) {
        readNanos = System.nanoTime();
        scanner.feed(in);
    }

    @Override
    public void onLoadEvent(long sentNanos, long seq, int publisher) {
        if (publisher >= MAX_PUBLISHERS) {
            otherEvents++;
            return;
        }
        deliveries++;
        switch (window(publisher).accept(seq)) {
            case SeqWindow.NEW -> stats.delivered(sentNanos, readNanos);
            case SeqWindow.DUPLICATE -> duplicates++;
            default -> {
                outOfOrder++;
                stats.delivered(sentNanos, readNanos);
            }
        }
    }

    private SeqWindow window(int publisher) {
        if (publisher >= windows.length) {
            windows = Arrays.copyOf(windows, publisher + 1);
        }
        SeqWindow w = windows[publisher];
        if (w == null) {
            w = new SeqWindow();
            windows[publisher] = w;
        }
        return w;
    }

    @Override
    public void onConnected() {
        if (state != CONNECTING) {
            otherEvents++;
            return;
        }
        state = OPEN;
        cancelTimeout();
        long now = System.nanoTime();
        pool.streamOpened();
        if (pool.soak() != null) {
            soakOpened();
        }
        if (!everOpened) {
            everOpened = true;
            stats.connectLatency.recordValue(Histograms.clamp(now - connectStartNanos));
            pool.onFirstOpen(now);
            return;
        }
        if (renewing) {
            renewing = false;
            renewals++;
            return;
        }
        reconnects++;
        if (stormPending) {
            stormPending = false;
            stormReconnected = true;
            stats.reconnectLatency.recordValue(Histograms.clamp(now - stormCloseNanos));
            pool.onStormReconnected(now);
        }
    }

    @Override
    public void onReset() {
        resets++;
    }

    @Override
    public void onOtherEvent() {
        otherEvents++;
    }

    /** The response was not 200: this attempt failed (the handler closes the channel). */
    void onHttpError(int status) {
        failed("http " + status);
    }

    /** The connection broke (I/O error, protocol violation); the handler closes the channel. */
    void onError(String reason) {
        if (state == CONNECTING) {
            failed(reason);
        } else {
            pool.countError(reason);
        }
    }

    /** Every close of one of this stream's channels arrives here (from the handler's channelInactive). */
    void onChannelClosed(Channel ch) {
        if (ch != channel) {
            return;
        }
        channel = null;
        cancelTimeout();
        int was = state;
        state = IDLE;
        if (was == OPEN) {
            pool.streamClosed();
            if (pool.soak() != null) {
                pool.soak().closed(index);
            }
        }
        cancelLifeTimer();
        if (pool.closing()) {
            state = DEAD;
            return;
        }
        if (retiring) {
            retiring = false;
            renew();
            return;
        }
        if (was == CONNECTING) {
            failed("closed before connected");
        } else if (was == OPEN) {
            if (stormPending) {
                connect();
            } else {
                unexpectedDisconnects++;
                scheduleReconnect();
            }
        }
    }

    /** {@code --reconnect-storm}: close now and reconnect at once with the last event id. */
    void stormClose() {
        if (state != OPEN || channel == null) {
            pool.onStormNotOpen();
            return;
        }
        stormMember = true;
        stormPending = true;
        stormCloseNanos = System.nanoTime();
        stormMissingBefore = missing();
        stormDuplicatesBefore = duplicates;
        stormResetsBefore = resets;
        stormWithoutLastId = !scanner.hasLastId();
        channel.close();
    }

    boolean stormGaps() {
        return missing() > stormMissingBefore;
    }

    boolean stormDuplicates() {
        return duplicates > stormDuplicatesBefore;
    }

    boolean stormReset() {
        return resets > stormResetsBefore;
    }

    // ---- soak ----

    private void drawGeneration() {
        draw = pool.soak().stream(index, generation);
        pauseDue = draw.slow();
    }

    /** A connection opened: schedule the end of its life, and a slow stream's pause on its first connection. */
    private void soakOpened() {
        pool.soak().opened(index, generation);
        Channel ch = channel;
        long life = draw.lifetimeNanos();
        if (pauseDue) {
            pauseDue = false;
            pauses++;
            life += draw.pauseNanos();
            ch.config().setAutoRead(false);
            loop.schedule(() -> {
                if (ch == channel) {
                    ch.config().setAutoRead(true);
                }
            }, draw.pauseNanos(), TimeUnit.NANOSECONDS);
        }
        lifeTimer = loop.schedule(() -> retire(ch), life, TimeUnit.NANOSECONDS);
    }

    /** The connection's life is over: close it; {@link #onChannelClosed} then opens the slot's next stream. */
    private void retire(Channel ch) {
        lifeTimer = null;
        if (ch != channel || state != OPEN) {
            return;
        }
        retiring = true;
        ch.close();
    }

    /** The slot's next stream: fresh topics, its own draws, no Last-Event-ID. */
    private void renew() {
        generation++;
        drawGeneration();
        renewing = true;
        scanner.newStream();
        connect();
    }

    private void cancelLifeTimer() {
        if (lifeTimer != null) {
            lifeTimer.cancel(false);
            lifeTimer = null;
        }
    }

    /** Closes the current connection for good (the pool is closing). */
    void close() {
        state = DEAD;
        cancelTimeout();
        cancelLifeTimer();
        if (channel != null) {
            channel.close();
        }
    }

    private void onConnectDone(Future<?> done, int myAttempt) {
        if (myAttempt != attempt || done.isSuccess() || state != CONNECTING) {
            return;
        }
        failed(Reasons.of(done.cause()));
    }

    private void onTimeout(int myAttempt) {
        if (myAttempt == attempt && state == CONNECTING) {
            failed(Reasons.CONNECT_TIMEOUT);
        }
    }

    private void failed(String reason) {
        Channel ch = channel;
        channel = null;
        cancelTimeout();
        if (ch != null && ch.isRegistered()) {
            // A channel that could not be created (EMFILE) was never registered; there is nothing to close.
            ch.close();
        }
        if (pool.closing()) {
            state = DEAD;
            return;
        }
        if (!everOpened) {
            state = DEAD;
            pool.onFirstConnectFailed(reason);
            return;
        }
        state = IDLE;
        reconnectFailures++;
        pool.countError("reconnect: " + reason);
        scheduleReconnect();
    }

    private void scheduleReconnect() {
        long delay = RECONNECT_DELAY_MILLIS + ThreadLocalRandom.current().nextLong(RECONNECT_DELAY_MILLIS);
        loop.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }
}
