package io.sluice.bench.load;

import io.netty.channel.ConnectTimeoutException;

/**
 * Short, stable names for why a connection failed, used as error-count keys. Stateless; thread-safe.
 */
final class Reasons {
    static final String EMFILE = "EMFILE (too many open files)";
    static final String ENFILE = "ENFILE (too many open files in system)";
    static final String EADDRNOTAVAIL = "EADDRNOTAVAIL (no free local port/address)";
    static final String ECONNREFUSED = "ECONNREFUSED";
    static final String ECONNRESET = "ECONNRESET";
    static final String CONNECT_TIMEOUT = "connect timeout";

    private Reasons() {
    }

    static String of(Throwable t) {
        if (t instanceof ConnectTimeoutException) {
            return CONNECT_TIMEOUT;
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = String.valueOf(c.getMessage());
            if (m.contains("Too many open files in system")) {
                return ENFILE;
            }
            if (m.contains("Too many open files")) {
                return EMFILE;
            }
            if (m.contains("Cannot assign requested address") || m.contains("Address already in use")) {
                return EADDRNOTAVAIL;
            }
            if (m.contains("Connection refused")) {
                return ECONNREFUSED;
            }
            if (m.contains("Connection reset")) {
                return ECONNRESET;
            }
        }
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + (m.length() > 80 ? m.substring(0, 80) : m));
    }

    /** True when the reason is a resource limit: opening more streams would fail the same way. */
    static boolean isLimit(String reason) {
        return reason.equals(EMFILE) || reason.equals(ENFILE) || reason.equals(EADDRNOTAVAIL)
                || reason.equals("http 503") || reason.equals("http 429");
    }
}
