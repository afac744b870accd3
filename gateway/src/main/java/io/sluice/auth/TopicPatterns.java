package io.sluice.auth;

import io.sluice.api.Glob;
import io.sluice.api.Grammar;

import java.util.List;

/**
 * Topic patterns of tokens ({@code sluice.subscribe}, {@code sluice.publish}) and of {@code publicTopics}: globs
 * on topic names where {@code *} matches any run of characters, possibly empty, including {@code /}. Stateless.
 */
final class TopicPatterns {

    private TopicPatterns() {
    }

    /** Whether {@code pattern} is a topic pattern (CONTRACT §5): topic characters and {@code *}, 1-200 of them. */
    static boolean isValid(String pattern) {
        return Grammar.isTopicPattern(pattern);
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
