package io.sluice.api;

/**
 * The names of CONTRACT §1. Checked at the edge (publish, subscribe, snapshot) so nothing inside ever sees
 * a topic or type that could break a frame: CR, LF and NUL are outside both alphabets, which is what makes
 * response splitting of the event stream impossible.
 */
public final class Grammar {
    public static final int MAX_TOPIC_LENGTH = 200;
    public static final int MAX_TYPE_LENGTH = 64;
    public static final String TOPIC_RULE = "1-200 characters from A-Z a-z 0-9 - _ . ~ : / @";
    public static final String TOPIC_PATTERN_RULE = "1-200 characters from A-Z a-z 0-9 - _ . ~ : / @ and * (any run)";
    public static final String TYPE_RULE = "1-64 characters from A-Z a-z 0-9 - _ . :";
    public static final String TYPE_GLOB_RULE = "1-64 characters from A-Z a-z 0-9 - _ . : and * (any run)";
    public static final String DEFAULT_TYPE = "message";
    /** The implicit topic every stream receives. */
    public static final String BROADCAST_TOPIC = "broadcast";
    /** Prefix of the implicit per-user topic {@code user/<sub>}, readable only by that user or an admin. */
    public static final String USER_TOPIC_PREFIX = "user/";
    /**
     * What a connection event (CONTRACT §11) is addressed to, {@code connection/<connectionId>}: publish rights are
     * checked on this name as on a topic's. It is not a topic: nothing subscribes to it and nothing is retained.
     */
    public static final String CONNECTION_ADDRESS_PREFIX = "connection/";
    public static final int MAX_CONNECTION_ID_LENGTH = 27;
    public static final String CONNECTION_ID_RULE = "a connection id as the connected event gives it, such as 1x9k2-1";

    private Grammar() {
    }

    public static boolean isTopic(String s) {
        return s != null && s.length() >= 1 && s.length() <= MAX_TOPIC_LENGTH && allMatch(s, true, false);
    }

    public static boolean isType(String s) {
        return s != null && s.length() >= 1 && s.length() <= MAX_TYPE_LENGTH && allMatch(s, false, false);
    }

    /** A topic pattern of {@code publicTopics}, {@code presenceTopics} and token claims: topic characters and {@code *}. */
    public static boolean isTopicPattern(String s) {
        return s != null && s.length() >= 1 && s.length() <= MAX_TOPIC_LENGTH && allMatch(s, true, true);
    }

    /**
     * A connection id as the gateway issues them: {@code <node>-<counter>}, both base 36 (digits and lower-case
     * letters), at most {@value #MAX_CONNECTION_ID_LENGTH} characters. Safe inside a topic name and an SSE field.
     */
    public static boolean isConnectionId(String s) {
        if (s == null || s.length() < 3 || s.length() > MAX_CONNECTION_ID_LENGTH) {
            return false;
        }
        int dash = s.indexOf('-');
        if (dash < 1 || dash == s.length() - 1) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (i != dash && !(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z')) {
                return false;
            }
        }
        return true;
    }

    public static boolean isTypeGlob(String s) {
        return s != null && s.length() >= 1 && s.length() <= MAX_TYPE_LENGTH && allMatch(s, false, true);
    }

    private static boolean allMatch(String s, boolean topic, boolean star) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == ':'
                    || (topic && (c == '~' || c == '/' || c == '@'))
                    || (star && c == '*');
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
