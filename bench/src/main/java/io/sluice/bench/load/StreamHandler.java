package io.sluice.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The only handler of a stream connection: sends the request when the connection is up, reads the response
 * head (status line; a close-delimited body is expected, as the gateway sends), then hands body bytes to the
 * stream's {@link SseScanner}. One instance per channel (stateful, not sharable); every callback runs on the
 * stream's event loop.
 */
final class StreamHandler extends ChannelInboundHandlerAdapter {
    /** A response head larger than this is not an SSE gateway talking. */
    private static final int MAX_HEAD_BYTES = 16 * 1024;

    private final LoadStream stream;
    /** Accumulates a response head split across reads; null otherwise. */
    private ByteBuf head;
    private boolean inBody;

    StreamHandler(LoadStream stream) {
        this.stream = stream;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(stream.request(ctx.alloc()), ctx.voidPromise());
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            if (inBody || readHead(ctx, in)) {
                stream.onBytes(in);
            }
        } catch (IllegalStateException e) {
            stream.onError("protocol: " + e.getMessage());
            ctx.close();
        } finally {
            in.release();
        }
    }

    /** True when {@code in} now holds body bytes to scan; false when the head is incomplete or was handled. */
    private boolean readHead(ChannelHandlerContext ctx, ByteBuf in) {
        ByteBuf src = in;
        if (head != null) {
            head.writeBytes(in);
            src = head;
        }
        int end = headEnd(src);
        if (end < 0) {
            if (head == null) {
                head = ctx.alloc().heapBuffer(256);
                head.writeBytes(in);
            }
            if (head.readableBytes() > MAX_HEAD_BYTES) {
                releaseHead();
                stream.onError("protocol: response head over " + MAX_HEAD_BYTES + " bytes");
                ctx.close();
            }
            return false;
        }
        String text = src.toString(src.readerIndex(), end - src.readerIndex(), StandardCharsets.ISO_8859_1);
        src.readerIndex(end);
        inBody = true;
        int status = status(text);
        if (status != 200) {
            releaseHead();
            stream.onHttpError(status);
            ctx.close();
            return false;
        }
        if (text.toLowerCase(Locale.ROOT).contains("\ntransfer-encoding: chunked")) {
            releaseHead();
            stream.onError("protocol: chunked stream bodies are not supported (point --url at the gateway itself)");
            ctx.close();
            return false;
        }
        stream.onResponseOk();
        if (src != in) {
            stream.onBytes(src);
            releaseHead();
            return false;
        }
        return true;
    }

    /** Index just past the blank line ending the head ({@code \r\n\r\n}), or -1. */
    static int headEnd(ByteBuf b) {
        int from = b.readerIndex();
        int to = b.writerIndex();
        while (from < to) {
            int lf = b.indexOf(from, to, (byte) '\n');
            if (lf < 0) {
                return -1;
            }
            if (lf - 3 >= b.readerIndex() && b.getByte(lf - 1) == '\r' && b.getByte(lf - 2) == '\n'
                    && b.getByte(lf - 3) == '\r') {
                return lf + 1;
            }
            from = lf + 1;
        }
        return -1;
    }

    /** The status code of {@code HTTP/1.1 200 OK}, or 0 when the line is not a status line. */
    static int status(String head) {
        if (!head.startsWith("HTTP/1.") || head.length() < 12 || head.charAt(8) != ' ') {
            return 0;
        }
        try {
            return Integer.parseInt(head.substring(9, 12));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseHead();
        stream.onChannelClosed(ctx.channel());
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        stream.onError("io: " + Reasons.of(cause));
        ctx.close();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseHead();
    }

    private void releaseHead() {
        if (head != null) {
            head.release();
            head = null;
        }
    }
}
