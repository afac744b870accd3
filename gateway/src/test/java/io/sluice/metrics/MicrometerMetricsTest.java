package io.sluice.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.api.CloseReason;
import io.sluice.testing.PrometheusText;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Micrometer side of {@link GatewayMetrics}: the counts it exports are the wrapped {@link CountingMetrics},
 * the histograms use the SSE buckets, rejection reasons stay bounded, and the hot-path calls allocate nothing.
 */
class MicrometerMetricsTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final CountingMetrics counts = new CountingMetrics();
    private final MicrometerMetrics metrics = new MicrometerMetrics(registry, counts);

    @AfterEach
    void close() {
        registry.close();
    }

    private PrometheusText scrape() {
        return PrometheusText.parse(registry.scrape());
    }

    @Test
    void countsAreTheWrappedCountsAndLatencyLandsInItsBucket() {
        metrics.streamOpened();
        metrics.streamOpened();
        metrics.streamClosed(CloseReason.DISCONNECTED);
        metrics.eventsPublished(4);
        metrics.eventsDelivered(7);
        metrics.eventsReplayed(2);
        metrics.slowConsumerDisconnect();
        metrics.publishRefusedQueueFull();
        metrics.deliveryLatencyNanos(TimeUnit.MICROSECONDS.toNanos(1500));
        metrics.publishRequestNanos(TimeUnit.MILLISECONDS.toNanos(3), true);
        metrics.publishRequestNanos(TimeUnit.MILLISECONDS.toNanos(30), false);

        assertEquals(4, counts.published());
        assertEquals(7, counts.delivered());
        assertEquals(1, counts.latencySamples());
        PrometheusText text = scrape();
        assertEquals(1, text.value("sluice_connections"));
        assertEquals(4, text.value("sluice_events_published_total"));
        assertEquals(1, text.value("sluice_streams_closed_total", "reason", "disconnected"));
        assertEquals(0, text.value("sluice_streams_closed_total", "reason", "client_closed"), "every reason from start-up");
        assertEquals(7, text.value("sluice_events_delivered_total"));
        assertEquals(2, text.value("sluice_replayed_events_total"));
        assertEquals(1, text.value("sluice_slow_consumer_disconnects_total"));
        assertEquals(1, text.value("sluice_publishes_refused_total", "reason", "queue_full"));
        assertEquals(0, text.value("sluice_delivery_latency_seconds_bucket", "le", "0.001"));
        assertEquals(1, text.value("sluice_delivery_latency_seconds_bucket", "le", "0.002"), "1.5 ms is in (1 ms, 2 ms]");
        assertEquals(0.0015, text.value("sluice_delivery_latency_seconds_sum"), 1e-12);
        assertEquals(1, text.value("sluice_publish_request_duration_seconds_bucket", "outcome", "accepted", "le", "0.005"));
        assertEquals(0, text.value("sluice_publish_request_duration_seconds_bucket", "outcome", "refused", "le", "0.025"));
        assertEquals(1, text.value("sluice_publish_request_duration_seconds_bucket", "outcome", "refused", "le", "0.05"));
        assertEquals(15, text.samples().stream().filter(s -> s.name().equals("sluice_delivery_latency_seconds_bucket"))
                .count(), "14 buckets and +Inf");
    }

    @Test
    void rejectionsCountByReasonAndUnknownReasonsStayBounded() {
        metrics.connectionRejected("max_connections");
        metrics.connectionRejected("max_connections");
        metrics.connectionRejected("forbidden");
        metrics.connectionRejected("header_timeout");
        for (int i = 0; i < 100; i++) {
            metrics.connectionRejected("made_up_" + i);
        }
        PrometheusText text = scrape();
        assertEquals(2, text.value("sluice_connections_rejected_total", "reason", "max_connections"));
        assertEquals(1, text.value("sluice_connections_rejected_total", "reason", "forbidden"));
        assertEquals(0, text.value("sluice_connections_rejected_total", "reason", "not_ready"));
        assertEquals(1, text.value("sluice_connections_rejected_total", "reason", "header_timeout"),
                "a new constant reason gets its own series");
        long series = text.samples().stream().filter(s -> s.name().equals("sluice_connections_rejected_total")).count();
        assertEquals(MicrometerMetrics.MAX_REASONS, series, "reasons beyond the bound share one series");
        double other = text.value("sluice_connections_rejected_total", "reason", MicrometerMetrics.OTHER_REASON);
        assertTrue(other > 0 && other < 100, () -> "overflow counted as other: " + other);
        assertEquals(104, counts.rejectedConnections());
    }

    @Test
    void hotPathCallsAllocateNothing() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Runnable hotPath = () -> {
            for (int i = 0; i < 100_000; i++) {
                metrics.deliveryLatencyNanos(i * 37L);
                metrics.eventsDelivered(3);
                metrics.eventsPublished(1);
                metrics.connectionRejected("max_connections");
                metrics.publishRequestNanos(i * 101L, true);
            }
        };
        hotPath.run(); // warm-up: lazy initialisation and compilation
        hotPath.run();
        long before = threads.getCurrentThreadAllocatedBytes();
        hotPath.run();
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 4096, () -> allocated + " bytes allocated by 500,000 hot-path calls");
    }
}
