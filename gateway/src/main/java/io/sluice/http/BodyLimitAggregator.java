package io.sluice.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.sluice.api.ApiError;
import io.sluice.api.ApiException;
import io.sluice.api.HttpResponses;

/**
 * Aggregates a request body up to {@code maxBodyBytes}. A body announced larger by Content-Length is refused
 * before any of it is buffered, a chunked one as soon as it passes the bound: either way with the §6 JSON
 * 413, and the connection closes (the rest of the body is never read). {@code Expect: 100-continue} gets
 * the same 413 instead of a 100.
 *
 * <p>Before any body is buffered, each request head is vetted by {@link RequestHead}. A refused head is passed
 * on at once as a failed decode whose cause is the {@link ApiException} to answer; the router answers it and
 * closes the connection, and the body that follows is discarded.
 */
final class BodyLimitAggregator extends HttpObjectAggregator {
    private final long maxBodyBytes;

    BodyLimitAggregator(int maxBodyBytes) {
        super(maxBodyBytes, true);
        this.maxBodyBytes = maxBodyBytes;
    }

    /** The one hook MessageAggregator calls for every message head before it buffers any body. */
    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        if (!start.decoderResult().isSuccess()) {
            return null; // the router answers the decoder's refusal; nothing in this head is to be trusted
        }
        ApiException refusal = start instanceof HttpRequest request ? RequestHead.refusal(request) : null;
        if (refusal != null) {
            start.setDecoderResult(DecoderResult.failure(refusal));
            return null;
        }
        if (isContentLengthInvalid(start, maxContentLength)) {
            return null; // handleOversizedMessage answers
        }
        return super.newContinueResponse(start, maxContentLength, pipeline);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        if (oversized.decoderResult().cause() instanceof ApiException refused) {
            // a refused head announcing a large body: the refusal is the better answer
            HttpResponses.error(ctx, null, refused.error(), refused.getMessage(), true, null);
            return;
        }
        HttpRequest request = oversized instanceof HttpRequest r ? r : null;
        HttpResponses.error(ctx, request, ApiError.TOO_LARGE,
                "body: larger than maxBodyBytes (" + maxBodyBytes + " bytes)", true, null);
    }
}
