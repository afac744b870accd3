package io.sluice.bench.load;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * {@code --samples}: the gateway's memory and state and this generator's rates, one JSON line per sample, so a long
 * run shows what grows. Each sample reads the gateway's RSS ({@code /proc/PID/status}), runs
 * {@code jcmd PID GC.class_histogram} (a full GC, then the live objects by class: its total is the heap after GC),
 * then reads {@code --metrics-url} (history, topics, evictions, direct memory, streams; read after the GC, so
 * {@code jvm_gc_live_data_size_bytes} is that GC's). RSS is also split: the part inside the Java heap's reserved range
 * ({@code /proc/PID/smaps}; the range from {@code jcmd PID GC.heap_info} once), which grows until the JVM has touched
 * the heap it may use, and the rest (direct memory, metaspace, code, stacks, malloc). The full GC pauses the gateway
 * once per sample; that is the price of a heap figure without garbage in it.
 *
 * <p>Threading: the coordinator thread only, one sample at a time (a sample takes about a second: the jcmd JVM).
 */
final class GatewaySampler implements AutoCloseable {
    /** Classes kept per sample, largest first: enough to see what grows. */
    static final int TOP_CLASSES = 25;
    private static final Duration METRICS_TIMEOUT = Duration.ofSeconds(10);

    /** Cumulative figures of this generator at {@code nanos}; rates are taken between two of them. */
    record Generator(long nanos, long streamsOpen, long acceptedEvents, long acceptedBodyBytes, long publishFailures,
            long deliveries, long renewals, long slowPauses, long unexpectedDisconnects, long reconnects, long resets) {
    }

    private final long pid;
    private final URI metricsUrl;
    private final long t0;
    private final OutputStream out;
    private final JsonFactory json = new JsonFactory();
    private final HttpClient http;
    private Generator previous;
    private int count;
    /** The Java heap's reserved range, from jcmd GC.heap_info at the first sample; null when it could not be read. */
    private long[] heapRange;
    private boolean heapRangeRead;

    /** Samples {@code pid} (and {@code metricsUrl}, when not null); times count from {@code t0} (nanoTime). */
    GatewaySampler(LoadOptions.Sampling sampling, long pid, long t0) throws IOException {
        this.pid = pid;
        this.metricsUrl = sampling.metricsUrl();
        this.t0 = t0;
        this.out = Files.newOutputStream(sampling.file(), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        this.http = metricsUrl == null ? null : HttpClient.newBuilder().connectTimeout(METRICS_TIMEOUT).build();
    }

    /** Samples written so far. */
    int count() {
        return count;
    }

    /** Takes one sample and appends its line; {@code g} is the generator's figures now. */
    void sample(Generator g) throws IOException {
        Instant at = Instant.now();
        if (!heapRangeRead) {
            heapRangeRead = true;
            String info = ProcStats.jcmd(pid, "GC.heap_info");
            heapRange = info == null ? null : ProcStats.heapRange(info);
        }
        long rss = ProcStats.rssKiB(Long.toString(pid));
        long rssHeap = heapRange == null ? -1 : ProcStats.rssKiBWithin(Long.toString(pid), heapRange[0], heapRange[1]);
        String histogramText = ProcStats.jcmd(pid, "GC.class_histogram");
        ClassHistogram histogram = histogramText == null ? null : ClassHistogram.parse(histogramText, TOP_CLASSES);
        String metricsError = null;
        PrometheusText metrics = null;
        if (metricsUrl != null) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(metricsUrl).timeout(METRICS_TIMEOUT).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    metrics = PrometheusText.parse(r.body());
                } else {
                    metricsError = "http " + r.statusCode();
                }
            } catch (IOException e) {
                metricsError = Reasons.of(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                metricsError = "interrupted";
            }
        }
        JsonGenerator j = json.createGenerator(out);
        j.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        j.writeStartObject();
        j.writeNumberField("t", Summary.round((g.nanos() - t0) / 1e9));
        j.writeStringField("utc", at.truncatedTo(ChronoUnit.SECONDS).toString());
        // The jcmd JVM and the full GC: how long the gateway was being sampled.
        j.writeNumberField("sampleSeconds", Summary.round(Duration.between(at, Instant.now()).toNanos() / 1e9));
        String histogramError = histogramText == null ? "jcmd " + pid + " GC.class_histogram failed"
                : histogram == null ? "no Total line in jcmd's class histogram" : null;
        writeGateway(j, rss, rssHeap, histogram, histogramError, metrics, metricsError);
        writeGenerator(j, g);
        j.writeEndObject();
        j.flush();
        out.write('\n');
        out.flush();
        previous = g;
        count++;
    }

    private void writeGateway(JsonGenerator j, long rss, long rssHeap, ClassHistogram histogram, String histogramError,
            PrometheusText m, String metricsError) throws IOException {
        j.writeObjectFieldStart("gateway");
        number(j, "rssKiB", rss < 0 ? null : (double) rss);
        // Of it, the pages of the Java heap's range the JVM has touched: at most -Xmx, reached as G1 uses its regions.
        number(j, "rssHeapKiB", rssHeap < 0 ? null : (double) rssHeap);
        number(j, "heapLiveBytes", histogram == null ? null : (double) histogram.bytes());
        number(j, "heapLiveObjects", histogram == null ? null : (double) histogram.instances());
        if (histogramError != null) {
            j.writeStringField("histogramError", histogramError);
        }
        if (m != null) {
            number(j, "gcLiveDataBytes", m.value("jvm_gc_live_data_size_bytes"));
            number(j, "heapUsedBytes", m.sum("jvm_memory_used_bytes", "area", "heap"));
            number(j, "nonHeapUsedBytes", m.sum("jvm_memory_used_bytes", "area", "nonheap"));
            number(j, "directBufferBytes", m.sum("jvm_buffer_memory_used_bytes", "id", "direct"));
            number(j, "nettyDirectBytes", m.sum("netty_allocator_memory_used_bytes", "memory_type", "direct"));
            number(j, "topics", m.value("sluice_topics"));
            number(j, "historyBytes", m.value("sluice_history_bytes"));
            number(j, "historyEvents", m.value("sluice_history_events"));
            j.writeObjectFieldStart("evictions");
            for (String reason : new String[] {"count", "age", "bytes"}) {
                number(j, reason, m.sum("sluice_history_evictions_total", "reason", reason));
            }
            j.writeEndObject();
            number(j, "connections", m.value("sluice_connections"));
            number(j, "slowConsumerDisconnects", m.value("sluice_slow_consumer_disconnects_total"));
            number(j, "eventsPublished", m.value("sluice_events_published_total"));
            number(j, "publishesRefused", m.sum("sluice_publishes_refused_total", null, null));
            number(j, "openFiles", m.value("process_files_open_files"));
            number(j, "threads", m.value("jvm_threads_live_threads"));
        } else if (metricsError != null) {
            j.writeStringField("metricsError", metricsError);
        }
        j.writeEndObject();
        if (histogram != null) {
            j.writeArrayFieldStart("topClasses");
            for (ClassHistogram.Row r : histogram.top()) {
                j.writeStartObject();
                j.writeStringField("class", r.className());
                j.writeNumberField("objects", r.instances());
                j.writeNumberField("bytes", r.bytes());
                j.writeEndObject();
            }
            j.writeEndArray();
        }
    }

    private void writeGenerator(JsonGenerator j, Generator g) throws IOException {
        j.writeObjectFieldStart("generator");
        j.writeNumberField("streamsOpen", g.streamsOpen());
        j.writeNumberField("acceptedEvents", g.acceptedEvents());
        j.writeNumberField("deliveries", g.deliveries());
        j.writeNumberField("renewals", g.renewals());
        j.writeNumberField("slowPauses", g.slowPauses());
        j.writeNumberField("unexpectedDisconnects", g.unexpectedDisconnects());
        j.writeNumberField("reconnects", g.reconnects());
        j.writeNumberField("resets", g.resets());
        j.writeNumberField("publishFailures", g.publishFailures());
        Generator p = previous;
        double secs = p == null ? 0 : (g.nanos() - p.nanos()) / 1e9;
        if (secs > 0) {
            j.writeNumberField("publishPerSec", Summary.round((g.acceptedEvents() - p.acceptedEvents()) / secs));
            double kib = (g.acceptedBodyBytes() - p.acceptedBodyBytes()) / 1024.0;
            j.writeNumberField("publishKiBPerSec", Summary.round(kib / secs));
            j.writeNumberField("deliveriesPerSec", Summary.round((g.deliveries() - p.deliveries()) / secs));
            j.writeNumberField("renewalsPerSec", Summary.round((g.renewals() - p.renewals()) / secs));
            j.writeNumberField("reconnectsPerSec", Summary.round((g.reconnects() - p.reconnects()) / secs));
        }
        j.writeEndObject();
    }

    private static void number(JsonGenerator j, String name, Double v) throws IOException {
        if (v == null) {
            j.writeNullField(name);
        } else if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            j.writeNumberField(name, v.longValue());
        } else {
            j.writeNumberField(name, Summary.round(v));
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
