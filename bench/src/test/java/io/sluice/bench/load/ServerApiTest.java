package io.sluice.bench.load;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerApiTest {

    @Test
    void sluicePublishesEventObjectsAndStreamsByQuery() {
        ServerApi api = ServerApi.SLUICE;
        assertEquals("/v1/publish", api.publishTarget("", "load/7"));
        assertEquals("/gw/v1/publish", api.publishTarget("/gw", "load/7"));
        assertEquals("/v1/events/stream?topic=load/7", api.streamTarget("", List.of("load/7")));
        assertEquals("/gw/v1/events/stream?topic=load/1&topic=load/2", api.streamTarget("/gw", List.of("load/1", "load/2")));
        assertFalse(api.bareEventBody());
        assertFalse(api.openAtResponseHead());
        assertEquals("", api.streamHeaders());
    }

    @Test
    void nchanPublishesToTheTopicsLocationAndMultiplexesStreams() {
        ServerApi api = ServerApi.NCHAN;
        assertEquals("/pub/load/7", api.publishTarget("", "load/7"));
        assertEquals("/n/pub/load/7", api.publishTarget("/n", "load/7"));
        assertEquals("/sub/load/7", api.streamTarget("", List.of("load/7")));
        // nchan_channel_id_split_delimiter ",": one multiplexed stream over several channels.
        assertEquals("/n/sub/load/1,load/2,load/3", api.streamTarget("/n", List.of("load/1", "load/2", "load/3")));
        assertTrue(api.bareEventBody());
        assertTrue(api.openAtResponseHead());
        assertEquals("Accept: text/event-stream\r\n", api.streamHeaders());
    }

    @Test
    void parsesTheOptionValue() {
        assertEquals(ServerApi.SLUICE, ServerApi.parse("sluice"));
        assertEquals(ServerApi.NCHAN, ServerApi.parse("nchan"));
        assertEquals("nchan", ServerApi.NCHAN.optionValue());
        assertEquals("--server: 'NCHAN' is not sluice or nchan",
                assertThrows(IllegalArgumentException.class, () -> ServerApi.parse("NCHAN")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> ServerApi.SLUICE.streamTarget("", List.of()));
    }
}
