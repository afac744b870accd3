package io.sluice.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * Captures the formatted messages of one logback logger while open, for tests that assert what was logged. The
 * logger's own appenders keep working. Messages may be appended from any thread (event loops); reads see a
 * snapshot. Close it to detach.
 */
public final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final List<String> messages = new CopyOnWriteArrayList<>();
    private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
            messages.add(event.getFormattedMessage());
        }
    };

    private LogCapture(String loggerName) {
        this.logger = (Logger) LoggerFactory.getLogger(loggerName);
        appender.setName("test-capture-" + loggerName);
        appender.setContext(logger.getLoggerContext());
        appender.start();
        logger.addAppender(appender);
    }

    public static LogCapture of(String loggerName) {
        return new LogCapture(loggerName);
    }

    /** Every message so far, in order. */
    public List<String> messages() {
        return List.copyOf(messages);
    }

    /** Waits for a message matching {@code matcher} and returns the first one. */
    public String await(Predicate<String> matcher, Duration timeout, String whatWasExpected) {
        Await.until(() -> messages.stream().anyMatch(matcher), timeout,
                () -> whatWasExpected + " among logged lines " + messages);
        return messages.stream().filter(matcher).findFirst().orElseThrow();
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
