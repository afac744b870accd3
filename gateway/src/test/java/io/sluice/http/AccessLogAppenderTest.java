package io.sluice.http;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The access log's writer: every line, whole and in order, on standard error; what is queued is written on stop. */
class AccessLogAppenderTest {
    private static final LoggerContext CONTEXT = new LoggerContext();

    @Test
    void writesEveryLineInOrderAndTheRestOnStop() {
        PrintStream realErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        AccessLogAppender appender = newAppender(100_000);
        List<String> expected = new ArrayList<>();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            appender.start();
            for (int i = 0; i < 20_000; i++) {
                // lines of varied length, some longer than a write chunk, and non-ASCII
                String line = "time=t method=POST path=/v1/publish n=" + i + " user=é"
                        + (i % 5000 == 0 ? " long=" + "x".repeat(AccessLogAppender.CHUNK_BYTES + i % 7) : "");
                expected.add(line);
                appender.doAppend(event(line));
            }
            appender.stop();
        } finally {
            System.setErr(realErr);
        }
        assertEquals(0, appender.dropped());
        assertEquals(String.join("\n", expected) + "\n", captured.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aWriterStuckOnStandardErrorDropsNewLinesAndCountsThemAndNeverBlocksTheLogger() throws Exception {
        PrintStream realErr = System.err;
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        OutputStream stuck = new OutputStream() { // a full pipe to a log collector: the first write blocks
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                writing.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                captured.write(b, off, len);
            }
        };
        AccessLogAppender appender = newAppender(4);
        long droppedBefore = AccessLogAppender.droppedInProcess();
        System.setErr(new PrintStream(stuck, true, StandardCharsets.UTF_8));
        try {
            appender.start();
            appender.doAppend(event("line 0"));
            assertTrue(writing.await(30, TimeUnit.SECONDS), "the writer took line 0 and is stuck writing it");
            for (int i = 1; i <= 6; i++) { // four fit in the queue, two do not; none of these calls blocks
                appender.doAppend(event("line " + i));
            }
            assertEquals(2, appender.dropped());
            assertEquals(2, AccessLogAppender.droppedInProcess() - droppedBefore);
            release.countDown();
            appender.stop();
        } finally {
            release.countDown();
            System.setErr(realErr);
        }
        assertEquals("line 0\nline 1\nline 2\nline 3\nline 4\n", captured.toString(StandardCharsets.UTF_8));
    }

    @Test
    void anIdleWriterSleepsUntilTheNextLineAndNoLineWaitsForAnotherToWakeIt() throws Exception {
        PrintStream realErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        AccessLogAppender appender = newAppender(AccessLogAppender.DEFAULT_QUEUE_SIZE);
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            appender.start();
            StringBuilder expected = new StringBuilder();
            for (int i = 0; i < 200; i++) {
                if (i % 20 == 0) { // quiet long enough for the writer to go to sleep without a timeout
                    awaitSleepingWithoutTimeout(appender.writerThread());
                }
                String line = "line " + i;
                expected.append(line).append('\n');
                appender.doAppend(event(line));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (captured.size() < expected.length()) { // written without any later line to wake the writer
                    assertTrue(System.nanoTime() < deadline, "line " + i + " was not written: a lost wake-up");
                    Thread.onSpinWait();
                }
            }
            appender.stop();
            assertEquals(expected.toString(), captured.toString(StandardCharsets.UTF_8));
        } finally {
            appender.stop();
            System.setErr(realErr);
        }
    }

    /** Waits until {@code writer} parks with no timeout: idle, costing no wake-ups. */
    private static void awaitSleepingWithoutTimeout(Thread writer) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (writer.getState() != Thread.State.WAITING) {
            assertTrue(System.nanoTime() < deadline, "the idle writer still wakes on a timer: " + writer.getState());
            Thread.onSpinWait();
        }
    }

    private static AccessLogAppender newAppender(int queueSize) {
        AccessLogAppender appender = new AccessLogAppender();
        appender.setContext(CONTEXT);
        appender.setQueueSize(queueSize);
        return appender;
    }

    private static LoggingEvent event(String line) {
        return new LoggingEvent(Logger.class.getName(), CONTEXT.getLogger(AccessLogHandler.LOGGER_NAME), Level.INFO, line,
                null, null);
    }
}
