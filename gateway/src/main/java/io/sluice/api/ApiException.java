package io.sluice.api;

/**
 * A request the gateway refuses, with the §6 error to answer. Thrown while reading a request, caught by the
 * router, which answers it. The message is shown to the client: name the field and say what is allowed.
 */
public final class ApiException extends RuntimeException {
    private final ApiError error;
    private final transient HttpResponses.ResponseCustomizer customizer;

    public ApiException(ApiError error, String message) {
        this(error, message, null);
    }

    /** @param customizer adds headers to the error response (e.g. {@code WWW-Authenticate}), or null */
    public ApiException(ApiError error, String message, HttpResponses.ResponseCustomizer customizer) {
        super(message, null, false, false);
        this.error = error;
        this.customizer = customizer;
    }

    public static ApiException invalid(String message) {
        return new ApiException(ApiError.INVALID_REQUEST, message);
    }

    public ApiError error() {
        return error;
    }

    /** What adds this error's extra response headers, or null. */
    public HttpResponses.ResponseCustomizer customizer() {
        return customizer;
    }

    /**
     * Client input made safe to quote in an error message: control characters become {@code ?} (no header or
     * log injection) and anything past 64 characters is cut with an ellipsis.
     */
    public static String echo(String input) {
        StringBuilder b = new StringBuilder(Math.min(input.length(), 65));
        for (int i = 0; i < input.length() && i < 64; i++) {
            char c = input.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return input.length() > 64 ? b.append('…').toString() : b.toString();
    }
}
