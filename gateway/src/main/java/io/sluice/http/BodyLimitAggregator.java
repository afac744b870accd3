package io.sluice.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Aggregates a request body up to {@code maxBodyBytes}. A body announced larger by Content-Length is refused
 * before any of it is buffered, a chunked one as soon as it passes the bound: either way with the §6 JSON
 * 413, and the connection closes (the rest of the body is never read). {@code Expect: 100-continue} gets
 * the same 413 instead of a 100.
 */
final class BodyLimitAggregator extends HttpObjectAggregator {
    private final long maxBodyBytes;

    BodyLimitAggregator(int maxBodyBytes) {
        super(maxBodyBytes, true);
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength,
                                         io.netty.channel.ChannelPipeline pipeline) {
        if (HttpUtil.getContentLength(start, -1L) > maxContentLength) {
            return null; // handleOversizedMessage answers
        }
        return super.newContinueResponse(start, maxContentLength, pipeline);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        HttpRequest request = oversized instanceof HttpRequest r ? r : null;
        HttpResponses.error(ctx, request, ApiError.TOO_LARGE,
                "body: larger than maxBodyBytes (" + maxBodyBytes + " bytes)", true, null);
    }
}
