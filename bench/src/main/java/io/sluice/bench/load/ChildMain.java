package io.sluice.bench.load;

import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A child JVM of {@code --processes}: opens its slice of the streams and answers the parent's commands
 * ({@link ChildProtocol}). Threading: the main thread reads commands and answers them; a second thread waits for
 * the connect phase and announces {@code READY}. Both write whole messages under the {@code out} lock, and both
 * use the pool under the pool's lock, so the pool still sees one caller at a time.
 */
final class ChildMain {
    private final LoadOptions options;
    private final PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    private final int buckets;

    private ChildMain(LoadOptions options) {
        this.options = options;
        this.buckets = Timeline.bucketCount(options);
    }

    static int run(LoadOptions options) {
        return new ChildMain(options).run();
    }

    private int run() {
        // No soak plan: --soak runs in one process, never in children.
        TopicPlan plan = TopicPlan.of(options.topics(), options.streams(), options.seed());
        SubscriberPool pool = new SubscriberPool(options, plan, null);
        StreamSource.Histos histos = StreamSource.Histos.create(buckets);
        pool.startConnecting();
        Thread ready = new Thread(() -> {
            try {
                pool.awaitConnected(Long.MAX_VALUE);
                String bits;
                synchronized (pool) {
                    bits = ChildProtocol.bits(pool.openedStreams());
                }
                send(List.of(ChildProtocol.READY + " " + bits));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "loadgen-child-ready");
        ready.setDaemon(true);
        ready.start();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.split(" ");
                switch (f[0]) {
                    case ChildProtocol.GO -> {
                        synchronized (pool) {
                            pool.start(Timeline.of(options, Long.parseLong(f[1])));
                        }
                        send(List.of(ChildProtocol.GO_OK));
                    }
                    case ChildProtocol.STORM -> {
                        synchronized (pool) {
                            pool.storm();
                        }
                    }
                    case ChildProtocol.POLL -> {
                        List<String> msgs = new ArrayList<>();
                        synchronized (pool) {
                            StreamTotals t = pool.poll(f[2].equals("1"), histos);
                            t.set(StreamTotals.Counter.CPU_TICKS, ProcStats.cpuTicks("self"));
                            msgs.add(ChildProtocol.totals(t));
                        }
                        for (int b = 0; b < buckets; b++) {
                            addHistogram(msgs, ChildProtocol.LATENCY + " " + b, histos.latency()[b]);
                        }
                        addHistogram(msgs, ChildProtocol.CONNECT, histos.connect());
                        addHistogram(msgs, ChildProtocol.RECONNECT, histos.reconnect());
                        histos.reset();
                        msgs.add(ChildProtocol.POLL_END + " " + f[1]);
                        send(msgs);
                    }
                    case ChildProtocol.EXIT -> {
                        pool.close();
                        return 0;
                    }
                    default -> System.err.println("loadgen child " + options.childIndex() + ": unknown command " + line);
                }
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("loadgen child " + options.childIndex() + ": " + e);
            pool.close();
            return 1;
        }
        // stdin closed: the parent is gone.
        pool.close();
        return 0;
    }

    private static void addHistogram(List<String> msgs, String head, Histogram h) {
        if (h.getTotalCount() > 0) {
            msgs.add(ChildProtocol.HISTOGRAM + " " + head + " " + Histograms.encode(h));
        }
    }

    private void send(List<String> lines) {
        synchronized (out) {
            for (String l : lines) {
                out.print(l);
                out.print('\n');
            }
            out.flush();
        }
    }
}
