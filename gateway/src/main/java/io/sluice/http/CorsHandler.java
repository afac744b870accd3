package io.sluice.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.sluice.api.ApiError;
import io.sluice.api.ApiException;
import io.sluice.api.HttpResponses;
import io.sluice.api.QueryParams;
import io.sluice.http.RequestRouter.Route;
import io.sluice.http.RequestRouter.Routes;

import java.util.ArrayDeque;

/**
 * CORS for the public listener ({@link CorsPolicy} has the rules). Decides once per request, from its head:
 * <ul>
 *   <li>no {@code Origin} (curl, backends, same-origin GETs), or an {@code Origin} naming the request's own
 *       {@code Host} (a same-origin page): passed on untouched;</li>
 *   <li>an origin that is not allowed: answered 403 {@code forbidden} here, the request never reaches an
 *       endpoint;</li>
 *   <li>a preflight ({@code OPTIONS} with {@code Access-Control-Request-Method}) on a known route: answered 204
 *       here with the route's method, the accepted headers and a max age; a plain {@code OPTIONS} still gets the
 *       router's 405;</li>
 *   <li>otherwise passed on, and the CORS headers are added to the response on its way out.</li>
 * </ul>
 *
 * <p>Why outbound decoration: a response reaches the client from several places (the router, the body
 * limit's 413, the stream headers StreamService writes before it turns the channel into a stream), and none of
 * them needs to know about CORS. Every final response ({@link HttpResponse} with a status of 200 or more) passing
 * this handler takes the decision of the oldest unanswered request: HTTP/1.1 answers requests in order.
 * Interim 1xx responses (100 Continue) are left alone.
 *
 * <p>Pipeline position: after {@link PipelineNames#HTTP_CODEC}'s request side and before
 * {@link PipelineNames#BODY_LIMIT}, so a request refused here is never buffered, and the 413 is decorated too.
 * Stateful, one per channel, event-loop thread only. Removed when the channel becomes a stream.
 */
public final class CorsHandler extends ChannelDuplexHandler {
    /** Queued for a request without Origin (or one that failed to decode): its response gets nothing. */
    private static final CorsPolicy.Decision NONE = new CorsPolicy.Decision("", false);

    private final CorsPolicy policy;
    private final Routes routes;
    /** One decision per request passed on and not yet answered, oldest first. */
    private final ArrayDeque<CorsPolicy.Decision> unanswered = new ArrayDeque<>(2);
    /** True from a request answered here until its last content: its body is dropped. */
    private boolean discarding;

    public CorsHandler(CorsPolicy policy, Routes routes) {
        this.policy = policy;
        this.routes = routes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            discarding = false;
            if (answeredHere(ctx, request)) {
                discarding = !(msg instanceof LastHttpContent);
                ReferenceCountUtil.release(msg);
                return;
            }
        } else if (discarding && msg instanceof HttpContent) {
            discarding = !(msg instanceof LastHttpContent);
            ReferenceCountUtil.release(msg);
            return;
        }
        ctx.fireChannelRead(msg);
    }

    /** Decides on a request head; true when this handler answered it (refused, or a preflight). */
    private boolean answeredHere(ChannelHandlerContext ctx, HttpRequest request) {
        String origin = request.decoderResult().isSuccess() ? request.headers().get(HttpHeaderNames.ORIGIN) : null;
        if (origin == null || isSameOrigin(origin, request.headers().get(HttpHeaderNames.HOST))) {
            unanswered.add(NONE);
            return false;
        }
        CorsPolicy.Decision decision = policy.decide(origin);
        if (decision == null) {
            HttpResponses.error(ctx, request, ApiError.FORBIDDEN, "Origin: '" + ApiException.echo(origin)
                    + "' is not allowed (allowedOrigins)", bodyFollows(request), null);
            return true;
        }
        Route route = request.method().equals(HttpMethod.OPTIONS)
                && request.headers().contains(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD) ? route(request) : null;
        if (route != null) {
            HttpResponses.noContent(ctx, request, bodyFollows(request),
                    r -> decision.applyToPreflight(r.headers(), route.method()));
            return true;
        }
        unanswered.add(decision);
        return false;
    }

    /**
     * Whether {@code origin}'s host and port are the request's own {@code Host}: a page served from the gateway's
     * own address (or from the proxy's, which forwards {@code Host}) calling it, which is not a cross-origin
     * request and needs no CORS. The scheme is not compared, since a TLS-terminating proxy changes it. A
     * cross-site page cannot make a browser send a {@code Host} other than the gateway's.
     */
    static boolean isSameOrigin(String origin, String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        int schemeEnd = origin.indexOf("://");
        if (schemeEnd < 0) {
            return false;
        }
        String authority = origin.substring(schemeEnd + 3);
        String scheme = origin.substring(0, schemeEnd);
        String defaultPort = "https".equalsIgnoreCase(scheme) ? ":443" : ":80";
        String h = host.endsWith(defaultPort) ? host.substring(0, host.length() - defaultPort.length()) : host;
        String a = authority.endsWith(defaultPort) ? authority.substring(0, authority.length() - defaultPort.length())
                : authority;
        return a.equalsIgnoreCase(h);
    }

    private Route route(HttpRequest request) {
        try {
            return routes.match(QueryParams.of(request.uri()).path());
        } catch (ApiException malformed) {
            return null; // the router answers the 400
        }
    }

    /**
     * Whether body bytes follow a request answered here. Then the connection closes after the answer rather
     * than leave the next request's framing to a body the client may or may not send (it might be waiting
     * for 100 Continue); a request without a body keeps its connection.
     */
    private static boolean bodyFollows(HttpRequest request) {
        return !(request instanceof LastHttpContent)
                && (HttpUtil.getContentLength(request, 0L) > 0 || HttpUtil.isTransferEncodingChunked(request));
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
            CorsPolicy.Decision decision = unanswered.poll();
            if (decision != null && decision != NONE) {
                decision.applyTo(response.headers());
            }
        }
        ctx.write(msg, promise);
    }
}
