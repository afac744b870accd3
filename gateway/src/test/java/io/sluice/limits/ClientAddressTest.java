package io.sluice.limits;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClientAddressTest {
    private static final TrustedProxies PROXIES = TrustedProxies.of(List.of("10.0.0.0/8", "192.168.1.1", "fd00::/8"));

    private static String resolve(String peer, TrustedProxies trusted, String... forwardedFor) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (String line : forwardedFor) {
            headers.add("X-Forwarded-For", line);
        }
        return ClientAddress.resolve(new InetSocketAddress(peer, 40000), headers, trusted);
    }

    @Test
    void untrustedPeerIsTheClientWhateverTheHeaderSays() {
        assertEquals("203.0.113.9", resolve("203.0.113.9", PROXIES, "198.51.100.1"));
        assertEquals("127.0.0.1", resolve("127.0.0.1", TrustedProxies.NONE, "198.51.100.1"));
    }

    @Test
    void trustedPeerWithoutHeaderIsTheClient() {
        assertEquals("10.1.2.3", resolve("10.1.2.3", PROXIES));
    }

    @Test
    void rightMostUntrustedEntryIsTheClient() {
        assertEquals("198.51.100.7", resolve("10.0.0.1", PROXIES, "198.51.100.7"));
        // the client wrote 1.1.1.1 itself; the proxies appended what they saw
        assertEquals("198.51.100.7", resolve("10.0.0.1", PROXIES, "1.1.1.1, 198.51.100.7, 10.2.2.2, 192.168.1.1"));
        // several header lines are one list, in order
        assertEquals("198.51.100.7", resolve("10.0.0.1", PROXIES, "1.1.1.1, 198.51.100.7", "10.2.2.2"));
    }

    @Test
    void allTrustedMeansTheLeftMostIsTheClient() {
        assertEquals("10.9.9.9", resolve("10.0.0.1", PROXIES, "10.9.9.9, 192.168.1.1"));
    }

    @Test
    void junkStopsTheWalkAtTheNearestTrustedHop() {
        assertEquals("10.2.2.2", resolve("10.0.0.1", PROXIES, "198.51.100.7, unknown, 10.2.2.2"));
        assertEquals("10.0.0.1", resolve("10.0.0.1", PROXIES, "not-an-ip"));
        assertEquals("10.0.0.1", resolve("10.0.0.1", PROXIES, ""));
        assertEquals("10.0.0.1", resolve("10.0.0.1", PROXIES, "198.51.100.7, "));
    }

    @Test
    void portsBracketsAndIpv6Forms() {
        assertEquals("198.51.100.7", resolve("10.0.0.1", PROXIES, "198.51.100.7:5555"));
        assertEquals("2001:db8::1", resolve("10.0.0.1", PROXIES, "[2001:db8::1]:443"));
        assertEquals("2001:db8::1", resolve("10.0.0.1", PROXIES, "[2001:db8:0:0:0:0:0:1]"));
        assertEquals("2001:db8::1", resolve("10.0.0.1", PROXIES, "2001:DB8::1"));
        assertEquals("198.51.100.7", resolve("10.0.0.1", PROXIES, "::ffff:198.51.100.7"));
        assertEquals("2001:db8::2", resolve("fd12::1", PROXIES, "2001:db8::2"));
        assertEquals("10.0.0.1", resolve("10.0.0.1", PROXIES, "198.51.100.7:99999"));
        assertEquals("10.0.0.1", resolve("10.0.0.1", PROXIES, "[2001:db8::1"));
        assertEquals("10.0.0.1", resolve("10.0.0.1", PROXIES, "fe80::1%eth0"));
    }

    @Test
    void peerThatIsNotAnIpSocketIsItsOwnKey() {
        assertEquals("local:/tmp/x", ClientAddress.resolve(new java.net.SocketAddress() {
            @Override
            public String toString() {
                return "local:/tmp/x";
            }
        }, new DefaultHttpHeaders(), PROXIES));
    }

    @Test
    void rangesMatchByPrefixIncludingPartialBytesAndMappedAddresses() {
        TrustedProxies t = TrustedProxies.of(List.of("172.16.0.0/12", "2001:db8:aa::/48", "::ffff:100.64.0.0/106",
                "0.0.0.0/0"));
        TrustedProxies narrow = TrustedProxies.of(List.of("172.16.0.0/12", "2001:db8:aa::/48", "::ffff:100.64.0.0/106"));
        assertTrue(narrow.contains(TrustedProxies.parseAddress("172.31.255.255")));
        assertFalse(narrow.contains(TrustedProxies.parseAddress("172.32.0.0")));
        assertTrue(narrow.contains(TrustedProxies.parseAddress("2001:db8:aa:ffff::1")));
        assertFalse(narrow.contains(TrustedProxies.parseAddress("2001:db8:ab::1")));
        assertTrue(narrow.contains(TrustedProxies.parseAddress("100.127.0.1")), "mapped /106 is IPv4 /10");
        assertFalse(narrow.contains(TrustedProxies.parseAddress("100.128.0.1")));
        assertTrue(t.contains(TrustedProxies.parseAddress("8.8.8.8")));
        assertFalse(t.contains(TrustedProxies.parseAddress("2001:db9::1")), "an IPv4 range never holds IPv6");
        assertNull(TrustedProxies.parseAddress("example.com"));
        assertThrows(IllegalArgumentException.class, () -> TrustedProxies.of(List.of("10.0.0.0/33")));
        assertThrows(IllegalArgumentException.class, () -> TrustedProxies.of(List.of("proxy.local")));
    }
}
