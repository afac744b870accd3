package io.sluice.ops;

import io.sluice.config.SluiceConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the nginx kit promises that a live run cannot show on its own (no nginx needed): the shipped values stay
 * consistent with the gateway's defaults, and the site file keeps the settings that hold even when a node does not
 * send {@code X-Accel-Buffering: no}. {@link NginxIntegrationTest} runs the same files in a real nginx.
 */
class NginxSiteFileTest {
    private static final String SITE = OpsFiles.read(NginxFixture.SITE_FILE);

    @Test
    void streamRouteIsUnbufferedUncachedUncompressedWithItsTimeoutInTheInclude() {
        String stream = block("location = /v1/events/stream");

        for (String directive : new String[] {"proxy_pass http://sluice;", "proxy_buffering off;", "proxy_cache off;",
            "gzip off;", "include sluice/stream-timeout.conf;"}) {
            assertTrue(stream.contains(directive), () -> "stream location lacks '" + directive + "':\n" + stream);
        }
    }

    @Test
    void everyRouteSendsHttp11KeepAliveAndTheClientAddress() {
        String server = block("server");

        for (String directive : new String[] {"proxy_http_version 1.1;", "proxy_set_header Connection \"\";",
            "proxy_set_header X-Real-IP $remote_addr;", "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"}) {
            assertTrue(server.contains(directive), () -> "server block lacks '" + directive + "'");
        }
        // nginx drops every inherited proxy_set_header in a location that sets one of its own.
        assertFalse(server.substring(server.indexOf("\n    location ")).contains("proxy_set_header"),
                "a location must not set proxy_set_header (it would drop the server's)");
        assertFalse(SITE.contains("proxy_pass_request_headers"), "request headers (Last-Event-ID) must pass");
    }

    @Test
    void shippedReadTimeoutLeavesRoomForFourHeartbeats() {
        String timeout = OpsFiles.read(NginxFixture.SHIPPED_INCLUDES.resolve(NginxFixture.STREAM_TIMEOUT_FILE));

        Duration readTimeout = seconds(timeout, "proxy_read_timeout");

        assertTrue(readTimeout.compareTo(SluiceConfig.DEFAULT_HEARTBEAT_INTERVAL.multipliedBy(4)) >= 0,
                () -> "proxy_read_timeout " + readTimeout + " vs heartbeatInterval " + SluiceConfig.DEFAULT_HEARTBEAT_INTERVAL);
    }

    @Test
    void upstreamHasSeveralNodesAndClosesIdleConnectionsBeforeTheGatewayDoes() {
        String upstream = block("upstream sluice");
        String nodes = OpsFiles.read(NginxFixture.SHIPPED_INCLUDES.resolve(NginxFixture.UPSTREAM_FILE));

        assertTrue(upstream.indexOf("least_conn;") < upstream.indexOf("keepalive "), "balancing method before keepalive");
        assertTrue(Pattern.compile("(?m)^server ").matcher(nodes).results().count() >= 2, "several nodes:\n" + nodes);
        assertTrue(seconds(upstream, "keepalive_timeout").compareTo(SluiceConfig.DEFAULT_IDLE_TIMEOUT) < 0,
                "upstream keepalive_timeout below the gateway's idleTimeout");
    }

    @Test
    void shippedBodyLimitIsTheGatewaysMaxBodyBytesAndNginxAnswersOversizedBodiesItself() {
        String server = OpsFiles.read(NginxFixture.SHIPPED_INCLUDES.resolve(NginxFixture.SERVER_FILE));
        Matcher m = Pattern.compile("(?m)^client_max_body_size (\\d+)m;").matcher(server);
        assertTrue(m.find(), "client_max_body_size in sluice/server.conf");

        assertEquals(SluiceConfig.DEFAULT_MAX_BODY_BYTES, Long.parseLong(m.group(1)) * 1024 * 1024, m.group());
        assertEquals(NginxFixture.BODY_LIMIT, m.group(1) + "m", "the test's nginx uses the shipped limit");
        assertTrue(block("location /").contains("error_page 413 = @sluice_too_large;"), "JSON 413 from nginx");
    }

    /** The text of the first block that opens with {@code head {}, braces balanced. */
    private static String block(String head) {
        int start = SITE.indexOf("\n" + head + " {");
        start = start >= 0 ? start : SITE.indexOf("    " + head + " {");
        assertTrue(start >= 0, "no block '" + head + " {' in " + NginxFixture.SITE_FILE);
        int depth = 0;
        for (int i = SITE.indexOf('{', start); i < SITE.length(); i++) {
            char c = SITE.charAt(i);
            depth += c == '{' ? 1 : c == '}' ? -1 : 0;
            if (depth == 0) {
                return SITE.substring(SITE.indexOf('{', start) + 1, i);
            }
        }
        throw new AssertionError("unbalanced braces after '" + head + "'");
    }

    private static Duration seconds(String text, String directive) {
        Matcher m = Pattern.compile("(?m)^\\s*" + directive + " (\\d+)s;").matcher(text);
        assertTrue(m.find(), "no '" + directive + " <n>s;' in:\n" + text);
        return Duration.ofSeconds(Long.parseLong(m.group(1)));
    }
}
