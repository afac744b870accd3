package io.sluice.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.api.HttpResponses;
import io.sluice.api.QueryParams;

import java.nio.charset.StandardCharsets;

/**
 * {@code GET /metrics} on the management listener: the registry in the Prometheus text format 0.0.4, which
 * every Prometheus version scrapes.
 *
 * <p>Threading: runs on the management listener's own event loop, never on a stream's: a scrape evaluates
 * every gauge (JVM MXBeans, thread states, the allocator's arenas) and may take milliseconds, which must not
 * delay fan-out.
 */
public final class MetricsEndpoint {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry;

    public MetricsEndpoint(PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    public void scrape(ChannelHandlerContext ctx, FullHttpRequest request, QueryParams query, String pathParameter) {
        byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
        HttpResponses.send(ctx, request, HttpResponseStatus.OK, CONTENT_TYPE, Unpooled.wrappedBuffer(body), false, null);
    }
}
