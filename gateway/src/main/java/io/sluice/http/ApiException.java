package io.sluice.http;

/**
 * A request the gateway refuses, with the §6 error to answer. Thrown while reading a request, caught by the
 * router, which answers it. The message is shown to the client: name the field and say what is allowed.
 */
public final class ApiException extends RuntimeException {
    private final ApiError error;

    public ApiException(ApiError error, String message) {
        super(message, null, false, false);
        this.error = error;
    }

    public static ApiException invalid(String message) {
        return new ApiException(ApiError.INVALID_REQUEST, message);
    }

    public ApiError error() {
        return error;
    }
}
