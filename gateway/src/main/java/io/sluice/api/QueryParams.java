package io.sluice.api;

import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.List;
import java.util.Map;

/**
 * The decoded path and query of a request; immutable. Percent-decoding errors and too many parameters surface as a
 * 400 naming the path or the query.
 */
public final class QueryParams {
    /**
     * Most parameters a query may carry; a query with more is refused (400) rather than cut short, which would
     * drop a {@code topic} given late without a word. The decoder stops one past it: bounds the work one request
     * line can cause.
     */
    static final int MAX_PARAMS = 256;

    private final String path;
    private final Map<String, List<String>> params;

    private QueryParams(String path, Map<String, List<String>> params) {
        this.path = path;
        this.params = params;
    }

    public static QueryParams of(String uri) {
        QueryStringDecoder decoder = decoder(true, MAX_PARAMS + 1).build(uri);
        String path;
        Map<String, List<String>> params;
        try {
            path = decoder.path();
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("path: malformed percent-encoding (" + e.getMessage() + ")");
        }
        try {
            params = decoder.parameters();
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("query: malformed percent-encoding (" + e.getMessage() + ")");
        }
        int count = 0;
        for (List<String> values : params.values()) {
            count += values.size();
        }
        if (count > MAX_PARAMS) {
            throw ApiException.invalid("query: more than " + MAX_PARAMS + " parameters");
        }
        return new QueryParams(path, params);
    }

    /**
     * A decoder of {@code application/x-www-form-urlencoded} text: UTF-8, {@code +} as space, pairs split on
     * {@code &} only. A {@code ;} is an ordinary character (WHATWG URL and HTML forms), not Netty's legacy
     * second separator.
     */
    public static QueryStringDecoder.Builder decoder(boolean hasPath, int maxParams) {
        return QueryStringDecoder.builder().hasPath(hasPath).maxParams(maxParams)
                .charset(java.nio.charset.StandardCharsets.UTF_8).semicolonIsNormalChar(true);
    }

    /** The decoded path, without query. */
    public String path() {
        return path;
    }

    /** Every value of {@code name}, in order; empty when absent. */
    public List<String> all(String name) {
        return params.getOrDefault(name, List.of());
    }

    /** The first value of {@code name}, or null. */
    public String first(String name) {
        List<String> values = params.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
