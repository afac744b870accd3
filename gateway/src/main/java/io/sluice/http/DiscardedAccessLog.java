package io.sluice.http;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.NOPLogger;

import java.io.BufferedOutputStream;
import java.io.File;
import java.io.FileNotFoundException;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The start-up warm-up's access log: logger {@value #LOGGER_NAME}, not additive, with an {@link AccessLogAppender} of
 * its own that writes to {@code /dev/null}. The warm-up's lines take every step a served request's line takes (the
 * logback logger's checks and event, the appender's queue, its writer thread's chunks and {@code write(2)}s), so the
 * JIT compiles that path before the node listens, and none of them reaches the access log, its metrics or another
 * appender.
 *
 * <p>Without it the warm-up dropped its lines before the logger: the first served requests then took the logger
 * branch its compiled code had never seen, and C2 threw that code away under the first real load (a JFR
 * {@code jdk.Deoptimization} record of scenario a, bench/ANALYSIS.md).
 *
 * <p>Threading: open and close on one thread (the starting thread); {@link #logger()} from any.
 */
public final class DiscardedAccessLog implements AutoCloseable {
    /** Outside {@value AccessLogHandler#LOGGER_NAME}'s tree, so an operator's configuration of that one never applies. */
    public static final String LOGGER_NAME = "sluice.warmup.access";

    /** Null when logback is not SLF4J's binding: then the warm-up's lines are dropped before any logger. */
    private final ch.qos.logback.classic.Logger logger;
    private final AccessLogAppender appender;
    private final PrintStream sink;

    private DiscardedAccessLog(ch.qos.logback.classic.Logger logger, AccessLogAppender appender, PrintStream sink) {
        this.logger = logger;
        this.appender = appender;
        this.sink = sink;
    }

    /** Attaches a started appender to logger {@value #LOGGER_NAME}; {@link #close()} detaches and stops it. */
    public static DiscardedAccessLog open() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return new DiscardedAccessLog(null, null, null);
        }
        PrintStream sink = new PrintStream(new BufferedOutputStream(nullDevice(), 128), true, StandardCharsets.UTF_8);
        AccessLogAppender appender = new AccessLogAppender();
        appender.setContext(context);
        appender.setName(LOGGER_NAME);
        appender.setOutput(sink);
        appender.setCountsDropsInProcess(false);
        appender.start();
        ch.qos.logback.classic.Logger logger = context.getLogger(LOGGER_NAME);
        logger.setAdditive(false);
        logger.setLevel(Level.INFO);
        logger.addAppender(appender);
        return new DiscardedAccessLog(logger, appender, sink);
    }

    /** Standard error's kind of stream (a file's, buffered) on the null device; nowhere, where there is none. */
    private static OutputStream nullDevice() {
        File device = new File("/dev/null");
        try {
            return device.canWrite() ? new FileOutputStream(device) : OutputStream.nullOutputStream();
        } catch (FileNotFoundException e) {
            return OutputStream.nullOutputStream();
        }
    }

    /** The logger the warm-up's access-log handlers log to. */
    public Logger logger() {
        return logger != null ? logger : NOPLogger.NOP_LOGGER;
    }

    /** Lines its appender wrote to nowhere; after {@link #close()}. */
    public long linesDiscarded() {
        return appender == null ? 0 : appender.linesWritten();
    }

    /** Detaches and stops the appender (its writer writes what is queued, then ends); the logger then logs nothing. */
    @Override
    public void close() {
        if (logger == null) {
            return;
        }
        logger.setLevel(Level.OFF);
        logger.detachAppender(appender);
        appender.stop();
        sink.close();
    }
}
