package io.sluice;

import io.netty.channel.epoll.Epoll;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Each transport serves a real stream end to end; {@code auto} picks epoll on Linux, else NIO. */
class TransportTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @ParameterizedTest
    @ValueSource(strings = {"auto", "nio", "epoll"})
    void streamAndPublishOverTransport(String transport) {
        if (transport.equals("epoll") && !Epoll.isAvailable()) {
            return; // epoll exists only on Linux; "auto" below covers the fallback
        }
        try (GatewayFixture gateway = GatewayFixture.start("--transport=" + transport);
             SseTestClient stream = gateway.stream("/v1/events/stream?topic=t", Map.of())) {
            String expected = transport.equals("nio") || !Epoll.isAvailable() ? "nio" : "epoll";
            assertEquals(expected, gateway.server().transportName());
            stream.awaitEvent(e -> e.type().equals("connected"), WAIT);
            assertEquals(200, gateway.publishJson("{\"topic\":\"t\",\"data\":\"via " + transport + "\"}").status());
            SseEvent event = stream.awaitEvent(WAIT);
            assertEquals("via " + transport, event.data());
        }
    }
}
