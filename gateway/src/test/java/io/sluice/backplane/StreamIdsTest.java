package io.sluice.backplane;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamIdsTest {

    @Test
    void packsMillisHighAndSequenceLowKeepingRedisOrder() {
        long id = StreamIds.pack("1700000000000-5");
        assertEquals((1_700_000_000_000L << 20) | 5, id);
        assertEquals("1700000000000-5", StreamIds.unpack(id));
        assertEquals(1_700_000_000_000L, StreamIds.millis(id));
        assertEquals(5, StreamIds.sequence(id));
        assertTrue(StreamIds.pack("1700000000000-1048575") < StreamIds.pack("1700000000001-0"));
        assertTrue(StreamIds.pack("1700000000000-9") < StreamIds.pack("1700000000000-10"));
        assertEquals(19, Long.toString(StreamIds.pack("8796093022207-1048575")).length(), "at most 19 digits");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-", "1-", "-1", "0-0", "1700000000000-1048576", "8796093022208-0", "12a-1", "1-2-3",
        "99999999999999999999-0", "1700000000000"})
    void refusesWhatItCannotPack(String streamId) {
        assertEquals(-1, StreamIds.pack(streamId));
    }
}
