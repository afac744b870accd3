package io.sluice.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.api.ApiError;
import io.sluice.api.ApiException;

import java.util.List;

/**
 * The rules of RFC 9110/9112 a request head must meet that Netty's decoder leaves to the application. The decoder
 * already refuses bad line and header syntax, CR, LF and NUL in values, bare LF line ends, conflicting or
 * malformed Content-Length, Content-Length together with Transfer-Encoding, and chunked not last. What is left:
 * <ul>
 *   <li>an HTTP major version other than 1 → 505; {@code HTTP/1.x} with x &gt; 1 is served as HTTP/1.1
 *       (RFC 9112 section 2.3);
 *   <li>a Transfer-Encoding other than one {@code chunked} → 400: the gateway decodes no other coding, and where
 *       chunked is not the final coding the body length is unknown (RFC 9112 section 6.3, rule 4). Netty would
 *       read such a request as bodyless and its "body" as the next request: request smuggling;
 *   <li>more than one Host field → 400 (RFC 9112 section 3.2);
 *   <li>an {@code Expect} other than {@code 100-continue} on HTTP/1.1 → 417 (RFC 9110 section 10.1.1), as §6 JSON
 *       rather than Netty's empty 417;
 *   <li>a request target that is neither origin-form ({@code /path?query}) nor absolute-form → 400; absolute-form
 *       is rewritten to origin-form, since a server must accept it (RFC 9112 section 3.2.2).
 * </ul>
 * Every refusal is about framing or the head itself, so the connection closes after the answer: the gateway and
 * a proxy in front of it could disagree on where the next request starts.
 *
 * <p>Stateless; called on the channel's event loop, by {@link BodyLimitAggregator} for each request head before
 * any of its body is buffered.
 */
final class RequestHead {
    private static final String HTTP_SCHEME = "http://";
    private static final String HTTPS_SCHEME = "https://";

    private RequestHead() {
    }

    /**
     * Checks {@code request} and may rewrite it in place (version, target) so that everything after sees the
     * normalised form.
     *
     * @return the refusal to answer before closing the connection, or null when the request may be served
     */
    static ApiException refusal(HttpRequest request) {
        HttpVersion version = request.protocolVersion();
        if (version.majorVersion() != 1) {
            return new ApiException(ApiError.HTTP_VERSION_NOT_SUPPORTED, "request line: "
                    + ApiException.echo(version.text()) + " is not supported; use HTTP/1.1");
        }
        if (version.minorVersion() > 1) {
            request.setProtocolVersion(HttpVersion.HTTP_1_1);
        }
        List<String> codings = request.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!codings.isEmpty() && (codings.size() > 1
                || !HttpHeaderValues.CHUNKED.contentEqualsIgnoreCase(codings.get(0).trim()))) {
            return ApiException.invalid("Transfer-Encoding: '" + ApiException.echo(String.join(", ", codings))
                    + "' is not accepted; send the body with Content-Length or as one chunked coding");
        }
        if (request.headers().getAll(HttpHeaderNames.HOST).size() > 1) {
            return ApiException.invalid("Host: given more than once");
        }
        String expect = request.headers().get(HttpHeaderNames.EXPECT);
        if (expect != null && version.minorVersion() >= 1 && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect)) {
            return new ApiException(ApiError.EXPECTATION_FAILED, "Expect: '" + ApiException.echo(expect)
                    + "' cannot be met; only 100-continue is supported");
        }
        String target = request.uri();
        if (!target.startsWith("/")) {
            String originForm = originForm(target);
            if (originForm == null) {
                return ApiException.invalid("request target: '" + ApiException.echo(target)
                        + "' must be a path such as /v1/events");
            }
            request.setUri(originForm);
        }
        return null;
    }

    /** The path and query of an absolute-form target ({@code http://host/p?q} → {@code /p?q}), or null. */
    private static String originForm(String target) {
        int authority;
        if (target.regionMatches(true, 0, HTTP_SCHEME, 0, HTTP_SCHEME.length())) {
            authority = HTTP_SCHEME.length();
        } else if (target.regionMatches(true, 0, HTTPS_SCHEME, 0, HTTPS_SCHEME.length())) {
            authority = HTTPS_SCHEME.length();
        } else {
            return null;
        }
        for (int i = authority; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c == '/') {
                return target.substring(i);
            }
            if (c == '?' || c == '#') {
                return "/" + target.substring(i);
            }
        }
        return "/";
    }
}
