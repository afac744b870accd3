package io.sluice.http;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.sluice.api.Json;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One access-log line: a request and its response, or a stream from open to close. Immutable; formats itself
 * as {@code key=value} text or as one JSON object. Both formats carry the same fields in the same order:
 * {@code time} (end, UTC, milliseconds), {@code method}, {@code path} (query redacted, see {@link #target}),
 * {@code status} (null/{@code -} when the connection ended before a response), {@code duration_ms} (three
 * decimals), {@code bytes} (response body bytes; null/{@code -} for a stream), {@code user} ({@code -} when
 * anonymous), {@code client} (peer address), and {@code close} (why it ended) only for a stream or a request
 * cut short by the connection closing.
 *
 * @param status 0 when no response was sent
 * @param bytes -1 when not counted (a stream)
 * @param user null when anonymous or unknown
 * @param close null when the response completed
 */
record AccessLogRecord(Instant time, String method, String path, int status, long durationNanos, long bytes,
                       String user, String client, String close) {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter TIME_TO_SECOND =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);
    /**
     * The text of the last second a line was written in: {@link #TIME} formats 1,000 lines a second of one busy loop
     * all alike but for the milliseconds, and that formatter was half the cost of formatting a line. Any thread: a stale
     * or raced value is only a cache miss.
     */
    private static volatile SecondText lastSecond = new SecondText(Long.MIN_VALUE, "");
    /** Query parameters whose values are logged: the ones the gateway reads that can never hold a secret. */
    private static final Set<String> SHOWN_PARAMETERS = Set.of("topic", "types", "limit", "lastEventId", "after");
    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z0-9_]{1,32}");
    static final String REDACTED = "[redacted]";

    /**
     * The request target as logged: the path as sent, and of the query only the values of
     * {@link #SHOWN_PARAMETERS}. Any other parameter (above all {@code access_token}) keeps its name when the name
     * is a plain identifier and loses its value: {@code access_token=[redacted]}; anything stranger is replaced
     * whole by {@code [redacted]}. Names are compared percent-decoded, as the gateway reads them, so
     * {@code access%5Ftoken} is redacted too.
     */
    static String target(String uri) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return uri;
        }
        StringBuilder b = new StringBuilder(uri.length()).append(uri, 0, q + 1);
        int start = q + 1;
        boolean first = true;
        while (start < uri.length()) {
            int end = uri.indexOf('&', start);
            if (end < 0) {
                end = uri.length();
            }
            if (end > start) {
                if (!first) {
                    b.append('&');
                }
                first = false;
                appendParameter(b, uri.substring(start, end));
            }
            start = end + 1;
        }
        return b.toString();
    }

    private static void appendParameter(StringBuilder b, String pair) {
        int eq = pair.indexOf('=');
        String rawName = eq < 0 ? pair : pair.substring(0, eq);
        String name;
        try {
            name = QueryStringDecoder.decodeComponent(rawName);
        } catch (IllegalArgumentException malformed) {
            b.append(REDACTED);
            return;
        }
        if (SHOWN_PARAMETERS.contains(name)) {
            b.append(pair);
        } else if (PLAIN_NAME.matcher(name).matches()) {
            b.append(name).append('=').append(REDACTED);
        } else {
            b.append(REDACTED);
        }
    }

    String toText() {
        StringBuilder b = new StringBuilder(160);
        b.append("time=");
        appendTime(b, time);
        appendText(b, "method", method);
        appendText(b, "path", path);
        b.append(" status=").append(status == 0 ? "-" : Integer.toString(status));
        b.append(" duration_ms=");
        appendMillis(b, durationNanos);
        b.append(" bytes=").append(bytes < 0 ? "-" : Long.toString(bytes));
        appendText(b, "user", user == null ? "-" : user);
        appendText(b, "client", client);
        if (close != null) {
            appendText(b, "close", close);
        }
        return b.toString();
    }

    String toJson() {
        return Json.writeString(g -> {
            g.writeStartObject();
            g.writeStringField("time", TIME.format(time));
            g.writeStringField("method", method);
            g.writeStringField("path", path);
            g.writeFieldName("status");
            if (status == 0) {
                g.writeNull();
            } else {
                g.writeNumber(status);
            }
            g.writeFieldName("duration_ms");
            g.writeNumber(durationMillis());
            g.writeFieldName("bytes");
            if (bytes < 0) {
                g.writeNull();
            } else {
                g.writeNumber(bytes);
            }
            g.writeStringField("user", user == null ? "-" : user);
            g.writeStringField("client", client);
            if (close != null) {
                g.writeStringField("close", close);
            }
            g.writeEndObject();
        });
    }

    /** {@code time} as {@link #TIME} writes it. */
    static void appendTime(StringBuilder b, Instant time) {
        SecondText second = lastSecond;
        if (second.epochSecond != time.getEpochSecond()) {
            second = new SecondText(time.getEpochSecond(), TIME_TO_SECOND.format(time));
            lastSecond = second;
        }
        int millis = time.getNano() / 1_000_000;
        b.append(second.text).append('.').append((char) ('0' + millis / 100)).append((char) ('0' + millis / 10 % 10))
                .append((char) ('0' + millis % 10)).append('Z');
    }

    /** {@code nanos} in milliseconds with three decimals, as {@link #durationMillis()}'s plain string. */
    static void appendMillis(StringBuilder b, long nanos) {
        long micros = Math.max(0, nanos) / 1000;
        int fraction = (int) (micros % 1000);
        b.append(micros / 1000).append('.').append((char) ('0' + fraction / 100))
                .append((char) ('0' + fraction / 10 % 10)).append((char) ('0' + fraction % 10));
    }

    private record SecondText(long epochSecond, String text) {
    }

    private BigDecimal durationMillis() {
        return BigDecimal.valueOf(Math.max(0, durationNanos) / 1000, 3);
    }

    /**
     * Appends {@code  key=value}; a value that is not plain printable ASCII (a user id with spaces, a path with
     * odd bytes) is quoted with {@code \"}, {@code \\} and control characters escaped, so one record is always
     * one line and a value can never forge another key.
     */
    private static void appendText(StringBuilder b, String key, String value) {
        b.append(' ').append(key).append('=');
        if (isPlain(value)) {
            b.append(value);
            return;
        }
        b.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\r') {
                b.append("\\r");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        b.append('"');
    }

    private static boolean isPlain(String value) {
        if (value.isEmpty()) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }
}
