package io.sluice.api;

import io.netty.handler.codec.http.HttpResponseStatus;

/** The error kinds of CONTRACT §6: an HTTP status and the machine-readable code sent with it. */
public enum ApiError {
    INVALID_REQUEST(HttpResponseStatus.BAD_REQUEST, "invalid_request"),
    UNAUTHORIZED(HttpResponseStatus.UNAUTHORIZED, "unauthorized"),
    FORBIDDEN(HttpResponseStatus.FORBIDDEN, "forbidden"),
    NOT_FOUND(HttpResponseStatus.NOT_FOUND, "not_found"),
    METHOD_NOT_ALLOWED(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed"),
    TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "too_large"),
    HEADERS_TOO_LARGE(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "invalid_request"),
    /** More topics than {@code maxTopicsPerConnection}: on the wire a plain 400, kept apart to be counted. */
    TOO_MANY_TOPICS(HttpResponseStatus.BAD_REQUEST, "invalid_request"),
    /** Request headers (or a body) not received in time: the client was too slow, or never sent a request. */
    REQUEST_TIMEOUT(HttpResponseStatus.REQUEST_TIMEOUT, "request_timeout"),
    /** An {@code Expect} other than {@code 100-continue} (RFC 9110 section 10.1.1); the connection closes. */
    EXPECTATION_FAILED(HttpResponseStatus.EXPECTATION_FAILED, "invalid_request"),
    /** A request line naming an HTTP major version other than 1 (RFC 9110 section 15.6.6); the connection closes. */
    HTTP_VERSION_NOT_SUPPORTED(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "invalid_request"),
    TOO_MANY_CONNECTIONS(HttpResponseStatus.TOO_MANY_REQUESTS, "too_many_connections"),
    UNAVAILABLE(HttpResponseStatus.SERVICE_UNAVAILABLE, "unavailable"),
    /** Not in §6 because it is never the client's doing: a bug, logged with its stack trace. */
    INTERNAL(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error");

    private final HttpResponseStatus status;
    private final String code;

    ApiError(HttpResponseStatus status, String code) {
        this.status = status;
        this.code = code;
    }

    public HttpResponseStatus status() {
        return status;
    }

    public String code() {
        return code;
    }
}
