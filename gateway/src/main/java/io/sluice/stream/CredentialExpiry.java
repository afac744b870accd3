package io.sluice.stream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.api.CloseReason;

import java.util.concurrent.TimeUnit;

/**
 * Ends a stream when the credentials it was opened with stop being accepted (a token's {@code exp} plus the clock
 * skew): it writes {@code retry: <reconnectMillis>} and a comment saying why, then closes the connection, so the
 * client reconnects, with fresh credentials, instead of reading on past its token's life. The timer runs on the
 * stream's event loop and is cancelled when the stream closes first. Stateless.
 */
final class CredentialExpiry {
    static final String REASON = "token expired; reconnect with a fresh token";

    private CredentialExpiry() {
    }

    /**
     * Call on the stream's event loop once the stream is open.
     *
     * @param ctx the stream's context (writes from it go straight to the socket)
     * @param expiresAtMillis epoch milliseconds at which to end the stream
     */
    static void schedule(ChannelHandlerContext ctx, long expiresAtMillis, int reconnectMillis) {
        long delay = Math.max(0, expiresAtMillis - System.currentTimeMillis());
        ScheduledFuture<?> timer = ctx.executor().schedule(() -> end(ctx, reconnectMillis), delay, TimeUnit.MILLISECONDS);
        ctx.channel().closeFuture().addListener(f -> timer.cancel(false));
    }

    private static void end(ChannelHandlerContext ctx, int reconnectMillis) {
        StreamEnd.atOnce(ctx, reconnectMillis, REASON, CloseReason.TOKEN_EXPIRED);
    }
}
