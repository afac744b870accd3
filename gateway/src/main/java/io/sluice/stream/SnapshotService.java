package io.sluice.stream;

import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.sluice.api.ApiException;
import io.sluice.api.Json;
import io.sluice.api.QueryParams;
import io.sluice.auth.AccessPolicy;
import io.sluice.auth.Principal;
import io.sluice.fanout.Event;
import io.sluice.fanout.FanoutCore;
import io.sluice.fanout.Topic;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The snapshot endpoint (CONTRACT §3): retained events of the named topics as JSON, for clients that cannot
 * stream or that were told {@code reset}. Stateless and thread-safe; runs on the request's event loop.
 */
public final class SnapshotService {
    public static final int DEFAULT_LIMIT = 20;
    public static final int MAX_LIMIT = 1000;
    private static final DateTimeFormatter RFC3339_MILLIS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final FanoutCore fanout;
    private final AccessPolicy access;
    private final int maxTopics;

    public SnapshotService(FanoutCore fanout, AccessPolicy access, int maxTopics) {
        this.fanout = fanout;
        this.access = access;
        this.maxTopics = maxTopics;
    }

    /** @return the response body; throws {@link ApiException} for a bad or unauthorised request */
    public byte[] snapshot(ChannelHandlerContext ctx, FullHttpRequest request, QueryParams query) {
        Principal principal = access.authenticate(ctx.channel(), request, query);
        StreamQuery q = StreamQuery.parse(query, request.headers(), maxTopics, MAX_LIMIT);
        for (String topic : q.topics()) {
            access.checkSubscribe(principal, topic);
        }
        int limit = q.limit() < 0 ? DEFAULT_LIMIT : q.limit();
        String afterText = query.first("after");
        long after = -1;
        if (afterText != null) {
            after = StreamQuery.parseEventId(afterText);
            if (after < 0) {
                throw ApiException.invalid("after: '" + ApiException.echo(afterText)
                        + "' is not an event id issued by this gateway");
            }
        }
        long lastId = fanout.lastAssignedId();
        List<SnapshotEvent> events = new ArrayList<>();
        for (String name : q.topics()) {
            Topic topic = fanout.topics().find(name);
            if (topic == null) {
                continue;
            }
            if (after >= 0) {
                topic.history().after(after, q.filter(), limit, SnapshotEvent::of, events);
            } else {
                topic.history().newest(Long.MAX_VALUE, q.filter(), limit, SnapshotEvent::of, events);
            }
        }
        events.sort(Comparator.comparingLong(e -> e.event().id()));
        List<SnapshotEvent> page = after >= 0
                ? events.subList(0, Math.min(limit, events.size()))
                : events.subList(Math.max(0, events.size() - limit), events.size());
        return Json.write(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("events");
            for (SnapshotEvent e : page) {
                writeEvent(g, e);
            }
            g.writeEndArray();
            if (lastId < 0) {
                g.writeNullField("lastEventId");
            } else {
                g.writeStringField("lastEventId", Long.toString(lastId));
            }
            g.writeEndObject();
        });
    }

    private static void writeEvent(JsonGenerator g, SnapshotEvent snapshot) throws IOException {
        Event e = snapshot.event();
        g.writeStartObject();
        g.writeStringField("id", Long.toString(e.id()));
        g.writeStringField("topic", e.topic().name());
        g.writeStringField("type", e.type());
        g.writeFieldName("data");
        g.writeRawValue(new String(snapshot.dataJson(), StandardCharsets.UTF_8));
        g.writeStringField("time", RFC3339_MILLIS.format(Instant.ofEpochMilli(e.timeMillis())));
        if (e.key() != null) {
            g.writeStringField("key", e.key()); // CONTRACT §12: keyed events show their key
        }
        g.writeEndObject();
    }

    /** A retained event with its data, read while its history held the frame (the data is read from the frame). */
    private record SnapshotEvent(Event event, byte[] dataJson) {
        /** Under the history's monitor only. */
        static SnapshotEvent of(Event e) {
            return new SnapshotEvent(e, e.dataJson());
        }
    }
}
