package io.sluice.bench.load;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The final JSON summary (stdout). Built and written by the coordinator thread after every I/O thread has
 * answered its last poll. Durations are in seconds, latencies in milliseconds, CPU in microseconds; a figure that
 * could not be measured is {@code null}.
 */
final class Summary {
    /** A process whose CPU share exceeds this fraction of one core per I/O thread is probably the bottleneck. */
    static final double GENERATOR_BUSY_SHARE = 0.9;
    private static final String UNREADABLE_SELF = "this process's CPU could not be read from /proc/self/stat";

    private final LoadOptions o;
    private final TopicPlan plan;
    private final StreamSource.Histos histos;
    private final StreamTotals total;
    private final Publisher publisher;
    private final List<LoadRun.Step> steps;
    private final List<String> warnings;
    private String transport;

    private long connectStart;
    private LoadRun.Sample baseline;
    private LoadRun.Sample connected;
    private long rssAfterConnect;
    private LoadRun.Sample windowStart;
    private LoadRun.Sample windowEnd;
    private int lastBucket;
    private List<Integer> ioThreads;
    private SoakPlan soak;
    private int samples = -1;

    Summary(LoadOptions o, TopicPlan plan, StreamSource.Histos histos, StreamTotals total,
            Publisher publisher, List<LoadRun.Step> steps, List<String> warnings) {
        this.o = o;
        this.plan = plan;
        this.histos = histos;
        this.total = total;
        this.publisher = publisher;
        this.steps = steps;
        this.warnings = warnings;
    }

    void transport(String name) {
        this.transport = name;
    }

    void connectPhase(long start, LoadRun.Sample before, LoadRun.Sample after, long rssKiBAfterConnect) {
        this.connectStart = start;
        this.baseline = before;
        this.connected = after;
        this.rssAfterConnect = rssKiBAfterConnect;
    }

    void window(LoadRun.Sample start, LoadRun.Sample end, int last, List<Integer> ioThreadsPerSource) {
        this.windowStart = start;
        this.windowEnd = end;
        this.lastBucket = last;
        this.ioThreads = ioThreadsPerSource;
    }

    /** A soak run's plan (its draws are reported), or null. */
    void soak(SoakPlan plan) {
        this.soak = plan;
    }

    /** Lines written to {@code --samples}, or -1 without it. */
    void samples(int count) {
        this.samples = count;
    }

    void write(OutputStream out) throws IOException {
        double seconds = (windowEnd.nanos() - windowStart.nanos()) / 1e9;
        long expected = 0;
        long acceptedMeasured = 0;
        long received = 0;
        Histogram latency = Histograms.newHistogram();
        for (int b = 1; b <= lastBucket; b++) {
            if (publisher != null) {
                expected += publisher.expectedIn(b);
                acceptedMeasured += publisher.acceptedIn(b);
            }
            received += total.unique(b);
            latency.add(histos.latency()[b]);
        }
        long opened = total.get(StreamTotals.Counter.STREAMS_OPENED);
        List<String> generatorWarnings = generatorWarnings(seconds);
        List<String> allWarnings = new ArrayList<>(warnings);
        allWarnings.addAll(generatorWarnings);
        generatorWarnings.forEach(w -> System.err.println("loadgen: warning: " + w));

        JsonGenerator g = new JsonFactory().createGenerator(out);
        g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        g.useDefaultPrettyPrinter();
        g.writeStartObject();

        g.writeObjectFieldStart("options");
        for (Map.Entry<String, String> e : o.values().entrySet()) {
            g.writeStringField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
        g.writeStringField("transport", transport);
        g.writeNumberField("topics", plan.topicCount());
        String limit = total.limitHit();
        long notOpened = total.get(StreamTotals.Counter.STREAMS_FAILED) + total.get(StreamTotals.Counter.STREAMS_SKIPPED);
        if (limit == null && notOpened > 0) {
            limit = notOpened + " of " + o.streams() + " streams could not be opened (see connect.errors)";
        }
        if (limit == null) {
            g.writeNullField("limitHit");
        } else {
            g.writeStringField("limitHit", limit);
        }

        writeConnect(g, opened);

        g.writeObjectFieldStart("window");
        g.writeNumberField("warmupSeconds", round(o.warmupNanos() / 1e9));
        g.writeNumberField("measuredSeconds", round(seconds));
        g.writeEndObject();

        if (publisher != null) {
            writePublish(g, acceptedMeasured, seconds);
        }

        g.writeObjectFieldStart("delivery");
        if (soak != null) {
            // Streams end with events in flight and read a share of each connection's sequence: no loss figure.
            g.writeNullField("expected");
            g.writeNumberField("received", received);
            g.writeNullField("loss");
            g.writeNullField("lossRatio");
        } else {
            g.writeNumberField("expected", expected);
            g.writeNumberField("received", received);
            g.writeNumberField("loss", expected - received);
            g.writeNumberField("lossRatio", expected == 0 ? 0 : (double) (expected - received) / expected);
        }
        g.writeNumberField("deliveriesPerSec", round(received / seconds));
        g.writeNumberField("deliveriesWholeRun", total.get(StreamTotals.Counter.DELIVERIES));
        g.writeNumberField("duplicates", total.get(StreamTotals.Counter.DUPLICATES));
        g.writeNumberField("outOfOrder", total.get(StreamTotals.Counter.OUT_OF_ORDER));
        if (soak == null) {
            g.writeNumberField("gapsUnfilled", total.get(StreamTotals.Counter.MISSING));
        } else {
            g.writeNullField("gapsUnfilled");
        }
        g.writeNumberField("resets", total.get(StreamTotals.Counter.RESETS));
        g.writeNumberField("otherEvents", total.get(StreamTotals.Counter.OTHER_EVENTS));
        g.writeNumberField("unexpectedDisconnects", total.get(StreamTotals.Counter.UNEXPECTED_DISCONNECTS));
        g.writeNumberField("reconnects", total.get(StreamTotals.Counter.RECONNECTS));
        g.writeNumberField("reconnectFailures", total.get(StreamTotals.Counter.RECONNECT_FAILURES));
        g.writeNumberField("latencyClamped", total.get(StreamTotals.Counter.LATENCY_CLAMPED));
        g.writeEndObject();

        g.writeFieldName("latencyMs");
        writeHistogram(g, latency, true);

        if (o.storm() != null) {
            writeStorm(g);
        }
        if (o.ramp()) {
            writeRamp(g);
        }
        if (soak != null) {
            writeSoak(g);
        }
        if (samples >= 0) {
            g.writeObjectFieldStart("samples");
            g.writeStringField("file", o.sampling().file().toString());
            g.writeNumberField("written", samples);
            g.writeEndObject();
        }
        if (baseline.gatewayTicks() >= 0) {
            writeGateway(g, opened, received, acceptedMeasured, seconds);
        }
        writeGenerator(g, received, seconds);

        g.writeArrayFieldStart("warnings");
        for (String w : allWarnings) {
            g.writeString(w);
        }
        g.writeEndArray();
        g.writeEndObject();
        g.flush();
        out.write('\n');
        out.flush();
    }

    private void writeConnect(JsonGenerator g, long opened) throws IOException {
        g.writeObjectFieldStart("connect");
        g.writeNumberField("streams", o.streams());
        g.writeNumberField("opened", opened);
        g.writeNumberField("failed", total.get(StreamTotals.Counter.STREAMS_FAILED));
        g.writeNumberField("notAttempted", total.get(StreamTotals.Counter.STREAMS_SKIPPED));
        long first = total.get(StreamTotals.Counter.CONNECT_FIRST_NANOS);
        long last = total.get(StreamTotals.Counter.CONNECT_LAST_NANOS);
        double secs = first == 0 || last == 0 ? 0 : (last - first) / 1e9;
        g.writeNumberField("seconds", round(secs));
        g.writeNumberField("ratePerSec", secs <= 0 ? 0 : round(opened / secs));
        g.writeNumberField("phaseSeconds", round((connected.nanos() - connectStart) / 1e9));
        g.writeFieldName("latencyMs");
        writeHistogram(g, histos.connect(), false);
        writeMap(g, "errors", total.errors());
        g.writeEndObject();
    }

    private void writePublish(JsonGenerator g, long acceptedMeasured, double seconds) throws IOException {
        g.writeObjectFieldStart("publish");
        g.writeNumberField("targetRate", o.ramp() && !steps.isEmpty() ? steps.get(steps.size() - 1).targetRate() : o.rate());
        g.writeNumberField("batch", o.batch());
        g.writeNumberField("publishers", o.publishers());
        g.writeNumberField("acceptedEvents", acceptedMeasured);
        g.writeNumberField("achievedRate", round(acceptedMeasured / seconds));
        g.writeNumberField("acceptedEventsWholeRun", publisher.accepted());
        g.writeNumberField("requestsOk", publisher.requestsOk());
        g.writeNumberField("requestsFailed", publisher.requestsFailed());
        g.writeNumberField("eventsRejected", publisher.eventsFailed());
        g.writeNumberField("eventsOutcomeUnknown", publisher.eventsUnknown());
        g.writeNumberField("requestsNotSentAtEnd", publisher.notSent());
        g.writeNumberField("backlogMaxRequests", publisher.backlogMax());
        writeMap(g, "errors", publisher.errors());
        g.writeFieldName("roundTripMs");
        writeHistogram(g, publisher.rtt(), false);
        g.writeEndObject();
    }

    private void writeStorm(JsonGenerator g) throws IOException {
        g.writeObjectFieldStart("storm");
        g.writeNumberField("atSeconds", round(o.storm().atNanos() / 1e9));
        g.writeNumberField("requested", o.storm().count());
        g.writeNumberField("closed", total.get(StreamTotals.Counter.STORM_CLOSED));
        g.writeNumberField("notOpenAtStorm", total.get(StreamTotals.Counter.STORM_NOT_OPEN));
        g.writeNumberField("reconnected", total.get(StreamTotals.Counter.STORM_RECONNECTED));
        g.writeNumberField("withoutLastEventId", total.get(StreamTotals.Counter.STORM_WITHOUT_LAST_ID));
        g.writeNumberField("exactlyOnce", total.get(StreamTotals.Counter.STORM_EXACT));
        g.writeNumberField("withGaps", total.get(StreamTotals.Counter.STORM_WITH_GAPS));
        g.writeNumberField("withDuplicates", total.get(StreamTotals.Counter.STORM_WITH_DUPLICATES));
        g.writeNumberField("resets", total.get(StreamTotals.Counter.STORM_RESETS));
        long start = total.get(StreamTotals.Counter.STORM_START_NANOS);
        long last = total.get(StreamTotals.Counter.STORM_LAST_RECONNECT_NANOS);
        if (start != 0 && last != 0) {
            g.writeNumberField("allReconnectedMs", Histograms.millis(last - start));
        } else {
            g.writeNullField("allReconnectedMs");
        }
        g.writeFieldName("reconnectLatencyMs");
        writeHistogram(g, histos.reconnect(), false);
        g.writeEndObject();
    }

    private void writeRamp(JsonGenerator g) throws IOException {
        g.writeObjectFieldStart("ramp");
        double held = 0;
        String stop = "duration ended while every step held";
        g.writeArrayFieldStart("steps");
        for (LoadRun.Step s : steps) {
            g.writeStartObject();
            g.writeNumberField("step", s.bucket());
            g.writeNumberField("targetRate", round(s.targetRate()));
            g.writeNumberField("achievedRate", round(s.achievedRate()));
            g.writeNumberField("deliveriesPerSec", round(s.deliveriesPerSec()));
            g.writeNumberField("expected", s.expected());
            g.writeNumberField("received", s.received());
            g.writeNumberField("p99Ms", Histograms.millis(s.p99Nanos()));
            g.writeBooleanField("held", s.held());
            if (!s.held()) {
                g.writeStringField("why", s.why());
            }
            g.writeEndObject();
            if (s.held()) {
                held = s.targetRate();
            } else {
                stop = "step " + s.bucket() + ": " + s.why();
                break;
            }
        }
        g.writeEndArray();
        g.writeNumberField("highestHeldRate", round(held));
        g.writeStringField("stopReason", stop);
        g.writeEndObject();
    }

    private void writeSoak(JsonGenerator g) throws IOException {
        long renewals = total.get(StreamTotals.Counter.RENEWALS);
        g.writeObjectFieldStart("soak");
        g.writeStringField("run", soak.run());
        g.writeStringField("hotTopic", soak.hotTopic());
        g.writeNumberField("streamsRenewed", renewals);
        double wholeRun = Math.max(1e-9, (windowEnd.nanos() - connectStart) / 1e9);
        g.writeNumberField("streamsRenewedPerSecWholeRun", round(renewals / wholeRun));
        g.writeNumberField("slowPauses", total.get(StreamTotals.Counter.SLOW_PAUSES));
        g.writeNumberField("cutLooseOrOtherwiseClosed", total.get(StreamTotals.Counter.UNEXPECTED_DISCONNECTS));
        g.writeNumberField("resumedWithLastEventId", total.get(StreamTotals.Counter.RECONNECTS));
        g.writeNumberField("resets", total.get(StreamTotals.Counter.RESETS));
        g.writeObjectFieldStart("eventsDrawn");
        g.writeNumberField("hot", soak.drawnHot());
        g.writeNumberField("toOpenStreams", soak.drawnRead());
        g.writeNumberField("toNobody", soak.drawnNobody());
        g.writeNumberField("readDrawsThatFoundNoOpenStream", soak.readMisses());
        g.writeEndObject();
        if (publisher != null) {
            g.writeNumberField("acceptedBodyBytesWholeRun", publisher.acceptedBodyBytes());
        }
        g.writeEndObject();
    }

    private void writeGateway(JsonGenerator g, long opened, long received, long accepted, double seconds)
            throws IOException {
        g.writeObjectFieldStart("gateway");
        g.writeNumberField("pid", o.gatewayPids().isEmpty() ? 0 : o.gatewayPids().get(0));
        g.writeArrayFieldStart("pids");
        for (Long pid : o.gatewayPids()) {
            g.writeNumber(pid);
        }
        g.writeEndArray();
        g.writeBooleanField("fullGcBeforeRss", o.gatewayGc());
        boolean connectCpu = connected.gatewayTicks() >= 0 && baseline.gatewayTicks() >= 0;
        double connectMicros = ProcStats.ticksToMicros(connected.gatewayTicks() - baseline.gatewayTicks());
        nullableNumber(g, "cpuMicrosPerNewStream", opened == 0 || !connectCpu ? null : connectMicros / opened);
        kib(g, "rssKiBBefore", baseline.gatewayRssKiB());
        kib(g, "rssKiBAfterConnect", rssAfterConnect);
        nullableNumber(g, "rssKiBPerStream", opened == 0 || rssAfterConnect < 0 || baseline.gatewayRssKiB() < 0 ? null
                : (double) (rssAfterConnect - baseline.gatewayRssKiB()) / opened);
        boolean windowCpu = windowEnd.gatewayTicks() >= 0 && windowStart.gatewayTicks() >= 0;
        double windowMicros = ProcStats.ticksToMicros(windowEnd.gatewayTicks() - windowStart.gatewayTicks());
        nullableNumber(g, "cpuSecondsMeasured", windowCpu ? windowMicros / 1e6 : null);
        nullableNumber(g, "cpuShareMeasured", windowCpu ? windowMicros / 1e6 / seconds : null);
        // With several gateway processes: each one's share of a core over the window, in --gateway-pid order.
        g.writeArrayFieldStart("cpuShareMeasuredEach");
        for (int i = 0; i < windowEnd.gatewayTicksEach().length && i < windowStart.gatewayTicksEach().length; i++) {
            long before = windowStart.gatewayTicksEach()[i];
            long after = windowEnd.gatewayTicksEach()[i];
            if (before < 0 || after < 0) {
                g.writeNull();
            } else {
                g.writeNumber(round(ProcStats.ticksToMicros(after - before) / 1e6 / seconds));
            }
        }
        g.writeEndArray();
        nullableNumber(g, "cpuMicrosPerDelivery", received == 0 || !windowCpu ? null : windowMicros / received);
        nullableNumber(g, "cpuMicrosPerPublishedEvent", accepted == 0 || !windowCpu ? null : windowMicros / accepted);
        kib(g, "rssKiBEnd", windowEnd.gatewayRssKiB());
        g.writeNumberField("clockTicksPerSec", ProcStats.clockTicks());
        g.writeEndObject();
    }

    /** Per-process CPU over the window: this process (self) and each child (its CPU_TICKS). */
    private List<double[]> processShares(double seconds) {
        List<double[]> out = new ArrayList<>();
        // -1 = /proc/self/stat was unreadable at one edge (no descriptor left): counted as no CPU, and said so.
        boolean readable = windowEnd.selfTicks() >= 0 && windowStart.selfTicks() >= 0;
        if (!readable && !warnings.contains(UNREADABLE_SELF)) {
            warnings.add(UNREADABLE_SELF);
        }
        double selfSecs = readable ? (windowEnd.selfTicks() - windowStart.selfTicks()) / (double) ProcStats.clockTicks() : 0;
        int selfThreads = (publisher != null ? 1 : 0) + (o.processes() == 1 ? o.threads() : 0);
        out.add(new double[] {selfSecs, selfThreads});
        if (o.processes() > 1) {
            for (int i = 0; i < windowEnd.perSource().size() && i < windowStart.perSource().size(); i++) {
                long ticks = windowEnd.perSource().get(i).get(StreamTotals.Counter.CPU_TICKS)
                        - windowStart.perSource().get(i).get(StreamTotals.Counter.CPU_TICKS);
                int threads = i < ioThreads.size() ? ioThreads.get(i) : o.threads();
                out.add(new double[] {ticks / (double) ProcStats.clockTicks(), threads});
            }
        }
        return out;
    }

    /** CPU share of each I/O thread of this process over the window, busiest first. */
    private List<Map.Entry<String, Double>> threadShares(double seconds) {
        List<Map.Entry<String, Double>> out = new ArrayList<>();
        for (Map.Entry<String, Long> e : windowEnd.threadTicks().entrySet()) {
            Long before = windowStart.threadTicks().get(e.getKey());
            if (before != null) {
                out.add(Map.entry(e.getKey(), (e.getValue() - before) / (double) ProcStats.clockTicks() / seconds));
            }
        }
        out.sort((a, b) -> Double.compare(b.getValue(), a.getValue()));
        return out;
    }

    private List<String> generatorWarnings(double seconds) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Double> t : threadShares(seconds)) {
            if (t.getValue() > GENERATOR_BUSY_SHARE) {
                out.add(String.format(Locale.ROOT, "generator thread %s used %.0f%% of a core: it may be the bottleneck of"
                        + " this run (more --threads, --publishers or --processes, or a --batch)", t.getKey(),
                        t.getValue() * 100));
            }
        }
        List<double[]> shares = processShares(seconds);
        for (int i = 0; i < shares.size(); i++) {
            double share = shares.get(i)[0] / seconds;
            double threads = shares.get(i)[1];
            if (threads > 0 && share > GENERATOR_BUSY_SHARE * threads) {
                out.add(String.format(Locale.ROOT, "generator %s used %.0f%% CPU with %d I/O thread(s): it may be the"
                        + " bottleneck of this run (add --threads or --processes, or a core)",
                        i == 0 ? "parent process" : "child process " + (i - 1), share * 100, (int) threads));
            }
        }
        return out;
    }

    private void writeGenerator(JsonGenerator g, long received, double seconds) throws IOException {
        List<double[]> shares = processShares(seconds);
        double cpuSecs = 0;
        for (double[] s : shares) {
            cpuSecs += s[0];
        }
        g.writeObjectFieldStart("generator");
        g.writeNumberField("processes", o.processes());
        g.writeNumberField("ioThreadsPerProcess", o.threads());
        g.writeNumberField("cpuSecondsMeasured", round(cpuSecs));
        g.writeNumberField("cpuShareMeasured", round(cpuSecs / seconds));
        nullableNumber(g, "cpuMicrosPerDelivery", received == 0 ? null : cpuSecs * 1e6 / received);
        g.writeObjectFieldStart("threadCpuShare");
        for (Map.Entry<String, Double> t : threadShares(seconds)) {
            g.writeNumberField(t.getKey(), round(t.getValue()));
        }
        g.writeEndObject();
        g.writeArrayFieldStart("perProcess");
        for (int i = 0; i < shares.size(); i++) {
            g.writeStartObject();
            g.writeStringField("process", i == 0 ? "parent" : "child " + (i - 1));
            g.writeNumberField("ioThreads", (int) shares.get(i)[1]);
            g.writeNumberField("cpuShare", round(shares.get(i)[0] / seconds));
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void writeHistogram(JsonGenerator g, Histogram h, boolean full) throws IOException {
        g.writeStartObject();
        g.writeNumberField("count", h.getTotalCount());
        if (h.getTotalCount() == 0) {
            g.writeEndObject();
            return;
        }
        g.writeNumberField("p50", Histograms.millis(h.getValueAtPercentile(50)));
        if (full) {
            g.writeNumberField("p90", Histograms.millis(h.getValueAtPercentile(90)));
        }
        g.writeNumberField("p99", Histograms.millis(h.getValueAtPercentile(99)));
        if (full) {
            g.writeNumberField("p99_9", Histograms.millis(h.getValueAtPercentile(99.9)));
            g.writeNumberField("mean", round(h.getMean() / 1e6));
        }
        g.writeNumberField("max", Histograms.millis(h.getMaxValue()));
        g.writeEndObject();
    }

    private static void writeMap(JsonGenerator g, String name, Map<String, Long> map) throws IOException {
        g.writeObjectFieldStart(name);
        for (Map.Entry<String, Long> e : map.entrySet()) {
            g.writeNumberField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
    }

    /** A KiB reading; -1 (unreadable) is written as null. */
    private static void kib(JsonGenerator g, String name, long v) throws IOException {
        if (v < 0) {
            g.writeNullField(name);
        } else {
            g.writeNumberField(name, v);
        }
    }

    private static void nullableNumber(JsonGenerator g, String name, Double v) throws IOException {
        if (v == null || v.isNaN() || v.isInfinite()) {
            g.writeNullField(name);
        } else {
            g.writeNumberField(name, round(v));
        }
    }

    static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
