package io.sluice.presence;

import io.sluice.api.Json;

import java.util.List;

/**
 * The answer of {@code GET /v1/presence} (CONTRACT §11): the streams subscribed to a topic, the distinct
 * authenticated users among them (sorted, at most {@link #MAX_USERS}) and the anonymous streams. Immutable.
 *
 * @param connections streams subscribed to the topic
 * @param users distinct authenticated users, sorted, at most {@link #MAX_USERS}
 * @param anonymous anonymous streams among {@code connections}
 */
public record PresenceCount(String topic, long connections, List<String> users, long anonymous) {
    /** Most users an answer lists. */
    public static final int MAX_USERS = 1000;

    public PresenceCount {
        users = List.copyOf(users);
    }

    /** Zeros: an untracked topic, or one without streams. */
    public static PresenceCount none(String topic) {
        return new PresenceCount(topic, 0, List.of(), 0);
    }

    /** {@code {"topic":…,"connections":N,"users":[…],"anonymous":M}}. */
    public byte[] toJson() {
        return Json.write(g -> {
            g.writeStartObject();
            g.writeStringField("topic", topic);
            g.writeNumberField("connections", connections);
            g.writeArrayFieldStart("users");
            for (String user : users) {
                g.writeString(user);
            }
            g.writeEndArray();
            g.writeNumberField("anonymous", anonymous);
            g.writeEndObject();
        });
    }
}
