package io.sluice.limits;

import io.netty.util.NetUtil;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code trustedProxies} setting: IP addresses and CIDR ranges whose {@code X-Forwarded-For} header is believed.
 * IPv4-mapped IPv6 addresses ({@code ::ffff:10.0.0.1}) are the IPv4 address they carry, in ranges and in lookups.
 * Immutable and thread-safe.
 */
public final class TrustedProxies {
    /** Trusts no one: X-Forwarded-For is never read. */
    public static final TrustedProxies NONE = new TrustedProxies(List.of());

    private final List<Range> ranges;

    private TrustedProxies(List<Range> ranges) {
        this.ranges = ranges;
    }

    /**
     * @param entries addresses ({@code 10.0.0.1}, {@code ::1}) or CIDR ranges ({@code 10.0.0.0/8}), as the config
     *     key {@code trustedProxies} validates them
     * @throws IllegalArgumentException naming an entry that is neither
     */
    public static TrustedProxies of(List<String> entries) {
        List<Range> ranges = new ArrayList<>(entries.size());
        for (String entry : entries) {
            ranges.add(Range.parse(entry));
        }
        return ranges.isEmpty() ? NONE : new TrustedProxies(List.copyOf(ranges));
    }

    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    /** @param address 4 or 16 bytes, as {@link #parseAddress} returns them */
    public boolean contains(byte[] address) {
        for (Range range : ranges) {
            if (range.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /**
     * An IP literal as bytes, without any name lookup: 4 bytes for IPv4 (and IPv4-mapped IPv6), else 16. Null when
     * {@code text} is not an IP literal (a host name, {@code unknown}, an IPv6 zone, junk).
     */
    public static byte[] parseAddress(String text) {
        if (text.isEmpty() || text.indexOf('%') >= 0) {
            return null;
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(text);
        return bytes == null ? null : unmapped(bytes);
    }

    /** Canonical text of an address: dotted quad, or RFC 5952 compressed IPv6. */
    public static String format(byte[] address) {
        return NetUtil.bytesToIpAddress(address);
    }

    /** {@code ::ffff:a.b.c.d} as the 4 bytes of {@code a.b.c.d}; anything else unchanged. */
    static byte[] unmapped(byte[] address) {
        if (address.length != 16) {
            return address;
        }
        for (int i = 0; i < 10; i++) {
            if (address[i] != 0) {
                return address;
            }
        }
        if (address[10] != (byte) 0xff || address[11] != (byte) 0xff) {
            return address;
        }
        return new byte[] {address[12], address[13], address[14], address[15]};
    }

    @Override
    public String toString() {
        return ranges.toString();
    }

    /** A network and its prefix length; a single address is a full-length prefix. */
    private record Range(byte[] network, int bits, String text) {
        static Range parse(String text) {
            int slash = text.indexOf('/');
            String literal = slash < 0 ? text : text.substring(0, slash);
            byte[] raw = NetUtil.createByteArrayFromIpAddressString(literal);
            if (raw == null || literal.indexOf('%') >= 0) {
                throw new IllegalArgumentException("trustedProxies: '" + text + "' is not an IP address or CIDR range");
            }
            int bits = raw.length * 8;
            if (slash >= 0) {
                String prefix = text.substring(slash + 1);
                if (!prefix.matches("[0-9]{1,3}") || Integer.parseInt(prefix) > bits) {
                    throw new IllegalArgumentException("trustedProxies: '" + text + "' has a bad prefix length");
                }
                bits = Integer.parseInt(prefix);
            }
            byte[] network = unmapped(raw);
            if (network.length != raw.length) {
                bits = Math.max(0, bits - 96);
            }
            return new Range(network, bits, text);
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int whole = bits / 8;
            for (int i = 0; i < whole; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (address[whole] & mask) == (network[whole] & mask);
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
