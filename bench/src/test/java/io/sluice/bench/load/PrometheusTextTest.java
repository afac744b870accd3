package io.sluice.bench.load;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class PrometheusTextTest {

    /** Lines as the gateway's /metrics writes them (Micrometer's Prometheus registry). */
    private static final String TEXT = """
            # HELP sluice_topics Topics this node knows
            # TYPE sluice_topics gauge
            sluice_topics 40123.0
            sluice_history_bytes 6.7108864E7
            sluice_history_evictions_total{reason="age"} 12.0
            sluice_history_evictions_total{reason="bytes"} 3.0
            sluice_history_evictions_total{reason="count"} 0.0
            jvm_buffer_memory_used_bytes{id="direct"} 4341781.0
            jvm_buffer_memory_used_bytes{id="mapped - 'non-volatile memory'"} 0.0
            jvm_memory_used_bytes{area="heap",id="G1 Eden Space"} 4194304.0
            jvm_memory_used_bytes{area="heap",id="G1 Old Gen"} 4444160.0
            jvm_memory_used_bytes{area="nonheap",id="CodeHeap 'non-nmethods'"} 1300352.0
            odd_label{path="a\\"b}c",x="1"} 2 1712345678000
            broken{x="1" 2
            not_a_number NaNish
            """;

    @Test
    void readsSamplesWithAndWithoutLabels() {
        PrometheusText m = PrometheusText.parse(TEXT);
        assertEquals(40123.0, m.value("sluice_topics"));
        assertEquals(67108864.0, m.value("sluice_history_bytes"));
        assertEquals(12.0, m.sum("sluice_history_evictions_total", "reason", "age"));
        assertEquals(15.0, m.sum("sluice_history_evictions_total", null, null));
        assertEquals(4341781.0, m.sum("jvm_buffer_memory_used_bytes", "id", "direct"));
        assertEquals(8638464.0, m.sum("jvm_memory_used_bytes", "area", "heap"));
        assertEquals(Map.of("path", "a\"b}c", "x", "1"), m.series().stream()
                .filter(s -> s.name().equals("odd_label")).findFirst().orElseThrow().labels());
    }

    @Test
    void whatIsMissingOrUnreadableIsNull() {
        PrometheusText m = PrometheusText.parse(TEXT);
        assertNull(m.value("sluice_connections"));
        assertNull(m.value("sluice_history_evictions_total"));
        assertNull(m.sum("sluice_history_evictions_total", "reason", "other"));
        assertNull(m.value("broken"));
        assertNull(m.value("not_a_number"));
    }
}
