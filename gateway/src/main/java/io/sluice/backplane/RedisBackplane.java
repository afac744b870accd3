package io.sluice.backplane;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.netty.util.concurrent.DefaultEventExecutor;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.sluice.api.DeferredAnswer;
import io.sluice.config.RedisAddress;
import io.sluice.fanout.CommitResult;
import io.sluice.fanout.EncodedEvent;
import io.sluice.fanout.FanoutCore;
import io.sluice.fanout.Topic;
import io.sluice.metrics.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Cluster mode: every node appends publishes to one Redis stream and reads it back into its own fan-out
 * (docs/scaling.md).
 *
 * <p>Publish: the batch goes to Redis as one {@link PublishScript} call (all or nothing, consecutive positions in
 * the global order) on this node's publish connection, and the publisher gets {@code 200} only once Redis has
 * acknowledged it, with the Redis-assigned ids ({@link StreamIds}). Nothing is committed locally at that point:
 * this node's {@link StreamReader} delivers the events like every other node's, through
 * {@link FanoutCore#commitAssigned}. {@code sent} is the number of streams on this node subscribed to each event's
 * topic when Redis acknowledged (the same count a single node reports; other nodes' streams are not counted).
 *
 * <p>Failures: while either connection is down, or the reader has not yet caught up with the stream, the
 * backplane is not {@linkplain #isUp() up}: publishes fail at once with {@link BackplaneUnavailableException}
 * (503), {@code /readyz} answers 503, and open streams stay open. Reconnection uses {@link Backoff} (exponential,
 * jittered); the reader resumes after the last entry it read, so no entry Redis still holds is missed. A publish
 * whose connection fails after it was sent fails too, although Redis may have applied it (at most once from the
 * publisher's view; see docs/scaling.md).
 *
 * <p>Control plane ({@link RedisControlPlane}): a third connection subscribes to the control channel; its commands
 * (scripts, {@code PUBLISH}) go on the publish connection. It lives and dies with the other two.
 *
 * <p>Threading: Lettuce's own I/O threads run the connections; this class's state (connect, fail, reconnect) and
 * the reader run on one executor thread, {@code sluice-backplane}. Nothing here runs on, or blocks, a gateway
 * event loop: {@link #publish} only builds the script call, and its completion is handed back to the publishing
 * channel's loop by the caller ({@code PublishService}) with {@code EventLoop.execute}.
 */
public final class RedisBackplane implements Backplane {
    private static final Logger log = LoggerFactory.getLogger(RedisBackplane.class);

    /** Time to open a TCP (and TLS) connection to Redis before the attempt counts as failed. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /**
     * A publish Redis has not acknowledged in this long fails (503). Redis answers in well under a millisecond
     * when healthy; this is the "something is wrong" bound, with room for a loaded machine.
     */
    static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(5);
    /**
     * Slack on top of a blocking read's {@link StreamReader#BLOCK_MILLIS} before the read counts as failed and the
     * connections are replaced: the reader is what notices a silently dead Redis (no FIN, no RST).
     */
    static final Duration READ_TIMEOUT_SLACK = Duration.ofSeconds(10);
    /** First reconnect step; doubled per failed attempt. */
    static final long RECONNECT_BASE_MILLIS = 100;
    /** Longest reconnect step: a node notices a recovered Redis within this (plus the connect time). */
    static final long RECONNECT_MAX_MILLIS = 5_000;
    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private final RedisAddress address;
    private final String streamKey;
    private final FanoutCore fanout;
    private final GatewayMetrics metrics;
    private final PublishScript script;
    private final ClientResources resources;
    private final RedisClient client;
    /** Runs every state change and the reader; see the class comment. */
    private final EventExecutor executor;
    private final StreamReader reader;
    private final RedisControlPlane control;
    private final Backoff backoff = new Backoff(RECONNECT_BASE_MILLIS, RECONNECT_MAX_MILLIS);

    /** The connections in use, or null while down. Written on the executor only. */
    private volatile Link link;
    /** Whether publishes are accepted: connected and the reader caught up. Written on the executor only. */
    private volatile boolean up;
    private volatile boolean closed;
    /** When the publish connection last delivered a reply ({@link System#nanoTime()}). */
    private volatile long lastPublishReplyNanos = System.nanoTime();
    /** Connection attempts not yet complete. */
    private final Set<CompletableFuture<?>> connecting = ConcurrentHashMap.newKeySet();
    /**
     * Every connection opened and not yet closed. {@link #close()} closes them and waits before Lettuce's event
     * loops stop: a channel still open then is never unregistered (epoll), and Lettuce frees its read buffer only
     * on that.
     */
    private final Set<StatefulRedisConnection<?, ?>> opened = ConcurrentHashMap.newKeySet();
    /** Closes not yet complete. */
    private final Set<CompletableFuture<?>> closing = ConcurrentHashMap.newKeySet();

    /**
     * One generation of connections, replaced as a whole when any fails: publishes and control scripts, the reader,
     * and the control plane's subscription.
     */
    record Link(StatefulRedisConnection<String, byte[]> publisher, StatefulRedisConnection<String, byte[]> reader,
                StatefulRedisPubSubConnection<String, String> control, String scriptSha) {
        boolean isOpen() {
            return publisher.isOpen() && reader.isOpen() && control.isOpen();
        }

        boolean uses(RedisChannelHandler<?, ?> connection) {
            return publisher == connection || reader == connection || control == connection;
        }
    }

    /**
     * @param maxLen entries the stream keeps, 0 for no count limit
     * @param maxAge age of entries the stream keeps, zero for no age limit
     * @param fanout a core built with {@link FanoutCore#forSharedLog}
     */
    public RedisBackplane(RedisAddress address, String streamKey, int maxLen, Duration maxAge, FanoutCore fanout,
                          GatewayMetrics metrics) {
        this.address = address;
        this.streamKey = streamKey;
        this.fanout = fanout;
        this.metrics = metrics;
        this.script = new PublishScript(streamKey, maxLen, maxAge.toMillis());
        this.executor = new DefaultEventExecutor(new DefaultThreadFactory("sluice-backplane", true));
        // three connections on two I/O threads (the control plane's subscription carries little); the computation pool
        // (Lettuce's minimum, 2) only runs its housekeeping
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
        this.client = RedisClient.create(resources);
        client.setOptions(ClientOptions.builder()
                // reconnection is ours (backoff with jitter, all connections together, reader position kept);
                // Lettuce's would replay commands in flight after a reconnect: a publish could be appended twice
                .autoReconnect(false)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.builder().timeoutCommands(true).connectionTimeout().build())
                .socketOptions(SocketOptions.builder().connectTimeout(CONNECT_TIMEOUT).keepAlive(true).build())
                .build());
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                onExecutor(() -> {
                    Link current = link;
                    if (current != null && current.uses(connection)) {
                        fail(current, "connection closed");
                    }
                });
            }
        });
        this.reader = new StreamReader(this, fanout, streamKey, executor);
        this.control = new RedisControlPlane(streamKey, () -> link);
    }

    @Override
    public ControlPlane control() {
        return control;
    }

    /** Starts connecting in the background; {@link #isUp()} turns true once the stream's retained window is read. */
    public void start() {
        onExecutor(this::connect);
    }

    @Override
    public CompletionStage<CommitResult> publish(List<EncodedEvent> batch) {
        Link l = link;
        if (!up || l == null) {
            batch.forEach(EncodedEvent::release);
            return CompletableFuture.failedFuture(new BackplaneUnavailableException(
                    "the Redis backplane is unreachable; retry shortly"));
        }
        if (!fanout.historyCanHold(batch)) {
            batch.forEach(EncodedEvent::release);
            return CompletableFuture.failedFuture(new BackplaneUnavailableException(
                    "the batch is larger than historyMaxBytes lets a node hold; publish it in smaller batches"));
        }
        int n = batch.size();
        String[] topics = new String[n];
        String[] types = new String[n];
        String[] connections = new String[n];
        byte[][] args;
        try {
            for (int i = 0; i < n; i++) {
                EncodedEvent e = batch.get(i);
                topics[i] = e.topic();
                types[i] = e.type();
                connections[i] = e.connection();
            }
            args = script.args(batch, fanout.lastAssignedId());
        } finally {
            // every node, this one included, encodes the frame from the entry its reader gets back
            batch.forEach(EncodedEvent::release);
        }
        RedisAsyncCommands<String, byte[]> commands = l.publisher().async();
        CompletionStage<List<Object>> appended = commands.<List<Object>>evalsha(l.scriptSha(), ScriptOutputType.MULTI,
                        script.keys(), args)
                .exceptionallyCompose(failure -> unwrap(failure) instanceof RedisNoScriptException
                        // the script cache was flushed since this connection loaded it
                        ? commands.<List<Object>>eval(script.source(), ScriptOutputType.MULTI, script.keys(), args)
                        : CompletableFuture.failedFuture(failure));
        return appended.handle((reply, failure) -> accepted(l, topics, types, connections, reply, failure));
    }

    /**
     * Lettuce thread. Turns the script's reply into the publish answer, or the failure into a 503. {@code sent} counts
     * this node's streams whose topics and type filter match each event, as the reply comes.
     *
     * @param connections each connection event's stream, null for an event of a topic
     */
    private CommitResult accepted(Link l, String[] topics, String[] types, String[] connections, List<Object> reply,
                                  Throwable failure) {
        if (failure != null) {
            Throwable cause = unwrap(failure);
            if (cause instanceof RedisCommandExecutionException) {
                // Redis answered with an error (out of memory, a wrong key type): the connection is fine
                log.warn("Redis refused a publish: {}", cause.getMessage());
            } else if (!(cause instanceof RedisCommandTimeoutException)
                    || System.nanoTime() - lastPublishReplyNanos > PUBLISH_TIMEOUT.toNanos()) {
                // the connection is gone, or silent for a whole timeout (not merely slow under load)
                onExecutor(() -> fail(l, cause.toString()));
            }
            throw new BackplaneUnavailableException("Redis did not accept the publish ("
                    + cause.getClass().getSimpleName() + "); retry shortly");
        }
        lastPublishReplyNanos = System.nanoTime();
        if (reply == null || reply.size() != topics.length) {
            throw new IllegalStateException("publish script answered " + reply + " for " + topics.length + " events");
        }
        long[] ids = new long[topics.length];
        int sent = 0;
        for (int i = 0; i < ids.length; i++) {
            Object id = reply.get(i);
            ids[i] = StreamIds.pack(id instanceof byte[] bytes ? new String(bytes, StandardCharsets.US_ASCII)
                    : String.valueOf(id));
            if (ids[i] < 0) {
                throw new IllegalStateException("publish script answered an id Sluice cannot use: " + id);
            }
            if (connections[i] != null) {
                sent += fanout.holdsConnection(connections[i]) ? 1 : 0;
            } else {
                Topic topic = fanout.topics().find(topics[i]);
                sent += topic == null ? 0 : topic.matchingStreams(types[i]);
            }
        }
        metrics.eventsPublished(ids.length);
        return new CommitResult(ids, sent);
    }

    @Override
    public boolean isUp() {
        return up;
    }

    @Override
    public String describe() {
        return address + " stream " + streamKey;
    }

    /**
     * Executor. Opens the three connections, loads the publish script and prepares the control plane (subscription,
     * node id); on success the reader starts.
     */
    private void connect() {
        if (closed || link != null) {
            return;
        }
        CompletableFuture<StatefulRedisConnection<String, byte[]>> publisher =
                track(client.connectAsync(CODEC, uri("sluice-publish")).toCompletableFuture());
        CompletableFuture<StatefulRedisConnection<String, byte[]>> readerConnection =
                track(client.connectAsync(CODEC, uri("sluice-reader")).toCompletableFuture());
        CompletableFuture<StatefulRedisPubSubConnection<String, String>> controlConnection =
                track(client.connectPubSubAsync(StringCodec.UTF8, uri("sluice-control")).toCompletableFuture());
        publisher.thenCombine(readerConnection, (p, r) -> p).thenCombine(controlConnection, (p, c) -> p)
                .thenCompose(p -> p.async().scriptLoad(script.source()))
                .thenCompose(sha -> control.prepare(publisher.join(), controlConnection.join()).thenApply(v -> sha))
                .thenApply(sha -> new Link(publisher.join(), readerConnection.join(), controlConnection.join(), sha))
                .whenCompleteAsync((l, failure) -> connected(l, failure, List.of(publisher, readerConnection,
                        controlConnection)), executor);
    }

    /** Executor. */
    private void connected(Link l, Throwable failure, List<CompletableFuture<? extends StatefulRedisConnection<?, ?>>> opening) {
        if (failure != null || closed) {
            opening.forEach(c -> c.thenAccept(this::closeConnection));
            if (!closed) {
                scheduleReconnect(String.valueOf(unwrap(failure).getMessage()));
            }
            return;
        }
        l.publisher().setTimeout(PUBLISH_TIMEOUT);
        l.control().setTimeout(PUBLISH_TIMEOUT);
        l.reader().setTimeout(READ_TIMEOUT_SLACK.plus(Duration.ofMillis(StreamReader.BLOCK_MILLIS)));
        lastPublishReplyNanos = System.nanoTime();
        link = l;
        if (!l.isOpen()) {
            fail(l, "connection closed while connecting");
            return;
        }
        log.debug("connected to Redis {}; reading {} after {}", address, streamKey, reader.position());
        control.connected();
        reader.connected();
    }

    /** Executor. Drops {@code l} (if still current), refuses publishes, and reconnects later. */
    void fail(Link l, String why) {
        if (l == null || link != l) {
            return;
        }
        link = null;
        boolean wasUp = up;
        up = false;
        closeConnection(l.publisher());
        closeConnection(l.reader());
        closeConnection(l.control());
        if (wasUp) {
            log.warn("Redis backplane {} is down ({}): publishes are refused and /readyz is 503 until it is back;"
                    + " open streams stay open", address, why);
        }
        scheduleReconnect(why);
    }

    /** Executor. */
    private void scheduleReconnect(String why) {
        if (closed) {
            return;
        }
        long delay = backoff.nextDelayMillis();
        int attempt = backoff.attempts();
        if (attempt == 1 || attempt % 10 == 0) {
            log.warn("cannot use Redis {} ({}); attempt {}, retrying in {} ms", address, why, attempt, delay);
        } else {
            log.debug("cannot use Redis {} ({}); attempt {}, retrying in {} ms", address, why, attempt, delay);
        }
        executor.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    }

    /** Executor. The reader has read everything Redis held when its last read began: accept publishes. */
    void markUp(Link l) {
        if (closed || link != l || up) {
            return;
        }
        up = true;
        backoff.reset();
        log.info("Redis backplane {} is up; this node has read {} up to {}", address, streamKey, reader.position());
    }

    /** The connections in use, or null while down. */
    Link currentLink() {
        return link;
    }

    private RedisURI uri(String clientName) {
        RedisURI.Builder b = RedisURI.builder()
                .withHost(address.host())
                .withPort(address.port())
                .withSsl(address.tls())
                .withDatabase(address.database())
                .withTimeout(CONNECT_TIMEOUT)
                .withClientName(clientName);
        if (!address.user().isEmpty()) {
            b.withAuthentication(address.user(), address.password().toCharArray());
        } else if (!address.password().isEmpty()) {
            b.withPassword(address.password().toCharArray());
        }
        return b.build();
    }

    /** Closes a connection once (Lettuce warns on a second close); {@link #close()} waits for it. */
    private void closeConnection(StatefulRedisConnection<?, ?> connection) {
        if (opened.remove(connection)) {
            CompletableFuture<Void> closing = connection.closeAsync();
            this.closing.add(closing);
            closing.whenComplete((v, e) -> this.closing.remove(closing));
        }
    }

    /** Remembers a connection attempt, and the connection it opens until that is closed. */
    private <C extends StatefulRedisConnection<?, ?>> CompletableFuture<C> track(CompletableFuture<C> attempt) {
        connecting.add(attempt);
        attempt.whenComplete((connection, failure) -> {
            if (connection != null) {
                opened.add(connection);
            }
            connecting.remove(attempt);
        });
        return attempt;
    }

    private static void awaitAll(List<? extends CompletableFuture<?>> futures, long deadlineNanos) {
        try {
            CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]))
                    .get(Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // a failed attempt opened nothing; a close that hangs is abandoned
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void onExecutor(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            // closed: nothing left to do
        }
    }

    private static Throwable unwrap(Throwable t) {
        return DeferredAnswer.unwrap(t);
    }

    /**
     * Stops reading and publishing and closes the connections. Call before the gateway's event loops stop (the
     * reader hands events to them). Blocks for at most a few seconds; idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        up = false;
        executor.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        // the executor has ended: its state is ours now
        link = null;
        reader.release();
        // attempts in flight end within the connect timeout; then close every connection and wait for it
        long deadline = System.nanoTime() + CONNECT_TIMEOUT.plusSeconds(1).toNanos();
        awaitAll(List.copyOf(connecting), deadline);
        List.copyOf(opened).forEach(this::closeConnection);
        awaitAll(List.copyOf(closing), deadline);
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5_000);
    }
}
