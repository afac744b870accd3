package io.sluice.http;

/**
 * Every handler name of the gateway's pipelines, in pipeline order (head first). One place to read the
 * pipeline's shape; {@link SluiceServerInitializer} is the one place that builds it, in this order.
 *
 * <p>HTTP phase: {@link #LINGERING_CLOSE} (transparent until the connection is to close; then discards what the
 * client still sends, so it reads the answer rather than a reset) → {@link #HTTP_CODEC} (request decoding with line
 * and header limits, response encoding) →
 * {@link #ACCESS_LOG} (one line per request; absent with {@code accessLog=off}) → {@link #REQUEST_TIMEOUT} (408 for
 * a request head not complete in time, close when idle; sees decoded requests and responses, see
 * {@link RequestTimeoutHandler}) → {@link #CORS} (public listener only: refuses disallowed origins, answers
 * preflights, adds CORS headers to responses) → {@link #BODY_LIMIT} (aggregates a body up to
 * {@code maxBodyBytes}, 413 past it) → {@link #FLOW_CONTROL} (Netty's {@code FlowControlHandler}: while reading is
 * paused for a publish whose answer comes later, it holds requests already decoded, so answers keep request
 * order) → {@link #ROUTER} (one request at a time to the endpoint).
 *
 * <p>Stream phase ({@link SluiceServerInitializer#toStreamPhase}): once a stream is accepted every HTTP handler is
 * removed and {@link #STREAM} sits right after the head, so fan-out writes go straight from it to the socket. Only {@link #ACCESS_LOG} stays, behind it: it
 * sees no write, only the channel closing, when it logs the stream.
 */
public final class PipelineNames {
    public static final String LINGERING_CLOSE = "lingering-close";
    public static final String HTTP_CODEC = "http-codec";
    public static final String ACCESS_LOG = "access-log";
    public static final String REQUEST_TIMEOUT = "request-timeout";
    public static final String CORS = "cors";
    public static final String BODY_LIMIT = "body-limit";
    public static final String FLOW_CONTROL = "flow-control";
    public static final String ROUTER = "router";
    public static final String STREAM = "stream";

    private PipelineNames() {
    }
}
