package io.sluice.api;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Random spread for reconnect and retry delays, so clients (or nodes) told to wait at the same moment do not come
 * back at the same moment. The one source of jitter in the gateway: every delay it hands out is
 * {@link #uniform(long, long)} of bounds its caller documents. Stateless; any thread.
 */
public final class Jitter {
    private Jitter() {
    }

    /** Uniform in {@code [low, high)}; {@code low} when {@code high <= low}. */
    public static long uniform(long low, long high) {
        return high <= low ? low : ThreadLocalRandom.current().nextLong(low, high);
    }

    /** Uniform in {@code [millis / 2, millis * 3 / 2)}: a delay around {@code millis}, never zero unless it is. */
    public static long around(long millis) {
        return uniform(millis / 2, millis / 2 + millis);
    }
}
