package io.sluice.testing;

import java.util.List;
import java.util.Map;

/**
 * One HTTP response as read off the wire by {@link HttpTestClient} or {@link HttpConnection}.
 *
 * @param status the status code, or -1 if the server closed the connection without sending a complete head
 * @param reason the reason phrase ({@code ""} if none)
 * @param headers the response headers, case-insensitive and unmodifiable; {@code headers().get("content-type")}
 *     works as well as {@link #header}
 * @param body the body with chunked framing removed, decoded as UTF-8
 * @param closedByServer whether the server was seen to end the connection (end of stream or reset) after this
 *     response; see the method that returned it for how long it looked
 */
public record RawResponse(int status, String reason, Map<String, List<String>> headers, String body,
                          boolean closedByServer) {

    /** The first value of a header, case-insensitive, or null if absent. */
    public String header(String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** Every value of a header, in order; empty if absent. */
    public List<String> headerValues(String name) {
        return headers.getOrDefault(name, List.of());
    }
}
