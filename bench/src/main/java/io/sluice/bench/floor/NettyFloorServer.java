package io.sluice.bench.floor;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The floor of the committed shape, for bench/run-nchan-compare.sh's {@code netty-floor} variant: the least a JVM with
 * Netty's epoll transport and HTTP codec does to serve the comparison's scenarios, so a run shows what the runtime and
 * the codec cost before anything Sluice adds (history, the access log, authentication, metrics, limits, ordering across
 * loops). Not a product: it speaks the load generator's nchan API ({@code --server nchan}) and nothing else, validates
 * nothing and keeps nothing (its test checks that it answers what the generator reads).
 *
 * <ul>
 *   <li>{@code GET /sub/A,B}: answers {@code 200 text/event-stream} and keeps the connection as a subscriber of each
 *       topic; the codec leaves the pipeline, so frames go straight to the socket.</li>
 *   <li>{@code POST /pub/T}: the body is one event's data; its frame ({@code id:} and {@code data:} lines) is encoded
 *       once and a duplicate written and flushed to each subscriber of T; the answer is {@code 202} with a short
 *       body. Nothing is retained.</li>
 * </ul>
 *
 * <p>Threading: one event loop serves every connection, so the subscriber map is touched by that thread alone.
 * Usage: {@code java -cp sluice-benchmarks.jar io.sluice.bench.floor.NettyFloorServer --port=N}; prints
 * {@code floor listening on port N} once bound.
 */
public final class NettyFloorServer {
    private static final byte[] STREAM_HEAD = ("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            + "cache-control: no-cache\r\nconnection: keep-alive\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ID = "id: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "\ndata: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);

    private NettyFloorServer() {
    }

    public static void main(String[] args) throws InterruptedException {
        int port = 0;
        for (String arg : args) {
            if (arg.startsWith("--port=")) {
                port = Integer.parseInt(arg.substring("--port=".length()));
            } else {
                throw new IllegalArgumentException("unknown argument " + arg + " (--port=N)");
            }
        }
        Running running = start(port);
        System.out.println("floor listening on port " + running.port());
        running.server().closeFuture().sync();
    }

    /** Binds 127.0.0.1:{@code port} (0: any free port) and serves until {@link Running#close()}. */
    static Running start(int port) throws InterruptedException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        FloorHandler handler = new FloorHandler();
        try {
            Channel server = new ServerBootstrap()
                    .group(group)
                    .channel(EpollServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast("codec", new HttpServerCodec());
                            ch.pipeline().addLast("aggregator", new HttpObjectAggregator(64 * 1024));
                            ch.pipeline().addLast("floor", handler);
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", port)).sync().channel();
            server.closeFuture().addListener(f -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS));
            return new Running(server, group);
        } catch (RuntimeException | InterruptedException e) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** A started floor: its listening channel and its one event loop. */
    record Running(Channel server, EventLoopGroup group) implements AutoCloseable {
        int port() {
            return ((InetSocketAddress) server.localAddress()).getPort();
        }

        /** Closes the listener and every connection, and waits for the loop to end. */
        @Override
        public void close() throws InterruptedException {
            server.close().sync();
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).sync();
        }
    }

    /** Routes both requests; shared by every connection, called on the one event loop only. */
    @ChannelHandler.Sharable
    private static final class FloorHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Map<String, List<Channel>> subscribers = new HashMap<>();
        private long nextId;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            String uri = request.uri();
            if (request.method() == HttpMethod.GET && uri.startsWith("/sub/")) {
                subscribe(ctx, uri.substring("/sub/".length()).split(","));
            } else if (request.method() == HttpMethod.POST && uri.startsWith("/pub/")) {
                publish(ctx, request, uri.substring("/pub/".length()));
            } else {
                answer(ctx, request, HttpResponseStatus.NOT_FOUND, "not found\n");
            }
        }

        private void subscribe(ChannelHandlerContext ctx, String[] topics) {
            Channel ch = ctx.channel();
            ch.pipeline().remove("aggregator");
            ch.pipeline().remove("codec");
            for (String topic : topics) {
                subscribers.computeIfAbsent(topic, t -> new ArrayList<>(1)).add(ch);
            }
            ch.closeFuture().addListener(f -> {
                for (String topic : topics) {
                    List<Channel> list = subscribers.get(topic);
                    if (list != null && list.remove(ch) && list.isEmpty()) {
                        subscribers.remove(topic);
                    }
                }
            });
            ch.writeAndFlush(Unpooled.wrappedBuffer(STREAM_HEAD));
        }

        private void publish(ChannelHandlerContext ctx, FullHttpRequest request, String topic) {
            ByteBuf data = request.content();
            ByteBuf frame = ctx.alloc().directBuffer(ID.length + 20 + DATA.length + data.readableBytes() + END.length);
            frame.writeBytes(ID);
            ByteBufUtil.writeAscii(frame, Long.toString(++nextId));
            frame.writeBytes(DATA).writeBytes(data, data.readerIndex(), data.readableBytes()).writeBytes(END);
            List<Channel> list = subscribers.get(topic);
            if (list != null) {
                for (int i = 0; i < list.size(); i++) {
                    list.get(i).writeAndFlush(frame.retainedDuplicate(), list.get(i).voidPromise());
                }
            }
            frame.release();
            answer(ctx, request, HttpResponseStatus.ACCEPTED, "queued messages: 1\nsubscribers: "
                    + (list == null ? 0 : list.size()) + "\n");
        }

        private static void answer(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                                   String body) {
            ByteBuf content = ByteBufUtil.writeAscii(ctx.alloc(), body);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            if (keepAlive) {
                ctx.writeAndFlush(response, ctx.voidPromise());
            } else {
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}
