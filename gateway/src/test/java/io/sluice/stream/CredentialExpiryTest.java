package io.sluice.stream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.sluice.api.CloseReason;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link CredentialExpiry} in an {@link EmbeddedChannel}: the exact frame, the close, and the cancelled timer. */
class CredentialExpiryTest {

    private static ChannelHandlerContext streamContext(EmbeddedChannel channel) {
        channel.pipeline().addFirst("stream", new ChannelInboundHandlerAdapter());
        return channel.pipeline().context("stream");
    }

    @Test
    void atExpiryWritesRetryAndAReasonThenCloses() {
        EmbeddedChannel channel = new EmbeddedChannel();
        CredentialExpiry.schedule(streamContext(channel), System.currentTimeMillis() - 1, 2500);
        assertTrue(channel.isActive());

        channel.runScheduledPendingTasks();

        ByteBuf frame = channel.readOutbound();
        try {
            assertEquals("retry: 2500\n: token expired; reconnect with a fresh token\n\n",
                    frame.toString(StandardCharsets.UTF_8));
        } finally {
            frame.release();
        }
        assertFalse(channel.isActive(), "the connection is closed");
        assertEquals(CloseReason.TOKEN_EXPIRED, CloseReason.of(channel), "the access log reports why");
        assertNull(channel.readOutbound());
        assertFalse(channel.finish());
    }

    @Test
    void aStreamThatClosesFirstCancelsTheTimer() {
        EmbeddedChannel channel = new EmbeddedChannel();
        CredentialExpiry.schedule(streamContext(channel), System.currentTimeMillis() + 3_600_000, 2500);
        assertTrue(channel.runScheduledPendingTasks() > 0, "a timer is pending");

        channel.close();

        assertEquals(-1, channel.runScheduledPendingTasks(), "no timer is left");
        assertNull(channel.readOutbound());
        assertFalse(channel.finish());
    }
}
