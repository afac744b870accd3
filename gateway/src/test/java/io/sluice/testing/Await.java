package io.sluice.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Polls a condition until a deadline, for state that offers nothing to wait on (a metric, a counter on another
 * thread). Prefer a real wait (a {@code Condition}, a queue poll, {@link SseTestClient}'s awaits) where one exists.
 */
public final class Await {

    /** First pause between polls; doubles up to {@link #MAX_PARK} so quick conditions return quickly. */
    static final Duration MIN_PARK = Duration.ofMillis(1);
    static final Duration MAX_PARK = Duration.ofMillis(20);

    private Await() {
    }

    /**
     * Returns once {@code condition} is true; checks at least once, and once more at the deadline.
     *
     * @param whatWasExpected called only on failure, so it may describe the current state
     * @throws AssertionError with {@code "expected " + whatWasExpected.get() + " within " + timeout} when the
     *     deadline passes
     */
    public static void until(BooleanSupplier condition, Duration timeout, Supplier<String> whatWasExpected) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long park = MIN_PARK.toNanos();
        while (!condition.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("expected " + whatWasExpected.get() + " within " + timeout);
            }
            LockSupport.parkNanos(Math.min(park, left));
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + whatWasExpected.get());
            }
            park = Math.min(park * 2, MAX_PARK.toNanos());
        }
    }

    /**
     * Checks that {@code condition} stays true for all of {@code period}, for what must not happen (a retry that
     * should never come): polls as {@link #until} does and fails the moment it turns false. Returns after
     * {@code period}, which is the length of the observation, not a wait for something.
     *
     * @param whatMustHold called only on failure, so it may describe the current state
     * @throws AssertionError with {@code "expected " + whatMustHold.get() + " for " + period}
     */
    public static void holds(BooleanSupplier condition, Duration period, Supplier<String> whatMustHold) {
        long end = System.nanoTime() + period.toNanos();
        long park = MIN_PARK.toNanos();
        while (true) {
            if (!condition.getAsBoolean()) {
                throw new AssertionError("expected " + whatMustHold.get() + " for " + period);
            }
            long left = end - System.nanoTime();
            if (left <= 0) {
                return;
            }
            LockSupport.parkNanos(Math.min(park, left));
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while checking " + whatMustHold.get());
            }
            park = Math.min(park * 2, MAX_PARK.toNanos());
        }
    }

    /** Same as {@link #until(BooleanSupplier, Duration, Supplier)} with a fixed message. */
    public static void until(BooleanSupplier condition, Duration timeout, String whatWasExpected) {
        until(condition, timeout, () -> whatWasExpected);
    }
}
