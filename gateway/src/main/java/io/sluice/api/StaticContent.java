package io.sluice.api;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;

/**
 * A file served from the jar (a page, the JavaScript client): its bytes, read once, with their content type, their
 * caching and a strong {@code ETag} (a hash of the bytes, so it changes exactly when the file does). A GET whose
 * {@code If-None-Match} names that tag gets {@code 304 Not Modified} without the body (RFC 9110 §13.1.2, weak
 * comparison). Immutable; {@link #send} on the channel's event loop.
 *
 * <p>Every answer says {@code Vary: Origin}: a shared cache must not give a copy stored for a request without
 * {@code Origin} (no CORS headers) to a cross-origin page, which would refuse it (the CORS handler adds its own
 * {@code Vary: Origin} to cross-origin answers only).
 */
public final class StaticContent {
    /** Nothing is kept anywhere: pages of the management and development surfaces, always fresh. */
    public static final String NO_STORE = "no-store";

    private final byte[] bytes;
    private final String contentType;
    private final String cacheControl;
    private final String etag;

    private StaticContent(byte[] bytes, String contentType, String cacheControl) {
        this.bytes = bytes;
        this.contentType = contentType;
        this.cacheControl = cacheControl;
        this.etag = '"' + Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(sha256(bytes), 16)) + '"';
    }

    /**
     * Reads {@code io/sluice/<path>} from the class path once.
     *
     * @throws IllegalStateException when the jar lacks it (a broken build, so start-up fails at once)
     */
    public static StaticContent resource(String path, String contentType, String cacheControl) {
        String name = "/io/sluice/" + path;
        try (InputStream in = StaticContent.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name.substring(1) + " in the jar");
            }
            return new StaticContent(in.readAllBytes(), contentType, cacheControl);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The strong entity tag, quoted, as sent in {@code ETag}. */
    public String etag() {
        return etag;
    }

    /** Answers {@code request}: 200 with the bytes, or 304 when its {@code If-None-Match} names {@link #etag()}. */
    public void send(ChannelHandlerContext ctx, HttpRequest request) {
        if (matches(request.headers().get(HttpHeaderNames.IF_NONE_MATCH))) {
            HttpResponses.notModified(ctx, request, r -> validators(r.headers()));
            return;
        }
        HttpResponses.send(ctx, request, HttpResponseStatus.OK, contentType, Unpooled.wrappedBuffer(bytes), false,
                r -> validators(r.headers()));
    }

    private void validators(HttpHeaders headers) {
        headers.set(HttpHeaderNames.CACHE_CONTROL, cacheControl)
                .set(HttpHeaderNames.ETAG, etag)
                .set(HttpHeaderNames.VARY, "Origin")
                .set("X-Content-Type-Options", "nosniff");
    }

    /** {@code If-None-Match}: {@code *} or a list of tags, each maybe weak ({@code W/"…"}); null when absent. */
    private boolean matches(String ifNoneMatch) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String candidate : ifNoneMatch.split(",")) {
            String tag = candidate.trim();
            if (tag.startsWith("W/")) {
                tag = tag.substring(2);
            }
            if ("*".equals(tag) || etag.equals(tag)) {
                return true;
            }
        }
        return false;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
