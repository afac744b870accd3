package io.sluice.bench.load;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ClassHistogramTest {

    /** {@code jcmd PID GC.class_histogram} on JDK 17, shortened. */
    private static final String TEXT = """
            13509:
             num     #instances         #bytes  class name (module)
            -------------------------------------------------------
               1:         26607       32632424  [B (java.base@17.0.15)
               2:          4614        3394072  [Ljava.lang.Object; (java.base@17.0.15)
               3:          2314         111072  io.sluice.fanout.Topic
            1723:             1             16  sun.security.provider.NativePRNG (java.base@17.0.15)
            Total        119936       40266448
            """;

    @Test
    void readsTheTotalAndTheLargestClasses() {
        ClassHistogram h = ClassHistogram.parse(TEXT, 2);
        assertEquals(119936, h.instances());
        assertEquals(40266448, h.bytes());
        assertEquals(List.of(new ClassHistogram.Row("[B (java.base@17.0.15)", 26607, 32632424),
                new ClassHistogram.Row("[Ljava.lang.Object; (java.base@17.0.15)", 4614, 3394072)), h.top());
        assertEquals(new ClassHistogram.Row("io.sluice.fanout.Topic", 2314, 111072), ClassHistogram.parse(TEXT, 10).top().get(2));
    }

    @Test
    void withoutATotalLineThereIsNoHistogram() {
        assertNull(ClassHistogram.parse("13509:\ncom.sun.tools.attach.AttachNotSupportedException: Unable to open socket\n", 5));
    }
}
