package io.sluice.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.sluice.api.ApiError;
import io.sluice.api.HttpResponses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes HTTP-phase connections that are too slow or idle (slowloris, abandoned keep-alive connections):
 * <ul>
 * <li><b>header timeout</b>: a request's head (request line and headers) must be complete within
 *     {@code requestHeaderTimeout} of the connection opening, or, for a later request on a kept-alive connection,
 *     of its first bytes. Otherwise: {@code 408 request_timeout} and close. A slow trickle of header bytes does not
 *     extend it.</li>
 * <li><b>idle timeout</b>: between requests, a connection with no new request for {@code idleTimeout} after the
 *     last response was written is closed silently; within a request, a body with no bytes for {@code idleTimeout}
 *     is answered {@code 408} and closed.</li>
 * </ul>
 * No timer runs while a request is with the server (head and body read, response not yet written): a slow answer
 * is not the client's fault. Streams are exempt: {@code StreamService} removes this handler when it turns the
 * connection into a stream.
 *
 * <p>Pipeline position: right after {@link PipelineNames#HTTP_CODEC}. There it sees request and response
 * boundaries as decoded messages ({@link HttpRequest}, {@link LastHttpContent}, and responses on their way out);
 * raw bytes it does not see, but every socket read ends with {@code channelReadComplete}, decoded or not, so a read
 * that decoded nothing between requests means part of a request head is waiting in the codec. One handler rather
 * than a second one before the codec to watch bytes; the price is one ambiguity: when a single read holds the end
 * of one request and the start of the next, the start goes unnoticed until more bytes arrive, so such a connection
 * is held at most {@code idleTimeout + requestHeaderTimeout}, never longer than an idle connection may be plus one
 * header timeout.
 *
 * <p>Stateful, one per connection; every method runs on the channel's event loop, and so does its timer. At most
 * one timer task is pending: moving a deadline later costs nothing (the task re-arms itself when it fires early);
 * only moving it earlier reschedules. The timer is cancelled when the channel closes or the handler is removed.
 */
public final class RequestTimeoutHandler extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(RequestTimeoutHandler.class);

    private enum Phase {
        /** Waiting for a request head to complete; the deadline does not move. */
        HEAD,
        /** Between requests, or inside a request body; the deadline moves with activity. */
        IDLE,
        /** A request is with the server: no deadline. */
        NONE
    }

    private final long headerTimeoutNanos;
    private final long idleTimeoutNanos;
    private final Duration headerTimeout;
    private final Duration idleTimeout;
    private final Runnable onTimer = this::onTimer;

    private ChannelHandlerContext ctx;
    private boolean started;
    private Phase phase = Phase.NONE;
    private long deadlineNanos;
    private Future<?> timer;
    private long timerDueNanos;
    /** Requests whose head was read and whose final response was not yet written. */
    private int inFlight;
    /** A request head was read, its last content not yet. */
    private boolean inBody;
    /** Bytes arrived between requests that made no request head yet: the codec holds part of one. */
    private boolean headPending;
    /** Whether the codec passed on anything since the last {@code channelReadComplete}. */
    private boolean decodedThisRead;
    /** A timeout fired: the connection is closing. */
    private boolean expired;

    public RequestTimeoutHandler(Duration requestHeaderTimeout, Duration idleTimeout) {
        this.headerTimeout = requestHeaderTimeout;
        this.idleTimeout = idleTimeout;
        this.headerTimeoutNanos = requestHeaderTimeout.toNanos();
        this.idleTimeoutNanos = idleTimeout.toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start();
        ctx.fireChannelActive();
    }

    private void start() {
        if (!started) {
            started = true;
            arm(Phase.HEAD, now() + headerTimeoutNanos);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (expired) {
            ReferenceCountUtil.release(msg); // the connection is closing: no request is served after a timeout
            return;
        }
        // State first: the router may answer (and so call write) before fireChannelRead returns.
        decodedThisRead = true;
        if (msg instanceof HttpRequest) {
            inFlight++;
            inBody = true;
            headPending = false;
        }
        if (msg instanceof LastHttpContent) {
            inBody = false;
        }
        if (inBody) {
            arm(Phase.IDLE, now() + idleTimeoutNanos);
        } else if (inFlight > 0) {
            phase = Phase.NONE;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (inBody) {
            arm(Phase.IDLE, now() + idleTimeoutNanos);
        } else if (!decodedThisRead && !headPending) {
            headPending = true;
            if (phase == Phase.IDLE) {
                arm(Phase.HEAD, now() + headerTimeoutNanos);
            }
            // HEAD: the first request's deadline runs from connect; NONE: armed when the response is written
        }
        decodedThisRead = false;
        ctx.fireChannelReadComplete();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof LastHttpContent && !isInformational(msg)) {
            if (inFlight > 0) {
                inFlight--;
            }
            if (inFlight == 0 && !inBody) {
                // The idle time runs from handing the response to the socket: a client that does not read it
                // is as idle as one that sends nothing.
                if (headPending) {
                    arm(Phase.HEAD, now() + headerTimeoutNanos);
                } else {
                    arm(Phase.IDLE, now() + idleTimeoutNanos);
                }
            }
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        phase = Phase.NONE;
        cancelTimer();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        phase = Phase.NONE;
        cancelTimer();
    }

    private static boolean isInformational(Object msg) {
        return msg instanceof HttpResponse r && r.status().codeClass() == HttpStatusClass.INFORMATIONAL;
    }

    private long now() {
        return ctx.executor().ticker().nanoTime();
    }

    /** Sets the deadline; schedules the timer only when none is due by then. */
    private void arm(Phase newPhase, long deadline) {
        phase = newPhase;
        deadlineNanos = deadline;
        if (timer != null && timerDueNanos <= deadline) {
            return;
        }
        cancelTimer();
        schedule(deadline);
    }

    private void schedule(long due) {
        timerDueNanos = due;
        timer = ctx.executor().schedule(onTimer, Math.max(0, due - now()), TimeUnit.NANOSECONDS);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void onTimer() {
        timer = null;
        if (phase == Phase.NONE || !ctx.channel().isActive()) {
            return;
        }
        if (now() < deadlineNanos) {
            schedule(deadlineNanos);
            return;
        }
        Phase due = phase;
        phase = Phase.NONE;
        expired = true;
        if (due == Phase.HEAD) {
            log.debug("connection {}: request head not complete within {}", ctx.channel(), headerTimeout);
            HttpResponses.error(ctx, null, ApiError.REQUEST_TIMEOUT, "request headers: not complete within "
                    + "requestHeaderTimeout (" + format(headerTimeout) + "); the connection is closed", true, null);
        } else if (inBody && inFlight > 0) {
            log.debug("connection {}: no request body bytes for {}", ctx.channel(), idleTimeout);
            HttpResponses.error(ctx, null, ApiError.REQUEST_TIMEOUT, "body: no bytes received for idleTimeout ("
                    + format(idleTimeout) + "); the connection is closed", true, null);
        } else {
            log.debug("connection {}: idle for {}, closing", ctx.channel(), idleTimeout);
            ctx.close();
        }
    }

    /** {@code 300ms}, {@code 10s}: the config's own duration syntax. */
    static String format(Duration d) {
        long millis = d.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }
}
