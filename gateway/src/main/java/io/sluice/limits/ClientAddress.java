package io.sluice.limits;

import io.netty.handler.codec.http.HttpHeaders;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;

/**
 * Finds the address of the client behind a request, for keying anonymous streams.
 *
 * <p>The rule: the TCP peer, unless the peer is a trusted proxy; then the {@code X-Forwarded-For} chain (every
 * header line, in order, comma-separated) is walked from the right, skipping addresses that are themselves trusted
 * proxies, and the first one that is not is the client. Each trusted proxy appends the address it saw, so the
 * right-most untrusted entry is the last one a trusted party vouches for; anything left of it may have been
 * written by the client. If every entry is trusted, the left-most is the client. If an entry is not an IP literal
 * (junk, {@code unknown}, a name), the walk stops and the nearest trusted hop to its right stands for the client.
 * Entries may carry a port ({@code 1.2.3.4:5678}, {@code [2001:db8::1]:443}). No name is ever looked up.
 *
 * <p>Stateless; any thread.
 */
public final class ClientAddress {
    static final String X_FORWARDED_FOR = "X-Forwarded-For";

    private ClientAddress() {
    }

    /**
     * @param peer the connection's remote address
     * @return the client's address in canonical text form (see {@link TrustedProxies#format}); for a peer that is
     *     not an IP socket address (a Unix socket, a test channel), its {@code toString()}
     */
    public static String resolve(SocketAddress peer, HttpHeaders headers, TrustedProxies trusted) {
        byte[] peerBytes = peerBytes(peer);
        if (peerBytes == null) {
            return String.valueOf(peer);
        }
        if (trusted.isEmpty() || !trusted.contains(peerBytes)) {
            return TrustedProxies.format(peerBytes);
        }
        byte[] client = peerBytes;
        List<String> lines = headers.getAll(X_FORWARDED_FOR);
        for (int line = lines.size() - 1; line >= 0; line--) {
            String chain = lines.get(line);
            int end = chain.length();
            while (end >= 0) {
                int comma = chain.lastIndexOf(',', end - 1);
                byte[] hop = parseHop(chain.substring(comma + 1, end).trim());
                if (hop == null) {
                    return TrustedProxies.format(client);
                }
                client = hop;
                if (!trusted.contains(hop)) {
                    return TrustedProxies.format(hop);
                }
                end = comma;
            }
        }
        return TrustedProxies.format(client);
    }

    /** One X-Forwarded-For entry: an IP literal, optionally with a port (IPv6 then in brackets); else null. */
    static byte[] parseHop(String entry) {
        String host = entry;
        if (entry.startsWith("[")) {
            int close = entry.indexOf(']');
            if (close < 0 || !isPortSuffix(entry, close + 1)) {
                return null;
            }
            host = entry.substring(1, close);
        } else {
            int colon = entry.indexOf(':');
            if (colon >= 0 && colon == entry.lastIndexOf(':')) {
                if (!isPortSuffix(entry, colon)) {
                    return null;
                }
                host = entry.substring(0, colon);
            }
        }
        return TrustedProxies.parseAddress(host);
    }

    /** Whether {@code s} from {@code from} is empty or {@code :} and a port number (0–65535). */
    private static boolean isPortSuffix(String s, int from) {
        if (from == s.length()) {
            return true;
        }
        int digits = s.length() - from - 1;
        if (s.charAt(from) != ':' || digits < 1 || digits > 5) {
            return false;
        }
        int port = 0;
        for (int i = from + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
            port = port * 10 + (c - '0');
        }
        return port <= 65535;
    }

    private static byte[] peerBytes(SocketAddress peer) {
        if (peer instanceof InetSocketAddress inet) {
            InetAddress address = inet.getAddress();
            if (address != null) {
                return TrustedProxies.unmapped(address.getAddress());
            }
        }
        return null;
    }
}
