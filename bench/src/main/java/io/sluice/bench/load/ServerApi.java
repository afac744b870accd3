package io.sluice.bench.load;

import java.util.List;
import java.util.Locale;

/**
 * The server under test ({@code --server}): the only place where the generator's requests differ between Sluice
 * and nchan. Everything else (pacing, the event payload and its send timestamp, the event-stream parsing, latency,
 * loss and CPU accounting) is one code path. Immutable; thread-safe.
 *
 * <ul>
 *   <li>{@link #SLUICE}: {@code POST <prefix>/v1/publish} with JSON event objects naming their topic (an array for
 *       {@code --batch} above 1); {@code GET <prefix>/v1/events/stream?topic=A&topic=B}; a stream is open at its
 *       {@code event: connected}.</li>
 *   <li>{@link #NCHAN}: nchan's pub/sub locations as {@code bench/run-nchan-compare.sh} configures them:
 *       {@code POST <prefix>/pub/<topic>} whose whole body is one event's data (nchan stores a request body as one
 *       message, so one event per request); {@code GET <prefix>/sub/A,B} as an EventSource (several topics are one
 *       multiplexed stream, {@code nchan_channel_id_split_delimiter ","}); a stream is open once the response head
 *       says 200: nchan subscribes before it answers and sends no event of its own (only a {@code : hi} comment).</li>
 * </ul>
 */
enum ServerApi {
    SLUICE(false, false, ""),
    /*
     * The Accept header is nchan's: its eventsource-only location answers 403 without it. Sluice requests keep none,
     * because Sluice answers a temporary refusal to an EventSource with 200 and retry: instead of the 503/429 the
     * generator counts as a limit (CONTRACT §6).
     */
    NCHAN(true, true, "Accept: text/event-stream\r\n");

    private final boolean bareEventBody;
    private final boolean openAtResponseHead;
    private final String streamHeaders;

    ServerApi(boolean bareEventBody, boolean openAtResponseHead, String streamHeaders) {
        this.bareEventBody = bareEventBody;
        this.openAtResponseHead = openAtResponseHead;
        this.streamHeaders = streamHeaders;
    }

    /** {@code sluice} or {@code nchan}; anything else is an {@link IllegalArgumentException} naming the option. */
    static ServerApi parse(String text) {
        return switch (text) {
            case "sluice" -> SLUICE;
            case "nchan" -> NCHAN;
            default -> throw new IllegalArgumentException("--server: '" + text + "' is not sluice or nchan");
        };
    }

    /** The option's spelling. */
    String optionValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * True when a publish request's body is one event's data and its path names the topic (nchan); false when the
     * body is JSON event objects that name their topics (Sluice). A bare body carries exactly one event.
     */
    boolean bareEventBody() {
        return bareEventBody;
    }

    /** True when a 200 response head opens a stream; false when the stream waits for {@code event: connected}. */
    boolean openAtResponseHead() {
        return openAtResponseHead;
    }

    /** Request target of a publish to {@code topic}; {@code basePath} is {@code --url}'s path without a final slash. */
    String publishTarget(String basePath, String topic) {
        return bareEventBody ? basePath + "/pub/" + topic : basePath + "/v1/publish";
    }

    /** Request target of one stream reading {@code topics} (at least one). */
    String streamTarget(String basePath, List<String> topics) {
        if (topics.isEmpty()) {
            throw new IllegalArgumentException("a stream reads at least one topic");
        }
        return this == NCHAN ? basePath + "/sub/" + String.join(",", topics)
                : basePath + "/v1/events/stream?topic=" + String.join("&topic=", topics);
    }

    /** Header lines (each ending in CRLF) a stream request adds to Host and User-Agent; may be empty. */
    String streamHeaders() {
        return streamHeaders;
    }
}
