package io.sluice.dashboard;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.admin.NodeStats.TopicStreams;
import io.sluice.admin.NodeStats;
import io.sluice.api.HttpResponses;
import io.sluice.api.Json;
import io.sluice.presence.PresenceHub;
import io.sluice.sse.SseFrames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The live dashboard's data: once a second it takes a {@link Sample} from its {@link Source}, keeps the last
 * {@link #WINDOW_SAMPLES} (15 minutes) as encoded SSE frames, and sends each new one to every open dashboard
 * stream ({@code GET /v1/dashboard/stream} on the management port). A new stream first gets the whole window,
 * so the page's charts start full.
 *
 * <p>Threading: the window and the viewer set are confined to {@code executor} (one event loop). Frames reach
 * a viewer's channel through that channel's own event loop ({@code EventLoop.execute}), in the order they were
 * taken, so a viewer never sees a live sample before the replay. Rates are computed here from the source's
 * running totals, so the source only reads counters and never blocks.
 *
 * <p>Flow control: each sample is encoded once ({@link SseFrames}) and shared by every viewer. A viewer whose socket
 * is above its high write watermark skips samples until it drains (its charts show a gap), so a stalled page holds
 * at most its watermark, never a queue of samples.
 */
public final class DashboardFeed implements AutoCloseable {
    /** Samples kept and replayed: 15 minutes at one per second. */
    public static final int WINDOW_SAMPLES = 15 * 60;
    private static final Logger log = LoggerFactory.getLogger(DashboardFeed.class);

    private final EventExecutor executor;
    private final Source source;
    private final ArrayDeque<byte[]> window = new ArrayDeque<>(WINDOW_SAMPLES);
    private final Set<Channel> viewers = new HashSet<>();
    private final ScheduledFuture<?> sampling;
    private Totals previous;
    private long previousNanos;

    /** What the gateway reports each second: running totals and current values, read without blocking. */
    @FunctionalInterface
    public interface Source {
        /**
         * @param watched whether a dashboard stream is open: the top topics cost a walk of every topic, so a source
         *                may leave them empty while nobody watches
         */
        Totals totals(boolean watched);
    }

    /**
     * Running totals and current values.
     *
     * @param latencyP50Ms delivery latency median over the recent past in milliseconds, NaN when unknown
     * @param topTopics the topics with the most streams, most first
     * @param presence the tracked topics ({@code presenceTopics}) with the most streams on this node, most first
     * @param topics the topics the node knows now
     * @param historyBytes the bytes of history's retained frames now
     * @param historyEvictedByBytes events evicted from history for want of {@code historyMaxBytes}, running total
     */
    public record Totals(long connections, long published, long delivered, long slowConsumerDisconnects,
                         double latencyP50Ms, double latencyP99Ms, List<TopicStreams> topTopics,
                         List<PresenceHub.TopicPresence> presence, long topics, long historyBytes,
                         long historyEvictedByBytes) {
    }

    /** Starts sampling every second on {@code executor}. */
    public DashboardFeed(EventExecutor executor, Source source) {
        this.executor = executor;
        this.source = source;
        this.sampling = executor.scheduleAtFixedRate(this::sample, 0, 1, TimeUnit.SECONDS);
    }

    /**
     * Serves the dashboard stream on {@code ctx}'s channel: the SSE head now, then the window and every later
     * sample until the channel closes. Called on the channel's event loop.
     */
    public void open(ChannelHandlerContext ctx, HttpRequest request) {
        Channel channel = ctx.channel();
        ctx.writeAndFlush(HttpResponses.eventStreamHead(request.protocolVersion()));
        channel.closeFuture().addListener(f -> {
            if (!executor.isShuttingDown()) {
                executor.execute(() -> viewers.remove(channel));
            }
        });
        executor.execute(() -> {
            if (!channel.isActive() || sampling.isCancelled()) {
                channel.close();
                return;
            }
            viewers.add(channel);
            List<byte[]> replay = new ArrayList<>(window);
            channel.eventLoop().execute(() -> {
                for (byte[] frame : replay) {
                    channel.write(new DefaultHttpContent(Unpooled.wrappedBuffer(frame)));
                }
                channel.flush();
            });
        });
    }

    /** Stops sampling and closes every dashboard stream. */
    @Override
    public void close() {
        sampling.cancel(false);
        executor.execute(() -> {
            viewers.forEach(Channel::close);
            viewers.clear();
        });
    }

    private void sample() {
        try {
            long now = System.nanoTime();
            Totals totals = source.totals(!viewers.isEmpty());
            byte[] frame = frame(System.currentTimeMillis(), totals, previous, (now - previousNanos) / 1e9);
            previous = totals;
            previousNanos = now;
            if (window.size() == WINDOW_SAMPLES) {
                window.removeFirst();
            }
            window.addLast(frame);
            for (Channel viewer : viewers) {
                viewer.eventLoop().execute(() -> {
                    if (viewer.isWritable()) {
                        viewer.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(frame)))
                                .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
                    }
                });
            }
        } catch (RuntimeException e) {
            log.warn("dashboard sample failed", e); // keep sampling: the next second may succeed
        }
    }

    /** One {@code sample} SSE event (no id: the dashboard never resumes, it replays its window). */
    static byte[] frame(long timeMillis, Totals now, Totals before, double seconds) {
        String json = Json.writeString(g -> {
            g.writeStartObject();
            g.writeNumberField("time", timeMillis);
            g.writeNumberField("connections", now.connections());
            g.writeNumberField("slowConsumerDisconnects", now.slowConsumerDisconnects());
            g.writeNumberField("topics", now.topics());
            g.writeNumberField("historyBytes", now.historyBytes());
            if (before != null && seconds > 0) {
                g.writeNumberField("publishRate", (now.published() - before.published()) / seconds);
                g.writeNumberField("deliveryRate", (now.delivered() - before.delivered()) / seconds);
                g.writeNumberField("slowConsumerRate",
                        (now.slowConsumerDisconnects() - before.slowConsumerDisconnects()) / seconds);
                g.writeNumberField("historyEvictionByBytesRate",
                        (now.historyEvictedByBytes() - before.historyEvictedByBytes()) / seconds);
            }
            if (!Double.isNaN(now.latencyP50Ms())) {
                g.writeNumberField("latencyP50Ms", now.latencyP50Ms());
            }
            if (!Double.isNaN(now.latencyP99Ms())) {
                g.writeNumberField("latencyP99Ms", now.latencyP99Ms());
            }
            NodeStats.writeTopTopics(g, now.topTopics());
            g.writeArrayFieldStart("presence");
            for (PresenceHub.TopicPresence p : now.presence()) {
                g.writeStartObject();
                g.writeStringField("topic", p.topic());
                g.writeNumberField("connections", p.connections());
                g.writeNumberField("users", p.users());
                g.writeNumberField("anonymous", p.anonymous());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
        ByteBuf encoded = SseFrames.systemEvent(UnpooledByteBufAllocator.DEFAULT, "sample", json);
        try {
            return ByteBufUtil.getBytes(encoded);
        } finally {
            encoded.release();
        }
    }
}
