package io.sluice.api;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;

import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;

/**
 * Answers a request once work on another thread completes (a publish or a query Redis answers later), without
 * letting a pipelined request behind it be answered first. Stateless.
 *
 * <p>The request is retained until the answer is written (the router releases it when its handler returns). While
 * the work is outstanding the channel stops reading; the flow-control handler holds any request already decoded,
 * so answers go out in request order. The answer always runs on the channel's event loop; if that loop has stopped
 * (the server is shutting down and has closed the connection) nobody is answered and the request is released.
 */
public final class DeferredAnswer {
    private DeferredAnswer() {
    }

    /**
     * Call on the channel's loop from a route handler.
     *
     * @param answer writes the response on the channel's loop; given the stage's result, or its failure with any
     *               {@link CompletionException} wrapper removed
     */
    public static <T> void when(ChannelHandlerContext ctx, FullHttpRequest request, CompletionStage<T> work,
                                BiConsumer<T, Throwable> answer) {
        request.retain();
        boolean paused = !isDone(work);
        if (paused) {
            ctx.channel().config().setAutoRead(false);
        }
        work.whenComplete((result, failure) -> {
            Runnable respond = () -> {
                try {
                    answer.accept(result, unwrap(failure));
                } finally {
                    request.release();
                    if (paused) {
                        ctx.channel().config().setAutoRead(true); // next request: from the flow-control queue
                    }
                }
            };
            if (ctx.executor().inEventLoop()) {
                respond.run();
                return;
            }
            try {
                ctx.executor().execute(respond);
            } catch (RejectedExecutionException shuttingDown) {
                request.release();
            }
        });
    }

    /** {@code failure} without the {@link CompletionException} wrappers a stage adds; null stays null. */
    public static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** Whether {@code stage} has completed already (a local backplane's always has): no reason to pause reading. */
    private static boolean isDone(CompletionStage<?> stage) {
        try {
            return stage.toCompletableFuture().isDone();
        } catch (UnsupportedOperationException notAFuture) {
            return false;
        }
    }
}
