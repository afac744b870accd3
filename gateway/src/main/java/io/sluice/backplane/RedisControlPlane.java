package io.sluice.backplane;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.sluice.api.DeferredAnswer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The control plane of cluster mode: one Redis pub/sub channel, {@code <redisStreamKey>:control}, which every node
 * subscribes to on a connection of its own, and scripts run on the backplane's publish connection. Part of
 * {@link RedisBackplane}'s connections: it is up, down and reconnected with them.
 *
 * <p>Threading: {@link #prepare} runs as a step of the backplane's connect; messages arrive on Lettuce's thread of the
 * subscribing connection, one at a time, in Redis's order, and go straight to the listeners (which hand work off);
 * {@link #connected()} runs on the backplane's executor.
 */
final class RedisControlPlane implements ControlPlane {
    private static final Logger log = LoggerFactory.getLogger(RedisControlPlane.class);
    private static final ControlScript NODE_ID = ControlScript.load(RedisControlPlane.class, "node-id.lua");

    private final String keyPrefix;
    private final String channel;
    private final String nodeIdKey;
    private final Supplier<RedisBackplane.Link> link;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    /** Set once, by the first connect; kept across reconnects (it is unique for the process's life). */
    private volatile long nodeId;

    RedisControlPlane(String streamKey, Supplier<RedisBackplane.Link> link) {
        this.keyPrefix = streamKey + ":";
        this.channel = streamKey + ":control";
        this.nodeIdKey = streamKey + ":node-id";
        this.link = link;
    }

    @Override
    public long nodeId() {
        return nodeId;
    }

    @Override
    public boolean isShared() {
        return true;
    }

    @Override
    public String keyPrefix() {
        return keyPrefix;
    }

    @Override
    public String channel() {
        return channel;
    }

    /**
     * A step of connecting: listens to and subscribes {@code control} to the channel, and takes this node's id on the
     * first connect. Completes once both are done.
     */
    CompletionStage<Void> prepare(StatefulRedisConnection<String, byte[]> publisher,
                                  StatefulRedisPubSubConnection<String, String> control) {
        control.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String from, String message) {
                deliver(message);
            }
        });
        CompletionStage<Void> subscribed = control.async().subscribe(channel);
        if (nodeId != 0) {
            return subscribed;
        }
        return subscribed.thenCompose(v -> eval(publisher.async(), NODE_ID, List.of(nodeIdKey), List.of()))
                .thenAccept(reply -> nodeId = (Long) reply.get(0));
    }

    /** Backplane executor, once connected and subscribed: tells the listeners. */
    void connected() {
        for (Listener listener : listeners) {
            try {
                listener.onConnected();
            } catch (RuntimeException e) {
                log.warn("control listener failed on reconnect", e);
            }
        }
    }

    private void deliver(String message) {
        for (Listener listener : listeners) {
            try {
                listener.onMessage(message);
            } catch (RuntimeException e) {
                log.warn("control listener failed on a message", e);
            }
        }
    }

    @Override
    public CompletionStage<Void> broadcast(String message) {
        RedisBackplane.Link l = link.get();
        if (l == null) {
            return unavailable();
        }
        return l.publisher().async().publish(channel, message.getBytes(StandardCharsets.UTF_8))
                .handle((receivers, failure) -> {
                    if (failure != null) {
                        throw new BackplaneUnavailableException("Redis did not take the message ("
                                + DeferredAnswer.unwrap(failure).getClass().getSimpleName() + "); retry shortly");
                    }
                    return null;
                });
    }

    @Override
    public CompletionStage<List<Object>> run(ControlScript script, List<String> keys, List<String> args) {
        RedisBackplane.Link l = link.get();
        if (l == null) {
            return unavailable();
        }
        return eval(l.publisher().async(), script, keys, args).handle((reply, failure) -> {
            if (failure != null) {
                throw new BackplaneUnavailableException("Redis did not run " + script + " ("
                        + DeferredAnswer.unwrap(failure).getClass().getSimpleName() + "); retry shortly");
            }
            return reply;
        });
    }

    @Override
    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    /** EVALSHA, or EVAL when Redis's script cache lacks the script; the reply with bulk strings as text. */
    private static CompletionStage<List<Object>> eval(RedisAsyncCommands<String, byte[]> commands, ControlScript script,
                                                      List<String> keys, List<String> args) {
        String[] keyArray = keys.toArray(new String[0]);
        byte[][] argArray = new byte[args.size()][];
        for (int i = 0; i < argArray.length; i++) {
            argArray[i] = args.get(i).getBytes(StandardCharsets.UTF_8);
        }
        return commands.<List<Object>>evalsha(script.sha1(), ScriptOutputType.MULTI, keyArray, argArray)
                .exceptionallyCompose(failure -> DeferredAnswer.unwrap(failure) instanceof RedisNoScriptException
                        ? commands.<List<Object>>eval(script.source(), ScriptOutputType.MULTI, keyArray, argArray)
                        : CompletableFuture.failedFuture(failure))
                .thenApply(RedisControlPlane::asText);
    }

    /** A reply with every bulk string decoded as UTF-8 text, recursively. */
    @SuppressWarnings("unchecked")
    private static List<Object> asText(List<Object> reply) {
        List<Object> out = new ArrayList<>(reply == null ? 0 : reply.size());
        if (reply != null) {
            for (Object o : reply) {
                if (o instanceof byte[] bytes) {
                    out.add(new String(bytes, StandardCharsets.UTF_8));
                } else if (o instanceof List<?> list) {
                    out.add(asText((List<Object>) list));
                } else {
                    out.add(o);
                }
            }
        }
        return out;
    }

    private static <T> CompletionStage<T> unavailable() {
        return CompletableFuture.failedFuture(new BackplaneUnavailableException(
                "the Redis backplane is unreachable; retry shortly"));
    }
}
