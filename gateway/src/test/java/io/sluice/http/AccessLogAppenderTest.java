package io.sluice.http;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The access log's writer: every line, whole and in order, on standard error; what is queued is written on stop. */
class AccessLogAppenderTest {
    @Test
    void writesEveryLineInOrderAndTheRestOnStop() {
        PrintStream realErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        LoggerContext context = new LoggerContext();
        Logger logger = context.getLogger(AccessLogHandler.LOGGER_NAME);
        AccessLogAppender appender = new AccessLogAppender();
        appender.setContext(context);
        appender.setQueueSize(100_000);
        List<String> expected = new ArrayList<>();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            appender.start();
            for (int i = 0; i < 20_000; i++) {
                // lines of varied length, some longer than a write chunk, and non-ASCII
                String line = "time=t method=POST path=/v1/publish n=" + i + " user=é"
                        + (i % 5000 == 0 ? " long=" + "x".repeat(AccessLogAppender.CHUNK_BYTES + i % 7) : "");
                expected.add(line);
                appender.doAppend(new LoggingEvent(Logger.class.getName(), logger, Level.INFO, line, null, null));
            }
            appender.stop();
        } finally {
            System.setErr(realErr);
        }
        assertEquals(0, appender.dropped());
        assertEquals(String.join("\n", expected) + "\n", captured.toString(StandardCharsets.UTF_8));
    }
}
