package io.sluice;

import io.netty.buffer.PooledByteBufAllocator;
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
import io.sluice.api.StaticContent;
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
import io.sluice.limits.MemoryGuard;
import io.sluice.metrics.GatewayMetrics;
import io.sluice.presence.PresenceHub;
import io.sluice.presence.PresenceService;
import io.sluice.publish.PublishParser;
import io.sluice.publish.PublishService;
import io.sluice.stream.Disconnects;
import io.sluice.stream.SnapshotService;
import io.sluice.stream.StreamDirectory;
import io.sluice.stream.StreamService;
import org.slf4j.Logger;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The routing tables of the two listeners, wired to their services. Built once per server; the
 * initializers it returns are what {@link SluiceServer} binds and what pipeline tests drive.
 */
public final class Endpoints {
    private static final byte[] HEALTHY = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
    private static final String HTML = "text/html; charset=utf-8";
    /** The self-contained dashboard page (no CDN), read once from the jar. */
    private static final StaticContent DASHBOARD_PAGE = StaticContent.resource("dashboard/index.html", HTML,
            StaticContent.NO_STORE);
    /**
     * {@code clients/js/src/sluice-client.js}, copied into the jar by the build (CONTRACT §14). It changes only with
     * the gateway's version: browsers and proxies may keep it five minutes, then revalidate with its ETag (a 304
     * costs a few bytes), so an upgrade reaches every page within five minutes.
     */
    private static final StaticContent CLIENT_SCRIPT = StaticContent.resource("client/sluice-client.js",
            "text/javascript; charset=utf-8", "public, max-age=300");
    /** Open development mode only: the demo page (no CDN), which uses {@link #CLIENT_SCRIPT}. */
    private static final StaticContent DEMO_PAGE = StaticContent.resource("demo/index.html", HTML,
            StaticContent.NO_STORE);
    private static final byte[] READY = "{\"status\":\"ready\"}".getBytes(StandardCharsets.UTF_8);

    private final SluiceConfig config;
    private final FanoutCore fanout;
    private final AccessPolicy access;
    private final Backplane backplane;
    private final GatewayMetrics metrics;
    private final Supplier<String> notReadyReason;
    private final Supplier<String> streamRefusalReason;
    private final ChannelGroup connections;
    private final DashboardFeed dashboard;
    private final ConnectionLimiter connectionLimiter;
    private final MemoryGuard memoryGuard = MemoryGuard.of(PooledByteBufAllocator.DEFAULT);
    private final PresenceHub presence;
    private final StreamDirectory directory;
    private final Disconnects disconnects;
    /** The logger the public listener's access-log lines go to: null for logger {@code sluice.access}. */
    private final Logger accessLogger;

    /**
     * @param notReadyReason why the node should not get traffic now, or null when it is ready ({@code /readyz})
     * @param streamRefusalReason why the node refuses every new stream now (draining, backplane down), or null; a node
     *                            may be not ready and still serve streams (one whose JWK set is not loaded yet serves
     *                            public topics)
     * @param connections where every accepted connection of both listeners is tracked
     * @param presence the node's presence (tracked topics)
     */
    public Endpoints(SluiceConfig config, FanoutCore fanout, AccessPolicy access, Backplane backplane,
                     GatewayMetrics metrics, Supplier<String> notReadyReason, Supplier<String> streamRefusalReason,
                     ChannelGroup connections, DashboardFeed dashboard, PresenceHub presence) {
        this(config, fanout, access, backplane, metrics, notReadyReason, streamRefusalReason, connections, dashboard,
                presence, null);
    }

    /** As above, with the public listener's access-log lines sent to {@code accessLogger} (null: the usual one). */
    Endpoints(SluiceConfig config, FanoutCore fanout, AccessPolicy access, Backplane backplane,
              GatewayMetrics metrics, Supplier<String> notReadyReason, Supplier<String> streamRefusalReason,
              ChannelGroup connections, DashboardFeed dashboard, PresenceHub presence, Logger accessLogger) {
        this.accessLogger = accessLogger;
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
        this.streamRefusalReason = streamRefusalReason;
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

    /**
     * The public listener: CONTRACT §2–§4 and §11, the JavaScript client (§14) and health; in open development mode
     * (no auth configured) also the demo page at {@code /} and {@code /demo}, which are 404 as soon as any auth is.
     */
    public SluiceServerInitializer publicInitializer() {
        PublishService publish = new PublishService(new PublishParser(config.maxEventBytes()), access, backplane,
                metrics, memoryGuard);
        StreamService streams = new StreamService(fanout, access, metrics, config, connectionLimiter,
                streamRefusalReason, SluiceServerInitializer::toStreamPhase, directory, presence);
        PresenceService presenceService = new PresenceService(presence, access);
        SnapshotService snapshots = new SnapshotService(fanout, access, config.maxTopicsPerConnection());
        List<Route> routes = new ArrayList<>(List.of(
                new Route("/v1/events/stream", HttpMethod.GET, (ctx, req, q, p) -> streams.open(ctx, req, q)),
                new Route("/v1/events", HttpMethod.GET, (ctx, req, q, p) ->
                        HttpResponses.json(ctx, req, HttpResponseStatus.OK, snapshots.snapshot(ctx, req, q))),
                new Route("/v1/publish", HttpMethod.POST, (ctx, req, q, p) -> publish.publish(ctx, req, q)),
                new Route("/v1/broadcast", HttpMethod.POST, (ctx, req, q, p) -> publish.broadcast(ctx, req, q)),
                new Route("/v1/users/{userId}/events", HttpMethod.POST, publish::toUser),
                new Route("/v1/client.js", HttpMethod.GET, (ctx, req, q, p) -> CLIENT_SCRIPT.send(ctx, req)),
                new Route("/v1/users/{userId}/disconnect", HttpMethod.POST, disconnects::disconnect),
                new Route("/v1/connections/{connectionId}/events", HttpMethod.POST, publish::toConnection),
                new Route("/v1/presence", HttpMethod.GET, presenceService::presence),
                new Route("/healthz", HttpMethod.GET, this::healthz),
                new Route("/readyz", HttpMethod.GET, this::readyz)));
        if (access.isOpen()) {
            routes.add(new Route("/", HttpMethod.GET, (ctx, req, q, p) -> DEMO_PAGE.send(ctx, req)));
            routes.add(new Route("/demo", HttpMethod.GET, (ctx, req, q, p) -> DEMO_PAGE.send(ctx, req)));
        }
        return initializer(CorsPolicy.of(config.allowedOrigins()), config.accessLog(),
                new Routes(routes.toArray(new Route[0])));
    }

    /**
     * The management listener (CONTRACT §8): health, Prometheus metrics, the stats JSON, the live dashboard page and
     * its stream. No CORS, and no access log: it serves probes, scrapes and operators, not clients.
     */
    public SluiceServerInitializer managementInitializer(MetricsEndpoint metricsEndpoint, StatsEndpoint statsEndpoint) {
        return initializer(null, SluiceConfig.AccessLog.OFF, new Routes(
                new Route("/", HttpMethod.GET, (ctx, req, q, p) -> DASHBOARD_PAGE.send(ctx, req)),
                new Route("/v1/dashboard/stream", HttpMethod.GET, (ctx, req, q, p) -> dashboard.open(ctx, req)),
                new Route("/healthz", HttpMethod.GET, this::healthz),
                new Route("/readyz", HttpMethod.GET, this::readyz),
                new Route("/metrics", HttpMethod.GET, metricsEndpoint::scrape),
                new Route("/v1/stats", HttpMethod.GET, statsEndpoint::stats)));
    }

    private SluiceServerInitializer initializer(CorsPolicy cors, SluiceConfig.AccessLog accessLog, Routes routes) {
        RequestRouter router = new RequestRouter(routes, config.maxInitialLineLength(), config.maxHeaderSize());
        return new SluiceServerInitializer(connections, router, config.maxInitialLineLength(), config.maxHeaderSize(),
                (int) config.maxBodyBytes(), config.requestHeaderTimeout(), config.idleTimeout(), cors, accessLog,
                accessLogger);
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
}
