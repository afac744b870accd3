package io.sluice.config;

import io.netty.util.internal.PlatformDependent;

/**
 * Whether the configuration fits the JVM it runs in (CONTRACT §10: a {@code historyMaxBytes} the JVM cannot hold is
 * refused at start-up, so eviction, not exhaustion, is what frees memory). History's frames live in direct memory and
 * its bookkeeping and snapshot copies on the heap; each may take at most half of its kind, leaving the other half to
 * what is in flight (socket buffers of slow streams, publishes being parsed, catch-up copies).
 *
 * <p>A {@code historyMaxBytes} that was set and does not fit stops start-up (exit code 2): a budget silently smaller
 * than asked for would shorten every replay window without anyone knowing. The default (256MiB) is not a request: on a
 * JVM too small for it, the loader uses the largest budget that fits and says so in a warning ({@link #capped}).
 */
public final class JvmFit {
    private JvmFit() {
    }

    /** The limits of the JVM this code runs in: direct memory as Netty accounts it, and the heap. */
    record Limits(long maxDirectMemory, long maxHeap) {
        static Limits ofThisJvm() {
            return new Limits(PlatformDependent.maxDirectMemory(), Runtime.getRuntime().maxMemory());
        }

        /** The largest {@code historyMaxBytes} that fits, in whole MiB. */
        long largestHistory() {
            long fits = Math.min(maxDirectMemory / 2, maxHeap / 2);
            return fits / ValueType.MIB * ValueType.MIB;
        }
    }

    /** Throws a {@link ConfigException} (exit code 2) naming both sides when {@code config} does not fit this JVM. */
    public static void check(SluiceConfig config) {
        Limits jvm = Limits.ofThisJvm();
        String problem = problem(config.historyMaxBytes(), jvm.maxDirectMemory(), jvm.maxHeap());
        if (problem != null) {
            throw new ConfigException(problem);
        }
    }

    /**
     * Applies the rule of this class to loaded values: a set {@code historyMaxBytes} that does not fit throws, a
     * default one is lowered to what fits.
     *
     * @return the warning to log when the default was lowered, else null
     */
    static String fit(ConfigValues values, Limits jvm) {
        long asked = values.get(ConfigKey.HISTORY_MAX_BYTES);
        String problem = problem(asked, jvm.maxDirectMemory(), jvm.maxHeap());
        if (problem == null) {
            return null;
        }
        if (!values.isDefault(ConfigKey.HISTORY_MAX_BYTES)) {
            throw new ConfigException(problem + " (historyMaxBytes from " + values.sourceOf(ConfigKey.HISTORY_MAX_BYTES)
                    + ")");
        }
        long fits = jvm.largestHistory();
        values.set(ConfigKey.HISTORY_MAX_BYTES, fits, "default lowered to fit this JVM");
        return capped(asked, fits, jvm);
    }

    private static String capped(long asked, long fits, Limits jvm) {
        return "historyMaxBytes: the default " + ValueType.formatSize(asked) + " does not fit this JVM (" + mib(
                jvm.maxDirectMemory()) + " of direct memory, " + mib(jvm.maxHeap()) + " of heap; history may take half"
                + " of each), so history keeps at most " + ValueType.formatSize(fits) + "; set historyMaxBytes or give"
                + " the JVM more memory to keep more";
    }

    /** Why {@code historyMaxBytes} does not fit the JVM's limits, or null when it does. */
    static String problem(long historyMaxBytes, long maxDirectMemory, long maxHeap) {
        String where;
        if (historyMaxBytes > maxDirectMemory / 2) {
            where = "this JVM may use " + mib(maxDirectMemory) + " of direct memory"
                    + " (-XX:MaxDirectMemorySize, which defaults to -Xmx), and history's frames may take at most half";
        } else if (historyMaxBytes > maxHeap / 2) {
            where = "this JVM's heap is " + mib(maxHeap) + " (-Xmx), and history's bookkeeping may"
                    + " take at most half";
        } else {
            return null;
        }
        return "historyMaxBytes: " + ValueType.formatSize(historyMaxBytes) + " does not fit: " + where
                + "; lower historyMaxBytes or give the JVM more memory";
    }

    /** A JVM limit in whole MiB, rounded down: the JVM reports limits such as -Xmx1g a little below the flag. */
    private static String mib(long bytes) {
        return bytes / ValueType.MIB + "MiB";
    }
}
