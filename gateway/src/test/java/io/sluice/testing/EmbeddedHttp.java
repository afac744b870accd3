package io.sluice.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

import java.nio.charset.StandardCharsets;

/** Raw HTTP through an {@link EmbeddedChannel} that carries the production pipeline: bytes in, bytes out. */
public final class EmbeddedHttp {
    private EmbeddedHttp() {
    }

    /** Writes {@code request} as bytes and returns everything written back, as {@link #readAll} does. */
    public static String exchange(EmbeddedChannel channel, String request) {
        channel.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.UTF_8));
        return readAll(channel);
    }

    /** Runs pending tasks, then reads and releases every outbound buffer, as one UTF-8 string. */
    public static String readAll(EmbeddedChannel channel) {
        channel.runPendingTasks();
        StringBuilder out = new StringBuilder();
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            out.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return out.toString();
    }
}
