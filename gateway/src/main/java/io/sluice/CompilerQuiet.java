package io.sluice;

import java.util.concurrent.TimeUnit;

/**
 * Tells when the JIT compiler has gone quiet under the warm-up's traffic: over the last {@code window} of samples, the
 * compilers spent less than {@code maxShare} of that time compiling. While the traffic still drives methods over the
 * compilation thresholds, the compiler stays busy; once it is quiet, the paths the traffic takes are compiled and more
 * traffic would buy nothing.
 *
 * <p>Fed by {@link #sample} with the wall clock and the compilers' total compilation time (the sum over compiler
 * threads, {@link java.lang.management.CompilationMXBean#getTotalCompilationTime()}), as often as the caller likes:
 * it keeps a bounded ring of samples at least a 64th of the window apart, so the ring always reaches back four
 * windows.
 *
 * <p>Threading: one thread (the warm-up's).
 */
final class CompilerQuiet {
    /** Samples kept, each at least a window divided by {@link #SPACING} after the one before. */
    static final int SAMPLES = 256;
    static final int SPACING = 64;

    private final long windowNanos;
    private final double maxShare;
    private final long[] atNanos = new long[SAMPLES];
    private final long[] compileMillis = new long[SAMPLES];
    private int count;
    private int next;

    /**
     * @param windowNanos how far back quiet is judged (the warm-up uses 1 s)
     * @param maxShare    the share of that window the compilers may have spent compiling and still count as quiet
     */
    CompilerQuiet(long windowNanos, double maxShare) {
        if (windowNanos <= 0 || maxShare < 0 || maxShare >= 1) {
            throw new IllegalArgumentException("window " + windowNanos + " ns, share " + maxShare);
        }
        this.windowNanos = windowNanos;
        this.maxShare = maxShare;
    }

    /**
     * Records one sample and answers whether the compilers were quiet over the last window: false until the samples
     * reach back a whole window.
     */
    boolean sample(long nowNanos, long totalCompileMillis) {
        boolean quiet = false;
        // the newest kept sample at least a window older than now
        for (int i = 1; i <= count; i++) {
            int k = Math.floorMod(next - i, SAMPLES);
            long span = nowNanos - atNanos[k];
            if (span >= windowNanos) {
                long compiled = totalCompileMillis - compileMillis[k];
                quiet = compiled < maxShare * TimeUnit.NANOSECONDS.toMillis(span);
                break;
            }
        }
        if (count == 0 || nowNanos - atNanos[Math.floorMod(next - 1, SAMPLES)] >= windowNanos / SPACING) {
            atNanos[next] = nowNanos;
            compileMillis[next] = totalCompileMillis;
            next = (next + 1) % SAMPLES;
            count = Math.min(count + 1, SAMPLES);
        }
        return quiet;
    }
}
