package io.sluice.bench.load;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The parent's handle on one child JVM ({@link ChildMain}) speaking {@link ChildProtocol}. Threading: a reader
 * thread moves the child's stdout lines into a queue (forwarding anything that is not protocol to stderr); every
 * other method is called by the coordinator thread, one at a time, and waits for the child's answer with a
 * timeout. A child that dies is reported as an error in its totals, not as an exception.
 */
final class ChildSource implements StreamSource {
    private static final String EOF = "\u0000eof";
    private static final long ANSWER_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final int index;
    private final int buckets;
    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread reader;
    private BitSet opened;
    private StreamTotals lastTotals;
    private boolean dead;
    private int pollSeq;

    ChildSource(int index, List<String> command, int buckets) throws IOException {
        this.index = index;
        this.buckets = buckets;
        this.lastTotals = new StreamTotals(buckets);
        this.process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.reader = new Thread(this::readLines, "loadgen-child-" + index + "-reader");
        reader.setDaemon(true);
        reader.start();
    }

    private void readLines() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                int sp = line.indexOf(' ');
                String head = sp < 0 ? line : line.substring(0, sp);
                switch (head) {
                    case ChildProtocol.READY, ChildProtocol.GO_OK, ChildProtocol.TOTALS, ChildProtocol.HISTOGRAM,
                            ChildProtocol.POLL_END -> lines.add(line);
                    default -> System.err.println("[child " + index + "] " + line);
                }
            }
        } catch (IOException e) {
            System.err.println("[child " + index + "] stdout: " + e);
        }
        lines.add(EOF);
    }

    private void send(String line) {
        if (dead) {
            return;
        }
        try {
            stdin.write(line);
            stdin.write('\n');
            stdin.flush();
        } catch (IOException e) {
            died("stdin: " + e.getMessage());
        }
    }

    /** The next protocol line, or null when the child is gone or {@code deadline} passed. */
    private String next(long deadline) throws InterruptedException {
        if (dead) {
            return null;
        }
        String l = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (l == null || l.equals(EOF)) {
            died(l == null ? "no answer in time" : "exited");
            return null;
        }
        return l;
    }

    private void died(String why) {
        if (!dead) {
            dead = true;
            String exit = process.isAlive() ? "" : " (exit code " + process.exitValue() + ")";
            lastTotals.addError("child process " + index + " " + why + exit, 1);
        }
    }

    @Override
    public boolean awaitConnected(long timeoutNanos) throws InterruptedException {
        if (opened != null || dead) {
            return true;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        String l = lines.poll(timeoutNanos, TimeUnit.NANOSECONDS);
        while (l != null && !l.equals(EOF) && !l.startsWith(ChildProtocol.READY)) {
            l = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        if (l == null) {
            return false;
        }
        if (l.equals(EOF)) {
            died("exited while connecting");
            return true;
        }
        opened = ChildProtocol.parseBits(l.substring(ChildProtocol.READY.length() + 1));
        return true;
    }

    @Override
    public BitSet openedStreams() {
        return opened == null ? new BitSet() : opened;
    }

    @Override
    public void start(Timeline timeline) {
        send(ChildProtocol.GO + " " + timeline.t0());
        long deadline = System.nanoTime() + ANSWER_TIMEOUT_NANOS;
        try {
            String l;
            while ((l = next(deadline)) != null && !l.equals(ChildProtocol.GO_OK)) {
                // skip anything stale before the acknowledgement
                continue;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void storm() {
        send(ChildProtocol.STORM);
    }

    @Override
    public StreamTotals poll(boolean last, Histos into) {
        if (dead) {
            return lastTotals;
        }
        int n = ++pollSeq;
        send(ChildProtocol.POLL + " " + n + " " + (last ? 1 : 0));
        long deadline = System.nanoTime() + ANSWER_TIMEOUT_NANOS;
        try {
            String l;
            while ((l = next(deadline)) != null) {
                String[] f = l.split(" ", 4);
                switch (f[0]) {
                    case ChildProtocol.TOTALS -> lastTotals = ChildProtocol.parseTotals(l.substring(2), buckets);
                    case ChildProtocol.HISTOGRAM -> {
                        if (f[1].equals(ChildProtocol.LATENCY)) {
                            int b = Integer.parseInt(f[2]);
                            if (b < into.latency().length) {
                                into.latency()[b].add(Histograms.decode(f[3]));
                            }
                        } else if (f[1].equals(ChildProtocol.CONNECT)) {
                            into.connect().add(Histograms.decode(f[2]));
                        } else if (f[1].equals(ChildProtocol.RECONNECT)) {
                            into.reconnect().add(Histograms.decode(f[2]));
                        }
                    }
                    case ChildProtocol.POLL_END -> {
                        if (Integer.parseInt(f[1]) == n) {
                            return lastTotals;
                        }
                    }
                    case ChildProtocol.READY -> opened = ChildProtocol.parseBits(f[1]);
                    default -> {
                        // a late GOOK: nothing to do
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            died("sent a bad answer: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return lastTotals;
    }

    @Override
    public void close() {
        send(ChildProtocol.EXIT);
        try {
            stdin.close();
        } catch (IOException ignored) {
            // the child is gone already
        }
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
            reader.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
