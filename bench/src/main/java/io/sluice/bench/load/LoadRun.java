package io.sluice.bench.load;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One load run, driven by the coordinator (main) thread: open the streams (here or in child JVMs), sample the
 * gateway, publish through the warm-up and the measured window (or the ramp steps), wait the grace period,
 * then write the summary. Nothing here runs on an I/O thread; everything it reads from the I/O threads goes
 * through {@link StreamSource} and {@link Publisher}, which document their hand-offs.
 */
final class LoadRun {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    /** Quiet time after the connect phase before the RSS sample, so the gateway's last accepts have settled. */
    private static final long SETTLE_NANOS = SECOND;
    /** t0 is set this far ahead, so every process has the timeline before the first event is sent. */
    private static final long START_LEAD_NANOS = TimeUnit.MILLISECONDS.toNanos(300);
    /** A ramp step whose achieved publish rate falls this far below its target did not hold. */
    static final double RAMP_MIN_ACHIEVED = 0.95;
    private static final long CHILD_FD_HEADROOM = 300;
    /** Every I/O thread of the generator is named so (see the thread factories of the pool and the publisher). */
    static final String IO_THREAD_PREFIX = "loadgen-";

    /**
     * A point-in-time reading of every process involved. {@code gatewayTicks} and {@code gatewayRssKiB} are summed
     * over the gateway processes (-1 when there are none or one could not be read); {@code gatewayTicksEach} holds
     * each one's ticks in {@code --gateway-pid} order (-1 where unreadable).
     */
    record Sample(long nanos, long gatewayTicks, long[] gatewayTicksEach, long gatewayRssKiB, long selfTicks,
            Map<String, Long> threadTicks, List<StreamTotals> perSource) {
        StreamTotals total(int buckets) {
            StreamTotals t = new StreamTotals(buckets);
            perSource.forEach(t::add);
            return t;
        }
    }

    /** One ramp step's verdict. */
    record Step(int bucket, double targetRate, double achievedRate, double deliveriesPerSec, long expected, long received,
            long p99Nanos, boolean held, String why) {
    }

    private final LoadOptions o;
    private final OutputStream summaryOut;
    private final TopicPlan plan;
    /** A soak run's plan, or null. */
    private final SoakPlan soak;
    private final int buckets;
    /** {@code --gateway-pid}, as /proc path names; empty when not given. */
    private final List<String> gatewayPids;
    private final List<StreamSource> sources = new ArrayList<>();
    private final StreamSource.Histos histos;
    private final List<String> warnings = new ArrayList<>();
    private final List<Step> steps = new ArrayList<>();
    private final long runStart = System.nanoTime();
    private Publisher publisher;
    private GatewaySampler sampler;
    private Timeline timeline;
    private String transport;
    private List<StreamTotals> latest = List.of();

    private long tickNanos;
    private long tickSelf;
    /** -1 until the first poll: children's CPU before it (JVM start-up) is not attributed to any second. */
    private long tickChildren = -1;
    private long tickGateway;
    private long tickDeliveries;
    private long tickAccepted;
    private long tickOpened;
    private long tickRenewals;

    LoadRun(LoadOptions o) {
        this(o, System.out);
    }

    /** A run whose JSON summary goes to {@code summaryOut}. */
    LoadRun(LoadOptions o, OutputStream summaryOut) {
        this.o = o;
        this.summaryOut = summaryOut;
        this.plan = TopicPlan.of(o.topics(), o.streams(), o.seed());
        this.soak = o.soak() == null ? null : new SoakPlan(o.soak(), o.streams(), o.seed(), SoakPlan.newRunId());
        this.buckets = Timeline.bucketCount(o);
        this.gatewayPids = o.gatewayPids().stream().map(String::valueOf).toList();
        this.histos = StreamSource.Histos.create(buckets);
    }

    int run() throws IOException, InterruptedException {
        preflight();
        try {
            return measure();
        } finally {
            if (publisher != null) {
                publisher.close();
            }
            for (StreamSource s : sources) {
                s.close();
            }
            if (sampler != null) {
                sampler.close();
            }
        }
    }

    private void preflight() {
        long nofile = ProcStats.openFileLimit();
        long perProcess = (o.streams() + o.processes() - 1) / o.processes();
        if (nofile > 0 && perProcess > nofile - CHILD_FD_HEADROOM) {
            long need = (o.streams() + nofile - CHILD_FD_HEADROOM - 1) / (nofile - CHILD_FD_HEADROOM);
            warn("each process may open " + nofile + " files and " + perProcess + " streams per process need about "
                    + (perProcess + CHILD_FD_HEADROOM) + ": expect EMFILE; --processes " + need + " would fit");
        }
        for (String pid : gatewayPids) {
            if (ProcStats.cpuTicks(pid) < 0) {
                warn("cannot read /proc/" + pid + "/stat: gateway CPU and RSS will be missing");
            }
        }
    }

    private int measure() throws IOException, InterruptedException {
        gatewayFullGc("baseline");
        if (o.rate() > 0) {
            // Publishers connect before the baseline: their file descriptors are taken before the streams can
            // exhaust the limit, and the gateway's RSS delta after connecting counts streams only.
            publisher = new Publisher(o, plan, soak);
            transport = publisher.transportName();
            int up = publisher.connect();
            if (up == 0) {
                System.err.println("loadgen: no publisher connection could be opened to " + o.hostHeader() + ": "
                        + publisher.errors());
                return 1;
            }
            if (up < o.publishers()) {
                warn(up + " of " + o.publishers() + " publisher connections opened at start: " + publisher.errors());
            }
        }
        Sample baseline = sample(false);
        openSources();
        long connectStart = System.nanoTime();
        connectPhase();
        Sample connected = sample(true);
        BitSet opened = new BitSet();
        for (StreamSource s : sources) {
            opened.or(s.openedStreams());
        }
        int[] subscribers = new int[plan.topicCount()];
        for (int i = opened.nextSetBit(0); i >= 0; i = opened.nextSetBit(i + 1)) {
            subscribers[plan.topicOf(i)]++;
        }
        sleepUntil(System.nanoTime() + SETTLE_NANOS);
        gatewayFullGc("after-connect");
        long rssAfterConnect = gatewayRssKiB();

        timeline = Timeline.of(o, System.nanoTime() + START_LEAD_NANOS);
        if (o.sampling() != null) {
            sampler = new GatewaySampler(o.sampling(), o.gatewayPids().get(0), timeline.t0());
        }
        for (StreamSource s : sources) {
            s.start(timeline);
        }
        if (publisher != null) {
            publisher.start(timeline, o.rate(), subscribers);
        }
        RunWindow window = publishPhase();
        Sample windowStart = window.start;
        Sample windowEnd = window.end;
        if (publisher != null) {
            publisher.stop(Math.max(SECOND, o.graceNanos()));
        }
        grace(window.lastBucket);
        if (o.ramp()) {
            evaluatePendingSteps(window.lastBucket);
        }
        List<StreamTotals> finals = pollAll(true);
        StreamTotals total = new StreamTotals(buckets);
        finals.forEach(total::add);
        Summary summary = new Summary(o, plan, histos, total, publisher, steps, warnings);
        summary.transport(transport);
        summary.connectPhase(connectStart, baseline, connected, rssAfterConnect);
        summary.window(windowStart, windowEnd, window.lastBucket, ioThreadsPerSource());
        summary.soak(soak);
        summary.samples(sampler == null ? -1 : sampler.count());
        summary.write(summaryOut);
        return 0;
    }

    // ---- sources ----

    private void openSources() throws IOException {
        if (o.processes() == 1) {
            SubscriberPool pool = new SubscriberPool(o, plan, soak);
            transport = pool.transportName();
            sources.add(pool);
            pool.startConnecting();
            return;
        }
        for (int i = 0; i < o.processes(); i++) {
            sources.add(new ChildSource(i, childCommand(i), buckets));
        }
    }

    private List<String> childCommand(int index) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // A debugger or agent port would clash between the JVMs.
            if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent") && !a.startsWith("-Xrunjdwp")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(LoadGenerator.class.getName());
        List<String> args = o.rawArgs();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            // The gateway is sampled (and garbage-collected) by the parent only.
            if (a.equals("--gateway-pid")) {
                i++;
            } else if (!a.startsWith("--gateway-pid=") && !a.startsWith("--gateway-gc")) {
                cmd.add(a);
            }
        }
        cmd.add("--" + LoadOptions.CHILD_OPTION);
        cmd.add(index + "/" + o.processes());
        return cmd;
    }

    private List<Integer> ioThreadsPerSource() {
        List<Integer> out = new ArrayList<>();
        for (StreamTotals t : latest) {
            out.add((int) t.get(StreamTotals.Counter.IO_THREADS));
        }
        return out;
    }

    private List<StreamTotals> pollAll(boolean last) {
        List<StreamTotals> out = new ArrayList<>();
        for (StreamSource s : sources) {
            out.add(s.poll(last, histos));
        }
        latest = out;
        return out;
    }

    private long childTicks(List<StreamTotals> perSource) {
        long t = 0;
        for (StreamTotals s : perSource) {
            t += s.get(StreamTotals.Counter.CPU_TICKS);
        }
        return t;
    }

    private Sample sample(boolean pollSources) {
        List<StreamTotals> per = pollSources ? pollAll(false) : List.of();
        long[] each = gatewayTicksEach();
        return new Sample(System.nanoTime(), sum(each), each, gatewayRssKiB(), ProcStats.cpuTicks("self"),
                ProcStats.threadTicks(IO_THREAD_PREFIX), per);
    }

    // ---- gateway processes (--gateway-pid) ----

    private long[] gatewayTicksEach() {
        long[] out = new long[gatewayPids.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ProcStats.cpuTicks(gatewayPids.get(i));
        }
        return out;
    }

    /** The sum, or -1 when {@code values} is empty or holds a -1 (a process that could not be read). */
    private static long sum(long[] values) {
        long total = 0;
        for (long v : values) {
            if (v < 0) {
                return -1;
            }
            total += v;
        }
        return values.length == 0 ? -1 : total;
    }

    private long gatewayTicks() {
        return sum(gatewayTicksEach());
    }

    private long gatewayRssKiB() {
        long[] each = new long[gatewayPids.size()];
        for (int i = 0; i < each.length; i++) {
            each[i] = ProcStats.rssKiB(gatewayPids.get(i));
        }
        return sum(each);
    }

    private void gatewayFullGc(String before) {
        if (!o.gatewayGc()) {
            return;
        }
        for (Long pid : o.gatewayPids()) {
            if (!ProcStats.fullGc(pid)) {
                warn("jcmd " + pid + " GC.run failed before the " + before + " RSS sample");
            }
        }
    }

    // ---- phases ----

    private void connectPhase() throws InterruptedException {
        double rate = o.connectRate() > 0 ? o.connectRate() : 1000;
        long bound = TimeUnit.SECONDS.toNanos(30) + 2 * o.connectTimeoutNanos() + (long) (o.streams() / rate * SECOND);
        long deadline = System.nanoTime() + bound;
        long nextTick = System.nanoTime() + SECOND;
        startTicks();
        boolean[] ready = new boolean[sources.size()];
        int readyCount = 0;
        while (readyCount < ready.length) {
            for (int i = 0; i < ready.length; i++) {
                if (!ready[i] && sources.get(i).awaitConnected(TimeUnit.MILLISECONDS.toNanos(20))) {
                    ready[i] = true;
                    readyCount++;
                }
            }
            long now = System.nanoTime();
            if (now - nextTick >= 0) {
                progress("connect");
                nextTick = nextTickAfter(nextTick);
            }
            if (now - deadline > 0) {
                warn("connect phase did not finish within " + bound / SECOND + " s; publishing to the streams open now");
                break;
            }
        }
    }

    /** What the publish phase measured at its edges. */
    private record RunWindow(Sample start, Sample end, int lastBucket) {
    }

    private RunWindow publishPhase() throws IOException, InterruptedException {
        long t0 = timeline.t0();
        long measureStart = timeline.measureStart();
        long end = timeline.measureEnd();
        long stormAt = o.storm() == null ? Long.MAX_VALUE : t0 + o.storm().atNanos();
        boolean stormDone = o.storm() == null;
        int lastBucket = buckets - 1;
        int nextRateBucket = 2;
        int nextEvalBucket = 1;
        Sample start = null;
        long nextTick = t0 + SECOND;
        long nextSample = sampler == null ? Long.MAX_VALUE : t0;
        SoakSpec.Burst burst = soak == null ? null : soak.spec().burst();
        long nextBurstEdge = burst == null ? Long.MAX_VALUE : t0 + burst.nextEdgeAfter(0);
        sleepUntil(t0);
        while (true) {
            long now = System.nanoTime();
            if (now - nextBurstEdge >= 0) {
                long edge = nextBurstEdge;
                publisher.setRate(burst.rateAt(edge - t0, o.rate()), edge);
                nextBurstEdge = t0 + burst.nextEdgeAfter(edge - t0);
            }
            // Every sample due by now, none after the end: a late one (a slow jcmd) is taken late, not skipped.
            while (now - nextSample >= 0 && nextSample - end <= 0) {
                sampler.sample(generatorNow());
                nextSample += o.sampling().intervalNanos();
            }
            if (start == null && now - measureStart >= 0) {
                start = sample(true);
            }
            if (!stormDone && now - stormAt >= 0) {
                for (StreamSource s : sources) {
                    s.storm();
                }
                stormDone = true;
            }
            if (o.ramp() && nextRateBucket < buckets && now - timeline.bucketStart(nextRateBucket) >= 0) {
                publisher.setRate(rampRate(nextRateBucket), timeline.bucketStart(nextRateBucket));
                nextRateBucket++;
            }
            if (o.ramp() && nextEvalBucket < buckets && now - (timeline.bucketEnd(nextEvalBucket) + o.graceNanos()) >= 0) {
                pollAll(false);
                Step s = evaluate(nextEvalBucket);
                nextEvalBucket++;
                if (!s.held()) {
                    lastBucket = Math.max(1, Math.min(buckets - 1, timeline.bucketOf(now) < 0 ? buckets - 1
                            : timeline.bucketOf(now)));
                    end = now;
                }
            }
            if (now - nextTick >= 0) {
                progress(now - measureStart < 0 ? "warmup" : o.ramp() ? "ramp " + rateText(currentRate(now)) : "measure");
                nextTick = nextTickAfter(nextTick);
            }
            if (now - end >= 0) {
                if (start == null) {
                    start = sample(true);
                }
                return new RunWindow(start, sample(true), lastBucket);
            }
            long wake = Math.min(Math.min(nextTick, end), Math.min(nextSample, nextBurstEdge));
            if (start == null) {
                wake = Math.min(wake, measureStart);
            }
            if (!stormDone) {
                wake = Math.min(wake, stormAt);
            }
            if (o.ramp() && nextRateBucket < buckets) {
                wake = Math.min(wake, timeline.bucketStart(nextRateBucket));
            }
            sleepUntil(wake);
        }
    }

    /** This generator's cumulative figures now, for a gateway sample. */
    private GatewaySampler.Generator generatorNow() {
        StreamTotals t = new StreamTotals(buckets);
        pollAll(false).forEach(t::add);
        boolean p = publisher != null;
        return new GatewaySampler.Generator(System.nanoTime(), t.get(StreamTotals.Counter.STREAMS_OPEN),
                p ? publisher.accepted() : 0, p ? publisher.acceptedBodyBytes() : 0, p ? publisher.requestsFailed() : 0,
                t.get(StreamTotals.Counter.DELIVERIES), t.get(StreamTotals.Counter.RENEWALS),
                t.get(StreamTotals.Counter.SLOW_PAUSES), t.get(StreamTotals.Counter.UNEXPECTED_DISCONNECTS),
                t.get(StreamTotals.Counter.RECONNECTS), t.get(StreamTotals.Counter.RESETS));
    }

    private void grace(int lastBucket) throws InterruptedException {
        long deadline = System.nanoTime() + o.graceNanos();
        while (System.nanoTime() - deadline < 0) {
            pollAll(false);
            if (publisher == null || received(lastBucket) >= expected(lastBucket)) {
                return;
            }
            sleepUntil(Math.min(deadline, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100)));
        }
    }

    private long expected(int lastBucket) {
        long e = 0;
        for (int b = 1; b <= lastBucket; b++) {
            e += publisher.expectedIn(b);
        }
        return e;
    }

    private long received(int lastBucket) {
        long r = 0;
        for (StreamTotals t : latest) {
            for (int b = 1; b <= lastBucket; b++) {
                r += t.unique(b);
            }
        }
        return r;
    }

    // ---- ramp ----

    double rampRate(int bucket) {
        return o.rate() * Math.pow(o.rampStep(), Math.max(0, bucket - 1));
    }

    private double currentRate(long now) {
        int b = timeline.bucketOf(now);
        return rampRate(b < 1 ? 1 : b);
    }

    private void evaluatePendingSteps(int lastBucket) {
        int evaluated = steps.size();
        boolean failed = steps.stream().anyMatch(s -> !s.held());
        for (int b = evaluated + 1; b <= lastBucket && !failed; b++) {
            Step s = evaluate(b);
            failed = !s.held();
        }
    }

    private Step evaluate(int bucket) {
        double seconds = (timeline.bucketEnd(bucket) - timeline.bucketStart(bucket)) / 1e9;
        double target = rampRate(bucket);
        long accepted = publisher.acceptedIn(bucket);
        long expected = publisher.expectedIn(bucket);
        long received = 0;
        for (StreamTotals t : latest) {
            received += t.unique(bucket);
        }
        Histogram h = histos.latency()[bucket];
        long p99 = h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(99);
        double achieved = accepted / seconds;
        String why;
        if (expected - received > 0) {
            why = "loss " + (expected - received) + " of " + expected;
        } else if (p99 > o.rampP99LimitNanos()) {
            why = String.format(Locale.ROOT, "p99 %.3f ms over the %.3f ms limit", p99 / 1e6, o.rampP99LimitNanos() / 1e6);
        } else if (achieved < RAMP_MIN_ACHIEVED * target) {
            why = String.format(Locale.ROOT, "published %.0f/s, below %.0f%% of the %.0f/s target", achieved,
                    RAMP_MIN_ACHIEVED * 100, target);
        } else {
            why = null;
        }
        Step s = new Step(bucket, target, achieved, received / seconds, expected, received, p99, why == null, why);
        steps.add(s);
        System.err.printf(Locale.ROOT, "loadgen: ramp step %d at %s events/s: %s%n", bucket, rateText(target),
                why == null ? "held (p99 " + Histograms.millis(p99) + " ms, 0 loss)" : "did not hold: " + why);
        return s;
    }

    // ---- progress ----

    private void startTicks() {
        tickNanos = System.nanoTime();
        tickSelf = ProcStats.cpuTicks("self");
        tickGateway = gatewayTicks();
    }

    private void progress(String phase) {
        List<StreamTotals> per = pollAll(false);
        StreamTotals t = new StreamTotals(buckets);
        per.forEach(t::add);
        long now = System.nanoTime();
        double dt = Math.max(1e-9, (now - tickNanos) / 1e9);
        long self = ProcStats.cpuTicks("self");
        long children = childTicks(per);
        long gw = gatewayTicks();
        double hz = ProcStats.clockTicks();
        double genCpu = self < 0 || tickSelf < 0 ? Double.NaN
                : ((self - tickSelf) + (tickChildren < 0 ? 0 : children - tickChildren)) / hz / dt * 100;
        long deliveries = t.get(StreamTotals.Counter.DELIVERIES);
        long accepted = publisher == null ? 0 : publisher.accepted();
        long opened = t.get(StreamTotals.Counter.STREAMS_OPENED);
        StringBuilder sb = new StringBuilder(200);
        sb.append(String.format(Locale.ROOT, "[%6.1fs %-7s] streams %d/%d open", (now - runStart) / 1e9, phase,
                t.get(StreamTotals.Counter.STREAMS_OPEN), o.streams()));
        if (phase.equals("connect")) {
            sb.append(String.format(Locale.ROOT, " (+%.0f/s, %d failed)", (opened - tickOpened) / dt,
                    t.get(StreamTotals.Counter.STREAMS_FAILED)));
        } else {
            Histogram h = currentHistogram(now);
            sb.append(String.format(Locale.ROOT, " | publish %s/s | deliveries %s/s | p99 %s ms",
                    rateText((accepted - tickAccepted) / dt), rateText((deliveries - tickDeliveries) / dt),
                    h == null || h.getTotalCount() == 0 ? "-" : Histograms.millis(h.getValueAtPercentile(99))));
        }
        long renewals = t.get(StreamTotals.Counter.RENEWALS);
        if (soak != null) {
            // Gaps mean nothing here: a stream sees a share of each publisher connection's sequence numbers.
            sb.append(String.format(Locale.ROOT, " | renewed %s/s | cut %d", rateText((renewals - tickRenewals) / dt),
                    t.get(StreamTotals.Counter.UNEXPECTED_DISCONNECTS)));
        } else if (!phase.equals("connect")) {
            sb.append(" | gaps ").append(t.get(StreamTotals.Counter.MISSING));
        }
        sb.append(Double.isNaN(genCpu) ? " | gen cpu -" : String.format(Locale.ROOT, " | gen cpu %.0f%%", genCpu));
        if (gw >= 0 && tickGateway >= 0) {
            sb.append(String.format(Locale.ROOT, " | gw cpu %.0f%%", (gw - tickGateway) / hz / dt * 100));
        }
        System.err.println(sb);
        tickNanos = now;
        tickSelf = self;
        tickChildren = children;
        tickGateway = gw;
        tickDeliveries = deliveries;
        tickAccepted = accepted;
        tickOpened = opened;
        tickRenewals = renewals;
    }

    /** The accumulated histogram of the bucket running now (warm-up, the window, or the current ramp step). */
    private Histogram currentHistogram(long now) {
        if (timeline == null) {
            return null;
        }
        int b = timeline.bucketOf(now);
        return histos.latency()[b < 0 ? buckets - 1 : b];
    }

    /** One second on, or half a second from now when a slow poll (a child JVM still starting) made us late. */
    private static long nextTickAfter(long tick) {
        return Math.max(tick + SECOND, System.nanoTime() + SECOND / 2);
    }

    static String rateText(double perSecond) {
        if (perSecond >= 10_000_000) {
            return String.format(Locale.ROOT, "%.1fM", perSecond / 1e6);
        }
        if (perSecond >= 10_000) {
            return String.format(Locale.ROOT, "%.1fk", perSecond / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", perSecond);
    }

    private void warn(String message) {
        warnings.add(message);
        System.err.println("loadgen: warning: " + message);
    }

    private static void sleepUntil(long deadline) throws InterruptedException {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }
}
