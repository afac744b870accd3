package io.sluice.presence;

import io.sluice.api.Glob;

import java.util.List;

/**
 * The topics whose presence is tracked: the {@code presenceTopics} patterns, globs on topic names where {@code *}
 * matches any run of characters. With none configured (the default) every check is one field read, so untracked
 * topics cost a stream nothing more. Immutable; any thread.
 */
public final class PresenceTopics {
    private final String[] patterns;

    private PresenceTopics(String[] patterns) {
        this.patterns = patterns;
    }

    /** @param patterns validated topic patterns ({@code Grammar.isTopicPattern}) */
    public static PresenceTopics of(List<String> patterns) {
        return new PresenceTopics(patterns.toArray(new String[0]));
    }

    /** Whether no topic is tracked. */
    public boolean isEmpty() {
        return patterns.length == 0;
    }

    /** Whether {@code topic} is tracked. Allocation-free. */
    public boolean matches(String topic) {
        for (String pattern : patterns) {
            if (Glob.matches(pattern, topic)) {
                return true;
            }
        }
        return false;
    }
}
