package io.sluice.http;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import org.jctools.queues.MpscArrayQueue;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The access log's writer (logback.xml, logger {@value AccessLogHandler#LOGGER_NAME}): each message, a whole line
 * already, goes to standard error from a background thread, many lines per write.
 *
 * <p>Why not logback's {@code AsyncAppender} in front of a console appender: that one hands each line over through a
 * lock and wakes its writer for every line, which then makes one {@code write(2)} per line. At 10,000 publishes a
 * second that was a futex wake, a context switch and a system call per request on the publishing core
 * (bench/ANALYSIS.md). Here an event loop only offers the message to a lock-free queue; while lines keep coming the
 * writer wakes every {@link #DEFAULT_FLUSH_MILLIS} ms (sooner when the queue is half full), takes what is queued and
 * writes it in chunks of whole lines of at most {@link #CHUNK_BYTES}, so a pipe to a log collector never splits a line
 * between writers. After an interval with nothing to write it sleeps until the next line: an idle node (or one with
 * {@code accessLog = off}) costs no wake-ups, and a node logging a few lines a second at most one wake-up per line.
 *
 * <p>Same contract as before: a line is written at most {@link #DEFAULT_FLUSH_MILLIS} ms after it is logged, never
 * blocks the logging thread, and is dropped (and counted, {@link #dropped()}) when {@code queueSize} lines are waiting.
 * {@link #stop()} (logback's, which {@code Main} calls on exit) writes what is still queued.
 *
 * <p>Threading: {@link #append} from any thread (event loops); the writer thread alone takes from the queue and writes.
 * Sleeping without a lost wake-up: the writer sets {@code idle}, then checks the queue, then parks; an appender offers
 * (a CAS on the queue's producer index), then reads {@code idle} and unparks the writer if it wins the flag back. Either
 * the writer sees the line, or the appender sees the flag (an unpark before the park makes the park return at once).
 */
public final class AccessLogAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
    /** Lines waiting before new ones are dropped; logback's AsyncAppender default was 256, this log's was 8192. */
    static final int DEFAULT_QUEUE_SIZE = 8192;
    /** Longest a logged line waits before it is written. */
    static final long DEFAULT_FLUSH_MILLIS = 10;
    /** Bytes per write: PIPE_BUF on Linux, the most one write(2) to a pipe keeps whole. */
    static final int CHUNK_BYTES = 4096;

    private int queueSize = DEFAULT_QUEUE_SIZE;
    private MpscArrayQueue<String> queue;
    private Thread writer;
    private volatile boolean stopping;
    /** The writer is asleep, or about to be, until an appender wakes it: nothing was written in its last interval. */
    private final AtomicBoolean idle = new AtomicBoolean();
    private final AtomicLong dropped = new AtomicLong();
    /** Lines dropped by every appender of this class in the process: what {@code sluice_access_log_dropped_total} reads. */
    private static final AtomicLong DROPPED_IN_PROCESS = new AtomicLong();
    /** The writer's chunk; writer thread only (and {@link #stop()} after the writer ended). */
    private final byte[] chunk = new byte[CHUNK_BYTES];
    private int chunkLength;
    /** Lines written; writer thread only, read once it ended ({@link #linesWritten()}). */
    private long linesWritten;
    /** Where lines go instead of standard error (the start-up warm-up's {@code /dev/null}); null: standard error. */
    private PrintStream output;
    /** Whether a drop counts in {@link #droppedInProcess()} (the warm-up's appender leaves no trace in the metric). */
    private boolean countsDropsInProcess = true;

    /** Lines dropped because a queue was full, by every access-log appender of this process since it started; any thread. */
    public static long droppedInProcess() {
        return DROPPED_IN_PROCESS.get();
    }

    /**
     * Lines written since start; once {@link #stop()} returned (the writer's count, read after it ended).
     */
    public long linesWritten() {
        return linesWritten;
    }

    /**
     * Writes lines to {@code output} instead of standard error (the start-up warm-up, {@link DiscardedAccessLog});
     * before {@link #start()}.
     */
    void setOutput(PrintStream output) {
        this.output = output;
    }

    /** Whether drops count in {@link #droppedInProcess()}, and so in the metric; before {@link #start()}. */
    void setCountsDropsInProcess(boolean counts) {
        this.countsDropsInProcess = counts;
    }

    /** The writer thread (tests watch it sleep). */
    Thread writerThread() {
        return writer;
    }

    /** logback.xml's {@code <queueSize>}. */
    public void setQueueSize(int queueSize) {
        this.queueSize = queueSize;
    }

    /** Lines dropped because the queue was full, since start. */
    public long dropped() {
        return dropped.get();
    }

    @Override
    public void start() {
        if (queueSize < 1) {
            addError("queueSize must be positive: " + queueSize);
            return;
        }
        queue = new MpscArrayQueue<>(Math.max(2, queueSize));
        stopping = false;
        writer = new Thread(this::writeUntilStopped, "sluice-access-log");
        writer.setDaemon(true);
        super.start();
        writer.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        if (!queue.offer(event.getFormattedMessage())) {
            dropped.incrementAndGet();
            if (countsDropsInProcess) {
                DROPPED_IN_PROCESS.incrementAndGet();
            }
        } else if (idle.get() && idle.compareAndSet(true, false)) {
            LockSupport.unpark(writer); // the first line after a quiet interval
        } else if (queue.size() >= queueSize / 2) {
            LockSupport.unpark(writer); // rare: a burst; the writer would otherwise sleep out its interval
        }
    }

    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop();
        stopping = true;
        LockSupport.unpark(writer);
        try {
            writer.join(TimeUnit.SECONDS.toMillis(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!writer.isAlive()) {
            writeQueued(); // anything logged while the writer ended
        }
    }

    private void writeUntilStopped() {
        long interval = TimeUnit.MILLISECONDS.toNanos(DEFAULT_FLUSH_MILLIS);
        while (!stopping) {
            if (writeQueued() > 0) {
                LockSupport.parkNanos(this, interval); // lines are coming: gather an interval's worth
                continue;
            }
            idle.set(true);
            if (queue.isEmpty() && !stopping) {
                LockSupport.park(this); // until an appender (or stop) unparks it
            }
            idle.set(false);
        }
        writeQueued();
    }

    /**
     * Writes every queued line; writer thread (or the stopping thread once the writer is gone).
     *
     * @return the lines written
     */
    private int writeQueued() {
        PrintStream out = output != null ? output : System.err; // read each time: a test harness may replace it
        String line;
        int lines = 0;
        while ((line = queue.relaxedPoll()) != null) {
            lines++;
            byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
            if (chunkLength + bytes.length > CHUNK_BYTES) {
                flush(out);
            }
            if (bytes.length > CHUNK_BYTES) {
                out.write(bytes, 0, bytes.length); // a line longer than a chunk goes alone
            } else {
                System.arraycopy(bytes, 0, chunk, chunkLength, bytes.length);
                chunkLength += bytes.length;
            }
        }
        flush(out);
        linesWritten += lines;
        return lines;
    }

    private void flush(PrintStream out) {
        if (chunkLength > 0) {
            out.write(chunk, 0, chunkLength); // PrintStream writes and flushes: one write(2)
            chunkLength = 0;
        }
    }
}
