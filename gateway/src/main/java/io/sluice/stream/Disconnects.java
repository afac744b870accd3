package io.sluice.stream;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.api.ApiError;
import io.sluice.api.ApiException;
import io.sluice.api.DeferredAnswer;
import io.sluice.api.Grammar;
import io.sluice.api.HttpResponses;
import io.sluice.api.Json;
import io.sluice.api.QueryParams;
import io.sluice.auth.AccessPolicy;
import io.sluice.auth.Principal;
import io.sluice.backplane.ControlPlane;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code POST /v1/users/{userId}/disconnect} (CONTRACT §11): every open stream of the user, on every node, gets
 * {@code event: disconnect} (with {@code retry:} first when it may reconnect) and its connection closes, close reason
 * {@code disconnected}. Allowed with a publish key or an admin token (anyone in open development mode); answers
 * {@code {"disconnected":N}}, N being this node's streams of the user.
 *
 * <p>Across a cluster the command travels on the backplane's control plane (Redis pub/sub): the node that takes the
 * request publishes it, then ends its own streams and answers; every other node connected to Redis at that moment ends
 * its streams of the user as the message arrives (within milliseconds). A node that is not connected then never hears
 * of it and never acts on it later: pub/sub keeps nothing. A node answers 503 while Redis is unreachable, since it
 * could not reach the others.
 *
 * <p>Message on the plane: {@code D <origin node> <0|1 reconnect> <user> <reason>}; the origin ignores its own.
 * Thread-safe; the endpoint runs on the request's event loop, messages on the backplane's thread, and each stream is
 * ended on its own loop.
 */
public final class Disconnects implements ControlPlane.Listener {
    /** Longest {@code reason}, in characters: a short text for the client, not a payload. */
    static final int MAX_REASON_LENGTH = 256;
    /** The reason when the request gives none. */
    static final String DEFAULT_REASON = "disconnected";
    private static final String MESSAGE_PREFIX = "D ";

    private final AccessPolicy access;
    private final StreamDirectory directory;
    private final ControlPlane control;
    private final int reconnectMillis;

    public Disconnects(AccessPolicy access, StreamDirectory directory, ControlPlane control, int reconnectMillis) {
        this.access = access;
        this.directory = directory;
        this.control = control;
        this.reconnectMillis = reconnectMillis;
        control.addListener(this);
    }

    /** The route's handler. */
    public void disconnect(ChannelHandlerContext ctx, FullHttpRequest request, QueryParams query, String userId) {
        Principal principal = access.authenticate(ctx.channel(), request, query);
        authorize(principal);
        if (userId.isEmpty() || !Grammar.isTopic(Grammar.USER_TOPIC_PREFIX + userId)) {
            throw ApiException.invalid("userId: must make a topic user/<userId> of " + Grammar.TOPIC_RULE);
        }
        Command command = parse(request, userId);
        CompletionStage<Integer> done;
        if (control.isShared()) {
            done = control.broadcast(command.message(control.nodeId())).thenApply(sent -> endHere(command));
        } else {
            done = CompletableFuture.completedFuture(endHere(command));
        }
        DeferredAnswer.when(ctx, request, done, (n, failure) -> {
            if (failure == null) {
                HttpResponses.json(ctx, request, HttpResponseStatus.OK, Json.write(g -> {
                    g.writeStartObject();
                    g.writeNumberField("disconnected", n);
                    g.writeEndObject();
                }));
            } else {
                HttpResponses.error(ctx, request, ApiError.UNAVAILABLE, "disconnect not sent: " + failure.getMessage(),
                        false, r -> r.headers().set(HttpHeaderNames.RETRY_AFTER, 1));
            }
        });
    }

    /** Backplane thread: another node's disconnect. */
    @Override
    public void onMessage(String message) {
        Command command = Command.parse(message);
        if (command != null && command.origin != control.nodeId()) {
            endHere(command);
        }
    }

    /** Ends this node's streams of the command's user; returns how many. Any thread. */
    private int endHere(Command command) {
        List<Channel> streams = directory.streamsOf(command.user);
        long retryMillis = StreamService.jitteredRetryMillis(reconnectMillis);
        for (Channel stream : streams) {
            StreamService.disconnect(stream, command.reason, command.reconnect, retryMillis);
        }
        return streams.size();
    }

    private void authorize(Principal principal) {
        if (access.isOpen() || principal.kind() == Principal.Kind.PUBLISH_KEY || principal.admin()) {
            return;
        }
        if (principal.isAnonymous()) {
            throw new ApiException(ApiError.UNAUTHORIZED, "disconnecting a user needs a publish key or an admin token"
                    + " (Authorization: Bearer)", r -> r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer"));
        }
        throw new ApiException(ApiError.FORBIDDEN, "the token of user " + ApiException.echo(principal.subject())
                + " may not disconnect users: that needs a publish key or an admin token");
    }

    /** The optional body {@code {"reason":"…","reconnect":false}}; an empty body means the defaults. */
    private static Command parse(FullHttpRequest request, String userId) {
        String reason = DEFAULT_REASON;
        boolean reconnect = false;
        if (!request.content().isReadable()) {
            return new Command(0, userId, reason, reconnect);
        }
        if (!ByteBufUtil.isText(request.content(), StandardCharsets.UTF_8)) {
            throw ApiException.invalid("body: not valid UTF-8; a JSON body must be UTF-8 text");
        }
        try (JsonParser p = Json.FACTORY.createParser((InputStream) new ByteBufInputStream(request.content().duplicate()))) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw ApiException.invalid("body: expected {\"reason\":\"…\",\"reconnect\":false} or nothing");
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("reason") && value == JsonToken.VALUE_STRING) {
                    reason = p.getText();
                    if (reason.isEmpty() || reason.length() > MAX_REASON_LENGTH) {
                        throw ApiException.invalid("reason: must be 1 to " + MAX_REASON_LENGTH + " characters");
                    }
                } else if (field.equals("reconnect") && value.isBoolean()) {
                    reconnect = value == JsonToken.VALUE_TRUE;
                } else if (field.equals("reason") || field.equals("reconnect")) {
                    throw ApiException.invalid(field + ": must be " + (field.equals("reason") ? "a string" : "true or false"));
                } else {
                    throw ApiException.invalid(ApiException.echo(field) + ": unknown field; a disconnect has reason and"
                            + " reconnect");
                }
            }
            if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw ApiException.invalid("body: unexpected content after the JSON object");
            }
        } catch (JsonProcessingException e) {
            throw ApiException.invalid("body: invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.invalid("body: unreadable (" + e.getMessage() + ")");
        }
        return new Command(0, userId, reason, reconnect);
    }

    /** A disconnect as it travels between nodes. */
    private record Command(long origin, String user, String reason, boolean reconnect) {
        String message(long from) {
            return MESSAGE_PREFIX + from + " " + (reconnect ? 1 : 0) + " " + user + " " + reason;
        }

        /** The command in {@code message}, or null when it is another kind of message (or malformed). */
        static Command parse(String message) {
            if (!message.startsWith(MESSAGE_PREFIX)) {
                return null;
            }
            String[] parts = message.split(" ", 5);
            if (parts.length != 5 || !(parts[2].equals("0") || parts[2].equals("1"))) {
                return null;
            }
            try {
                return new Command(Long.parseLong(parts[1]), parts[3], parts[4], parts[2].equals("1"));
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }
}
