package io.sluice.http;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.sluice.api.ApiError;
import io.sluice.api.ApiException;
import io.sluice.api.HttpResponses;
import io.sluice.api.QueryParams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Routes each decoded request to its endpoint and turns every refusal into the §6 JSON error. Stateless and
 * {@link Sharable}: one instance serves every channel of a listener.
 *
 * <p>Pipeline position: last, after {@link PipelineNames#FLOW_CONTROL}. A request that failed to decode (request line
 * or headers over their limits, malformed syntax, or a head {@link RequestHead} refused) is answered 431, 400,
 * 417 or 505 and its connection closed, since the decoder cannot find the next request's start. Requests that
 * arrive behind a response that closes the connection are dropped ({@link HttpResponses#isClosing}).
 */
@Sharable
public final class RequestRouter extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(RequestRouter.class);

    /** Seconds a client should wait after a 503 for want of memory: eviction and slow streams free it quickly. */
    private static final int OUT_OF_MEMORY_RETRY_AFTER_SECONDS = 1;

    private final Routes routes;
    private final int maxInitialLineLength;
    private final int maxHeaderSize;

    public RequestRouter(Routes routes, int maxInitialLineLength, int maxHeaderSize) {
        this.routes = routes;
        this.maxInitialLineLength = maxInitialLineLength;
        this.maxHeaderSize = maxHeaderSize;
    }

    /** The routing table; CORS reads it to answer preflights. */
    Routes routes() {
        return routes;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (HttpResponses.isClosing(ctx.channel())) {
            return; // behind a response that closed the connection: never run, never answered
        }
        DecoderResult decoded = request.decoderResult();
        if (decoded.isFailure()) {
            answerUndecodable(ctx, decoded.cause());
            return;
        }
        if (!HttpUtil.isKeepAlive(request)) {
            HttpResponses.markClosing(ctx.channel()); // now, in case the answer is written later (async publish)
        }
        try {
            QueryParams query = QueryParams.of(request.uri());
            Route route = routes.match(query.path());
            if (route == null) {
                throw new ApiException(ApiError.NOT_FOUND, "no endpoint at " + ApiException.echo(query.path()));
            }
            if (!route.method().equals(request.method())) {
                HttpResponses.error(ctx, request, ApiError.METHOD_NOT_ALLOWED,
                        ApiException.echo(request.method().name()) + " is not allowed on " + route.pattern() + "; use "
                                + route.method(), false,
                        r -> r.headers().set(HttpHeaderNames.ALLOW, route.method().name()));
                return;
            }
            route.handler().handle(ctx, request, query, route.pathParameter(query.path()));
        } catch (ApiException e) {
            HttpResponses.error(ctx, request, e.error(), e.getMessage(), false, e.customizer());
        } catch (RuntimeException e) {
            log.error("request {} {} failed", request.method(), redact(request.uri()), e);
            HttpResponses.error(ctx, request, ApiError.INTERNAL, "internal error; the request was not applied", true, null);
        } catch (OutOfMemoryError e) {
            // CONTRACT §10: memory exhaustion is an answer, not a failure; the endpoint released what it held
            log.warn("request {} {} refused: out of memory ({})", request.method(), redact(request.uri()), e.toString());
            answerOutOfMemory(ctx, request);
        }
    }

    /** 503 with Retry-After for a request the node had no memory for; the connection closes (lingering). */
    private static void answerOutOfMemory(ChannelHandlerContext ctx, FullHttpRequest request) {
        HttpResponses.error(ctx, request, ApiError.UNAVAILABLE, "this node is out of memory for the moment; retry shortly",
                true, r -> r.headers().set(HttpHeaderNames.RETRY_AFTER, OUT_OF_MEMORY_RETRY_AFTER_SECONDS));
    }

    private void answerUndecodable(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof ApiException refused) {
            // a head BodyLimitAggregator refused (see RequestHead)
            HttpResponses.error(ctx, null, refused.error(), refused.getMessage(), true, null);
        } else if (cause instanceof TooLongHttpHeaderException) {
            HttpResponses.error(ctx, null, ApiError.HEADERS_TOO_LARGE,
                    "headers: larger than maxHeaderSize (" + maxHeaderSize + " bytes)", true, null);
        } else if (cause instanceof TooLongHttpLineException) {
            HttpResponses.error(ctx, null, ApiError.INVALID_REQUEST,
                    "request line: longer than maxInitialLineLength (" + maxInitialLineLength + " bytes)", true, null);
        } else {
            HttpResponses.error(ctx, null, ApiError.INVALID_REQUEST,
                    "request: malformed HTTP (" + cause.getMessage() + ")", true, null);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof OutOfMemoryError && ctx.channel().isActive() && !HttpResponses.isClosing(ctx.channel())) {
            // reading or aggregating a request ran out of memory: answer instead of resetting the connection
            log.warn("connection {} out of memory while reading a request ({})", ctx.channel(), cause.toString());
            answerOutOfMemory(ctx, null);
            return;
        }
        if (cause instanceof IOException || cause instanceof PrematureChannelClosureException) {
            // the client went away (or was timed out) mid-request: not the server's failure
            log.debug("connection {} failed: {}", ctx.channel(), cause.toString());
        } else {
            log.warn("connection {} failed", ctx.channel(), cause);
        }
        ctx.close();
    }

    /** The request target without its query, which may carry a token. */
    static String redact(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q) + "?…";
    }

    /** What an endpoint does with a routed request. Runs on the channel's event loop. */
    @FunctionalInterface
    public interface RouteHandler {
        void handle(ChannelHandlerContext ctx, FullHttpRequest request, QueryParams query, String pathParameter);
    }

    /**
     * One endpoint: an exact path, or a pattern with one {@code {param}} segment, in the middle (as in
     * {@code /v1/users/{userId}/events}) or at the end. A parameter matches one non-empty path segment: no {@code /}.
     */
    public record Route(String pattern, HttpMethod method, RouteHandler handler) {
        /** The parameter's value in {@code path}, which {@link #matches} accepted; null for an exact route. */
        String pathParameter(String path) {
            int open = pattern.indexOf('{');
            if (open < 0) {
                return null;
            }
            int suffix = pattern.length() - pattern.indexOf('}') - 1;
            return path.substring(open, path.length() - suffix);
        }

        boolean matches(String path) {
            int open = pattern.indexOf('{');
            if (open < 0) {
                return pattern.equals(path);
            }
            String prefix = pattern.substring(0, open);
            String suffix = pattern.substring(pattern.indexOf('}') + 1);
            if (path.length() <= prefix.length() + suffix.length() || !path.startsWith(prefix)
                    || !path.endsWith(suffix)) {
                return false;
            }
            int slash = path.indexOf('/', prefix.length());
            return slash < 0 || slash >= path.length() - suffix.length();
        }
    }

    /** The routing table of a listener. Immutable. */
    public static final class Routes {
        private final Route[] routes;

        public Routes(Route... routes) {
            this.routes = routes.clone();
        }

        Route match(String path) {
            for (Route r : routes) {
                if (r.matches(path)) {
                    return r;
                }
            }
            return null;
        }
    }
}
