package io.sluice;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.sluice.config.SluiceConfig;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each transport serves a real stream end to end; {@code auto} picks epoll on Linux, else NIO; {@code io_uring} runs
 * where the kernel allows it and falls back to epoll (else NIO) with a reason where it does not.
 */
class TransportTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @ParameterizedTest
    @ValueSource(strings = {"auto", "nio", "epoll", "io_uring"})
    void streamAndPublishOverTransport(String transport) {
        if (transport.equals("epoll") && !Epoll.isAvailable()) {
            return; // epoll exists only on Linux; "auto" below covers the fallback
        }
        try (GatewayFixture gateway = GatewayFixture.start("--transport=" + transport);
             SseTestClient stream = gateway.stream("/v1/events/stream?topic=t", Map.of())) {
            assertEquals(expectedTransport(transport), gateway.server().transportName());
            stream.awaitEvent(e -> e.type().equals("connected"), WAIT);
            assertEquals(200, gateway.publishJson("{\"topic\":\"t\",\"data\":\"via " + transport + "\"}").status());
            SseEvent event = stream.awaitEvent(WAIT);
            assertEquals("via " + transport, event.data());
        }
    }

    private static String expectedTransport(String asked) {
        if (asked.equals("io_uring") && IoUring.isAvailable()) {
            return "io_uring";
        }
        return asked.equals("nio") || !Epoll.isAvailable() ? "nio" : "epoll";
    }

    @Test
    void ioUringUnavailableFallsBackToEpollWithTheReason() {
        Transports chosen = Transports.select(SluiceConfig.Transport.IO_URING, true, false);
        assertEquals("epoll", chosen.name());
        assertTrue(chosen.fallbackReason().startsWith("transport 'io_uring' is not available here ("),
                chosen.fallbackReason());
        assertTrue(chosen.fallbackReason().endsWith("; running on epoll"), chosen.fallbackReason());
    }

    @Test
    void ioUringAndEpollUnavailableFallBackToNio() {
        Transports chosen = Transports.select(SluiceConfig.Transport.IO_URING, false, false);
        assertEquals("nio", chosen.name());
        assertTrue(chosen.fallbackReason().endsWith("; running on nio"), chosen.fallbackReason());
    }

    @Test
    void ioUringAvailableIsChosenWithoutAReason() {
        Transports chosen = Transports.select(SluiceConfig.Transport.IO_URING, true, true);
        assertEquals("io_uring", chosen.name());
        assertNull(chosen.fallbackReason());
    }

    @Test
    void otherChoicesNeverCarryAReason() {
        for (SluiceConfig.Transport t : List.of(SluiceConfig.Transport.AUTO, SluiceConfig.Transport.NIO,
                SluiceConfig.Transport.EPOLL)) {
            assertNull(Transports.select(t, true, true).fallbackReason(), t.name());
        }
        assertEquals("epoll", Transports.select(SluiceConfig.Transport.AUTO, true, true).name());
    }

    @Test
    void deferringAcceptIsOfferedByTheLinuxTransportsAndNotByNio() {
        assertEquals(EpollChannelOption.TCP_DEFER_ACCEPT,
                Transports.select(SluiceConfig.Transport.EPOLL, true, false).deferAcceptOption());
        assertEquals(IoUringChannelOption.TCP_DEFER_ACCEPT,
                Transports.select(SluiceConfig.Transport.IO_URING, true, true).deferAcceptOption());
        assertNull(Transports.select(SluiceConfig.Transport.NIO, true, true).deferAcceptOption());
        assertNull(Transports.select(SluiceConfig.Transport.AUTO, false, false).deferAcceptOption(), "auto without epoll");
    }

    @Test
    void epollLoopsGetTheDescriptorTableFactory() {
        Transports chosen = Transports.select(SluiceConfig.Transport.AUTO, true, false);
        assertEquals("epoll", chosen.name());
        assertTrue(chosen.ioHandlerFactory() instanceof EpollHandlerFactory factory && factory.replacing(),
                "epoll event loops keep their channels in a DescriptorTable");
    }
}
