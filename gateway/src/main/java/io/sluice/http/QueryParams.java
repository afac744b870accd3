package io.sluice.http;

import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.List;
import java.util.Map;

/** The decoded query of a request; immutable. Percent-decoding errors surface as a 400 naming the query. */
public final class QueryParams {
    /** Parameters beyond this are ignored by the decoder: bounds the work one request line can cause. */
    static final int MAX_PARAMS = 256;

    private final String path;
    private final Map<String, List<String>> params;

    private QueryParams(String path, Map<String, List<String>> params) {
        this.path = path;
        this.params = params;
    }

    public static QueryParams of(String uri) {
        try {
            QueryStringDecoder decoder = decoder(true, MAX_PARAMS).build(uri);
            return new QueryParams(decoder.path(), decoder.parameters());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("query: malformed percent-encoding (" + e.getMessage() + ")");
        }
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
