package io.sluice.stream;

import io.netty.handler.codec.http.HttpHeaders;
import io.sluice.api.ApiError;
import io.sluice.api.ApiException;
import io.sluice.api.Grammar;
import io.sluice.api.QueryParams;
import io.sluice.fanout.TypeFilter;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The validated query shared by the stream (§2) and snapshot (§3) endpoints.
 *
 * @param topics the named topics, deduplicated, in the order given (implicit topics not included)
 * @param filter the {@code types} filter
 * @param limit the {@code limit} parameter, or -1 when absent
 * @param lastEventId the {@code Last-Event-ID} header, else the {@code lastEventId} query value, else null
 * @param presence {@code presence=true}: the stream wants {@code presence:join} and {@code presence:leave} events of
 *                 its tracked topics (CONTRACT §11); the snapshot ignores it
 */
public record StreamQuery(List<String> topics, TypeFilter filter, int limit, String lastEventId, boolean presence) {
    public static final int MAX_LIMIT = 1_000_000;
    static final String LAST_EVENT_ID_HEADER = "Last-Event-ID";

    /**
     * @throws ApiException 400 naming the offending parameter
     */
    public static StreamQuery parse(QueryParams query, HttpHeaders headers, int maxTopics, int maxLimit) {
        Set<String> topics = new LinkedHashSet<>();
        for (String topic : query.all("topic")) {
            if (!Grammar.isTopic(topic)) {
                throw ApiException.invalid("topic: '" + ApiException.echo(topic) + "' must be " + Grammar.TOPIC_RULE);
            }
            topics.add(topic);
        }
        if (topics.isEmpty()) {
            throw ApiException.invalid("topic: at least one is required, e.g. ?topic=orders");
        }
        if (topics.size() > maxTopics) {
            throw new ApiException(ApiError.TOO_MANY_TOPICS, "topic: " + topics.size() + " given, at most " + maxTopics
                    + " (maxTopicsPerConnection) per request");
        }
        List<String> globs = new ArrayList<>();
        for (String list : query.all("types")) {
            for (String glob : list.split(",", -1)) {
                if (!Grammar.isTypeGlob(glob)) {
                    throw ApiException.invalid("types: '" + ApiException.echo(glob) + "' must be " + Grammar.TYPE_GLOB_RULE);
                }
                globs.add(glob);
            }
        }
        int limit = -1;
        String limitText = query.first("limit");
        if (limitText != null) {
            limit = parseLimit(limitText, maxLimit);
        }
        String lastEventId = headers.get(LAST_EVENT_ID_HEADER);
        if (lastEventId == null || lastEventId.isEmpty()) {
            lastEventId = query.first("lastEventId");
            if (lastEventId != null && lastEventId.isEmpty()) {
                lastEventId = null;
            }
        }
        return new StreamQuery(List.copyOf(topics), TypeFilter.of(globs), limit, lastEventId,
                parsePresence(query.first("presence")));
    }

    private static boolean parsePresence(String text) {
        if (text == null || text.equals("false")) {
            return false;
        }
        if (text.equals("true")) {
            return true;
        }
        throw ApiException.invalid("presence: '" + ApiException.echo(text) + "' must be true or false");
    }

    private static int parseLimit(String text, int maxLimit) {
        try {
            int value = Integer.parseInt(text);
            if (value >= 0 && value <= maxLimit) {
                return value;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw ApiException.invalid("limit: '" + ApiException.echo(text) + "' must be a whole number from 0 to " + maxLimit);
    }

    /** Parses an event id as the gateway issues them (decimal, positive); -1 when it cannot be one. */
    public static long parseEventId(String id) {
        if (id == null || id.isEmpty() || id.length() > 19) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v > 0 ? v : -1;
    }

}
