package io.sluice.api;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/**
 * Why a connection (in practice: a stream) ended, as the access log reports it. Whoever closes a channel on
 * purpose marks it first with {@link #mark}; the first mark wins, so a specific reason set before a generic
 * close path runs (server stopping, token expired) is the one logged. A channel that ends without a mark was
 * closed by the client.
 */
public enum CloseReason {
    /** The client closed the connection, or it broke (reset, broken pipe). */
    CLIENT_CLOSED("client-closed"),
    /** The stream fell further behind than its lag bound or its history (CONTRACT §7). */
    SLOW_CONSUMER("slow-consumer"),
    /** The gateway is stopping or draining (a drained stream was told to reconnect first). */
    SERVER_STOPPING("server-stopping"),
    /** The stream reached its maxStreamLifetime and was told to reconnect. */
    LIFETIME("lifetime"),
    /** The token the stream was opened with expired; set by auth when it ends such a stream. */
    TOKEN_EXPIRED("token-expired"),
    /** The user was disconnected through the API ({@code POST /v1/users/{userId}/disconnect}, CONTRACT §11). */
    DISCONNECTED("disconnected"),
    /** The gateway closed the connection for a reason not listed here. */
    SERVER_CLOSED("server-closed"),
    /** A failure in the gateway (a bug; logged with its stack trace elsewhere). */
    ERROR("error");

    /** Holds the first reason marked on a channel. Any thread may set it (attributes are atomic). */
    public static final AttributeKey<CloseReason> CHANNEL_ATTRIBUTE = AttributeKey.valueOf(CloseReason.class, "closeReason");

    private final String label;

    CloseReason(String label) {
        this.label = label;
    }

    /** The reason as logged: lower case words joined by dashes. */
    public String label() {
        return label;
    }

    /** The reason as a metric label: lower case words joined by underscores, as every Sluice label value. */
    public String metricLabel() {
        return label.replace('-', '_');
    }

    /** Records {@code reason} on {@code channel} unless a reason is already there. Any thread. */
    public static void mark(Channel channel, CloseReason reason) {
        channel.attr(CHANNEL_ATTRIBUTE).setIfAbsent(reason);
    }

    /** The reason marked on {@code channel}, or {@link #CLIENT_CLOSED} when none was. */
    public static CloseReason of(Channel channel) {
        CloseReason reason = channel.attr(CHANNEL_ATTRIBUTE).get();
        return reason != null ? reason : CLIENT_CLOSED;
    }
}
