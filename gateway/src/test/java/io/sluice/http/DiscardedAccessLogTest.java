package io.sluice.http;

import io.sluice.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The start-up warm-up's access log: its lines take logback's path and an {@link AccessLogAppender}'s queue and writer,
 * and reach no output: not standard error, not logger {@value AccessLogHandler#LOGGER_NAME}'s appenders, not the
 * dropped-lines metric.
 */
class DiscardedAccessLogTest {
    @Test
    void linesTakeTheAppendersPathAndReachNoOutput() {
        PrintStream realErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        long droppedBefore = AccessLogAppender.droppedInProcess();
        try (LogCapture access = LogCapture.of(AccessLogHandler.LOGGER_NAME);
             LogCapture warmupLogger = LogCapture.of(DiscardedAccessLog.LOGGER_NAME)) {
            DiscardedAccessLog log = DiscardedAccessLog.open();
            Logger logger = log.logger();
            assertInstanceOf(ch.qos.logback.classic.Logger.class, logger, "logback's logger, as the access log's");
            assertEquals(DiscardedAccessLog.LOGGER_NAME, logger.getName());
            assertTrue(logger.isInfoEnabled());
            for (int i = 0; i < 1_000; i++) {
                logger.info("time=- method=POST path=/v1/publish status=200 n=" + i);
            }
            log.close();

            assertEquals(1_000, log.linesDiscarded(), "every line went through the appender's writer");
            assertFalse(logger.isInfoEnabled(), "closed: the logger logs nothing more");
            assertEquals(1_000, warmupLogger.messages().size(), "the lines were logged as events");
            assertEquals(List.of(), access.messages(), "nothing reached the access log's logger");
        } finally {
            System.setErr(realErr);
        }
        String err = captured.toString(StandardCharsets.UTF_8);
        assertFalse(err.contains("path=/v1/publish"), () -> "no line on standard error: " + err);
        assertEquals(droppedBefore, AccessLogAppender.droppedInProcess(), "the dropped-lines metric is untouched");
    }
}
