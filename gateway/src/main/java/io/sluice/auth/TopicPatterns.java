package io.sluice.auth;

import io.sluice.fanout.Glob;
import io.sluice.fanout.Grammar;

import java.util.List;

/**
 * Topic patterns of tokens ({@code sluice.subscribe}, {@code sluice.publish}) and of {@code publicTopics}: globs
 * on topic names where {@code *} matches any run of characters, possibly empty, including {@code /}. Stateless.
 */
final class TopicPatterns {
    static final String RULE = "1-200 characters from A-Z a-z 0-9 - _ . ~ : / @ and * (any run)";

    private TopicPatterns() {
    }

    /** Whether {@code pattern} is a pattern: a topic, once each {@code *} is read as one topic character. */
    static boolean isValid(String pattern) {
        return Grammar.isTopic(pattern.replace('*', 'x'));
    }

    /** Whether any of {@code patterns} matches {@code topic}. */
    static boolean anyMatches(List<String> patterns, String topic) {
        for (int i = 0; i < patterns.size(); i++) {
            if (Glob.matches(patterns.get(i), topic)) {
                return true;
            }
        }
        return false;
    }
}
