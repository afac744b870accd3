package io.sluice.demo;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.api.Json;
import io.sluice.backplane.Backplane;
import io.sluice.fanout.EncodedEvent;
import io.sluice.sse.SseEncoder;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Development mode only: publishes {@code {"time":"…"}} as type {@code tick} to {@code demo/clock} every
 * second, through the same backplane as any publisher, so {@code curl -N} shows events at once.
 */
public final class DemoClock {
    static final String TOPIC = "demo/clock";
    static final String TYPE = "tick";

    private final ScheduledFuture<?> task;

    public DemoClock(EventLoop loop, Backplane backplane, ByteBufAllocator alloc) {
        this.task = loop.scheduleAtFixedRate(() -> {
            byte[] data = Json.write(g -> {
                g.writeStartObject();
                g.writeStringField("time", Instant.now().truncatedTo(ChronoUnit.MILLIS).toString());
                g.writeEndObject();
            });
            EncodedEvent tick = new EncodedEvent(TOPIC, TYPE, SseEncoder.encodeJsonData(alloc, TYPE, data), data);
            backplane.publish(List.of(tick));
        }, 1, 1, TimeUnit.SECONDS);
    }

    public void stop() {
        task.cancel(false);
    }
}
