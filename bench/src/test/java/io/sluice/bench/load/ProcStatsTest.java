package io.sluice.bench.load;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcStatsTest {

    @Test
    void readsTheHeapRangeFromHeapInfo() {
        String info = """
                13509:
                 garbage-first heap   total 1048576K, used 40038K [0x00000000c0000000, 0x0000000100000000)
                  region size 1024K, 1 young (1024K), 0 survivors (0K)
                 Metaspace       used 17876K, committed 18112K, reserved 1114112K
                """;
        assertArrayEquals(new long[] {0xc0000000L, 0x100000000L}, ProcStats.heapRange(info));
        assertNull(ProcStats.heapRange("13509:\nAttachNotSupportedException\n"));
    }

    @Test
    void sumsTheResidentMemoryOfTheMappingsInARange() {
        String smaps = """
                c0000000-c5800000 rw-p 00000000 00:00 0
                Size:              90112 kB
                Rss:               81920 kB
                VmFlags: rd wr mr mw me ac
                c5800000-100000000 ---p 00000000 00:00 0
                Size:             956416 kB
                Rss:                   8 kB
                7f3a2c000000-7f3a2c021000 rw-p 00000000 00:00 0
                Size:                132 kB
                Rss:                 132 kB
                """;
        assertEquals(81928, ProcStats.smapsRssKiBWithin(smaps, 0xc0000000L, 0x100000000L));
        assertEquals(132, ProcStats.smapsRssKiBWithin(smaps, 0x7f0000000000L, 0x7fffffffffffL));
        assertEquals(0, ProcStats.smapsRssKiBWithin(smaps, 0x1000L, 0x2000L));
    }

    @Test
    void readsThisProcess() {
        assertTrue(ProcStats.rssKiB("self") > 0);
        assertTrue(ProcStats.rssKiBWithin("self", 0, -1) >= ProcStats.rssKiB("self") / 2);
    }
}
