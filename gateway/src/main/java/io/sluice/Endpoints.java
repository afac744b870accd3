package io.sluice;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.admin.MetricsEndpoint;
import io.sluice.admin.StatsEndpoint;
import io.sluice.api.ApiError;
import io.sluice.api.HttpResponses;
import io.sluice.api.QueryParams;
import io.sluice.auth.AccessPolicy;
import io.sluice.backplane.Backplane;
import io.sluice.config.SluiceConfig;
import io.sluice.dashboard.DashboardFeed;
import io.sluice.fanout.FanoutCore;
import io.sluice.http.CorsPolicy;
import io.sluice.http.RequestRouter.Route;
import io.sluice.http.RequestRouter.Routes;
import io.sluice.http.RequestRouter;
import io.sluice.http.SluiceServerInitializer;
import io.sluice.limits.ConnectionLimiter;
import io.sluice.metrics.GatewayMetrics;
import io.sluice.presence.PresenceHub;
import io.sluice.presence.PresenceService;
import io.sluice.publish.PublishParser;
import io.sluice.publish.PublishService;
import io.sluice.stream.Disconnects;
import io.sluice.stream.SnapshotService;
import io.sluice.stream.StreamDirectory;
import io.sluice.stream.StreamService;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * The routing tables of the two listeners, wired to their services. Built once per server; the
 * initializers it returns are what {@link SluiceServer} binds and what pipeline tests drive.
 */
public final class Endpoints {
    private static final byte[] HEALTHY = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
    /** The self-contained dashboard page (no CDN), read once from the jar. */
    private static final byte[] DASHBOARD_PAGE = resource("dashboard/index.html");
    private static final byte[] READY = "{\"status\":\"ready\"}".getBytes(StandardCharsets.UTF_8);

    private final SluiceConfig config;
    private final FanoutCore fanout;
    private final AccessPolicy access;
    private final Backplane backplane;
    private final GatewayMetrics metrics;
    private final Supplier<String> notReadyReason;
    private final ChannelGroup connections;
    private final DashboardFeed dashboard;
    private final ConnectionLimiter connectionLimiter;
    private final PresenceHub presence;
    private final StreamDirectory directory;
    private final Disconnects disconnects;

    /**
     * @param notReadyReason why the node should not get traffic now, or null when it is ready
     * @param connections where every accepted connection of both listeners is tracked
     * @param presence the node's presence (tracked topics)
     */
    public Endpoints(SluiceConfig config, FanoutCore fanout, AccessPolicy access, Backplane backplane,
                     GatewayMetrics metrics, Supplier<String> notReadyReason, ChannelGroup connections,
                     DashboardFeed dashboard, PresenceHub presence) {
        this.presence = presence;
        this.directory = new StreamDirectory(backplane.control()::nodeId);
        this.disconnects = new Disconnects(access, directory, backplane.control(), config.reconnectMillis());
        this.connections = connections;
        this.dashboard = dashboard;
        this.config = config;
        this.fanout = fanout;
        this.access = access;
        this.backplane = backplane;
        this.metrics = metrics;
        this.notReadyReason = notReadyReason;
        this.connectionLimiter = new ConnectionLimiter(config.maxConnections(), config.maxConnectionsPerUser());
    }

    /** The node's stream limits (maxConnections, maxConnectionsPerUser), shared by every stream service built here. */
    public ConnectionLimiter connectionLimiter() {
        return connectionLimiter;
    }

    /** This node's streams by user, and its connection ids. */
    public StreamDirectory streamDirectory() {
        return directory;
    }

    /** The public listener: CONTRACT §2–§4 and §11, plus health. */
    public SluiceServerInitializer publicInitializer() {
        PublishService publish = new PublishService(new PublishParser(config.maxEventBytes()), access, backplane,
                metrics);
        StreamService streams = new StreamService(fanout, access, metrics, config, connectionLimiter, notReadyReason,
                SluiceServerInitializer::toStreamPhase, directory, presence);
        PresenceService presenceService = new PresenceService(presence, access);
        SnapshotService snapshots = new SnapshotService(fanout, access, config.maxTopicsPerConnection());
        return initializer(CorsPolicy.of(config.allowedOrigins()), config.accessLog(), new Routes(
                new Route("/v1/events/stream", HttpMethod.GET, (ctx, req, q, p) -> streams.open(ctx, req, q)),
                new Route("/v1/events", HttpMethod.GET, (ctx, req, q, p) ->
                        HttpResponses.json(ctx, req, HttpResponseStatus.OK, snapshots.snapshot(ctx, req, q))),
                new Route("/v1/publish", HttpMethod.POST, (ctx, req, q, p) -> publish.publish(ctx, req, q)),
                new Route("/v1/broadcast", HttpMethod.POST, (ctx, req, q, p) -> publish.broadcast(ctx, req, q)),
                new Route("/v1/users/{userId}/events", HttpMethod.POST, publish::toUser),
                new Route("/v1/users/{userId}/disconnect", HttpMethod.POST, disconnects::disconnect),
                new Route("/v1/connections/{connectionId}/events", HttpMethod.POST, publish::toConnection),
                new Route("/v1/presence", HttpMethod.GET, presenceService::presence),
                new Route("/healthz", HttpMethod.GET, this::healthz),
                new Route("/readyz", HttpMethod.GET, this::readyz)));
    }

    /**
     * The management listener (CONTRACT §8): health, Prometheus metrics, the stats JSON, the live dashboard page and
     * its stream. No CORS, and no access log: it serves probes, scrapes and operators, not clients.
     */
    public SluiceServerInitializer managementInitializer(MetricsEndpoint metricsEndpoint, StatsEndpoint statsEndpoint) {
        return initializer(null, SluiceConfig.AccessLog.OFF, new Routes(
                new Route("/", HttpMethod.GET, this::dashboardPage),
                new Route("/v1/dashboard/stream", HttpMethod.GET, (ctx, req, q, p) -> dashboard.open(ctx, req)),
                new Route("/healthz", HttpMethod.GET, this::healthz),
                new Route("/readyz", HttpMethod.GET, this::readyz),
                new Route("/metrics", HttpMethod.GET, metricsEndpoint::scrape),
                new Route("/v1/stats", HttpMethod.GET, statsEndpoint::stats)));
    }

    private SluiceServerInitializer initializer(CorsPolicy cors, SluiceConfig.AccessLog accessLog, Routes routes) {
        RequestRouter router = new RequestRouter(routes, config.maxInitialLineLength(), config.maxHeaderSize());
        return new SluiceServerInitializer(connections, router, config.maxInitialLineLength(), config.maxHeaderSize(),
                (int) config.maxBodyBytes(), config.requestHeaderTimeout(), config.idleTimeout(), cors, accessLog);
    }

    private void dashboardPage(ChannelHandlerContext ctx, FullHttpRequest req, QueryParams q, String p) {
        HttpResponses.send(ctx, req, HttpResponseStatus.OK, "text/html; charset=utf-8",
                Unpooled.wrappedBuffer(DASHBOARD_PAGE), false, null);
    }

    private void healthz(ChannelHandlerContext ctx, FullHttpRequest req, QueryParams q, String p) {
        HttpResponses.json(ctx, req, HttpResponseStatus.OK, HEALTHY);
    }

    private void readyz(ChannelHandlerContext ctx, FullHttpRequest req, QueryParams q, String p) {
        String reason = notReadyReason.get();
        if (reason == null) {
            HttpResponses.json(ctx, req, HttpResponseStatus.OK, READY);
        } else {
            HttpResponses.error(ctx, req, ApiError.UNAVAILABLE, "not ready: " + reason, false,
                    r -> r.headers().set(HttpHeaderNames.RETRY_AFTER, 1));
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = Endpoints.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource io/sluice/" + name + " in the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
