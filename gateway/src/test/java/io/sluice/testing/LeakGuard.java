package io.sluice.testing;

import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import io.netty.util.ResourceLeakTracker;

import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Turns every Netty resource leak (a {@code ByteBuf} garbage-collected without {@code release()}, a
 * {@code HashedWheelTimer} never stopped) into a test failure.
 *
 * <h2>How it works</h2>
 * <ol>
 *   <li>{@link LeakGuardSessionListener}, a JUnit Platform {@code LauncherSessionListener} registered in
 *       {@code META-INF/services}, calls {@link #install()} when the launcher session opens, before any test
 *       class is loaded. It sets a {@link RecordingFactory} as Netty's {@link ResourceLeakDetectorFactory}, so
 *       that the detector {@code AbstractByteBuf} creates in its static initialiser is a
 *       {@link RecordingDetector}. If no {@code io.netty.leakDetection.level} is set (an IDE run) it sets
 *       {@code PARANOID}, as the Maven build does, so every buffer is tracked.
 *   <li>A {@link RecordingDetector} overrides {@code reportTracedLeak} / {@code reportUntracedLeak}: each leak is
 *       appended (resource type + access records) to a static concurrent queue and still logged as Netty's usual
 *       {@code LEAK:} error. {@code needReport()} is always true, so a logger configured above ERROR cannot hide
 *       a leak.
 *   <li>{@link LeakGuardExtension}, auto-detected by Jupiter, runs {@link #assertNoLeaks} after every test
 *       class: it forces detection ({@link #forceDetection}: {@code System.gc()} until a sentinel phantom
 *       reference is enqueued, then allocating and releasing buffers from the pooled, unpooled and adaptive
 *       allocators, then polling every detector directly) and fails the class with every recorded leak, draining
 *       the queue so the next class starts clean. The session listener checks once more when the session
 *       closes.
 * </ol>
 *
 * <h2>Limits</h2>
 * <ul>
 *   <li>A leak is found only once the leaked object is unreachable and collected. A buffer still held by a
 *       running server, a static cache or a leaked channel is not a leak yet; it is reported by a later class or
 *       at session close, and then the failure names that later class. The records show where it was created
 *       and last touched.
 *   <li>{@code System.gc()} is a request. The sentinel proves a collection ran and references were processed,
 *       not that every dead buffer's reference was already enqueued; three rounds make a miss unlikely, and a
 *       miss is caught by the next check.
 *   <li>Only detectors created after {@link #install()} are ours. If some Netty class initialised first (a
 *       runner without launcher-session support), {@link #assertNoLeaks} fails saying the guard was installed
 *       too late rather than passing silently.
 *   <li>Netty reports each distinct leak trace once per detector; a second leak from the exact same path is not
 *       reported again (the first already failed the build).
 *   <li>A failure at session close cannot name a test class; Surefire reports it as an error of the run.
 * </ul>
 *
 * <p>Thread-safety: every static method may be called from any thread; detectors report from whatever thread
 * allocates a buffer.
 */
public final class LeakGuard {

    /** How long each forced collection waits for the sentinel reference to be enqueued. */
    static final Duration GC_WAIT = Duration.ofSeconds(2);
    /** Collections per check; more than one catches references enqueued late by the reference handler. */
    static final int GC_ROUNDS = 3;
    private static final int BUFFERS_PER_ALLOCATOR = 8;

    private static final Queue<Leak> LEAKS = new ConcurrentLinkedQueue<>();
    private static final RecordingFactory GLOBAL_FACTORY = new RecordingFactory(LEAKS::add, true);

    private LeakGuard() {
    }

    /**
     * A leak as Netty reported it.
     *
     * @param resourceType the simple class name of the leaked resource, e.g. {@code ByteBuf}
     * @param records where it was created and last accessed ({@code ""} if Netty had none)
     */
    public record Leak(String resourceType, String records) {
        @Override
        public String toString() {
            return "LEAK: " + resourceType + ".release() was not called before it was garbage-collected."
                    + (records.isEmpty() ? " (no access records)" : records);
        }
    }

    /**
     * Installs the recording factory; idempotent. Must run before any Netty class that creates a leak detector
     * (notably {@code AbstractByteBuf}) initialises; {@link LeakGuardSessionListener} sees to that.
     */
    public static synchronized void install() {
        if (System.getProperty("io.netty.leakDetection.level") == null
                && System.getProperty("io.netty.leakDetectionLevel") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        }
        if (ResourceLeakDetectorFactory.instance() != GLOBAL_FACTORY) {
            ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(GLOBAL_FACTORY);
        }
    }

    /** Whether Netty's current factory is the guard's. */
    public static boolean installed() {
        return ResourceLeakDetectorFactory.instance() == GLOBAL_FACTORY;
    }

    /**
     * Forces leak detection, then fails if any leak was recorded since the last check.
     *
     * @param where named in the failure, e.g. "after FooTest"
     * @throws AssertionError listing every leak, or saying the guard was not installed in time
     */
    public static void assertNoLeaks(String where) {
        verifyInstalled();
        forceDetection(GLOBAL_FACTORY.detectors());
        failIfAny(where, drain());
    }

    /** Removes and returns the leaks recorded so far, without forcing detection. */
    public static List<Leak> drain() {
        List<Leak> leaks = new ArrayList<>();
        for (Leak leak = LEAKS.poll(); leak != null; leak = LEAKS.poll()) {
            leaks.add(leak);
        }
        return leaks;
    }

    /** @throws AssertionError listing {@code leaks}, if there are any */
    static void failIfAny(String where, List<Leak> leaks) {
        if (leaks.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder().append(leaks.size()).append(" Netty resource leak(s) detected ")
                .append(where)
                .append("; the leaking code ran before this check (here or in an earlier class), see the records:");
        for (int i = 0; i < leaks.size(); i++) {
            sb.append(System.lineSeparator()).append('#').append(i + 1).append(' ').append(leaks.get(i));
        }
        throw new AssertionError(sb.toString());
    }

    /**
     * Makes the detectors report every leaked object that is already unreachable: collects garbage until a
     * sentinel phantom reference is enqueued, allocates and releases buffers (each allocation makes Netty poll
     * its reference queue at PARANOID), then polls each detector directly, which works at every level. Does
     * nothing if no detector exists yet, so tests that never touch Netty pay nothing.
     */
    static void forceDetection(List<? extends RecordingDetector<?>> detectors) {
        if (detectors.isEmpty()) {
            return;
        }
        for (int round = 0; round < GC_ROUNDS; round++) {
            collectGarbage(GC_WAIT);
            exerciseAllocators();
            for (RecordingDetector<?> detector : detectors) {
                detector.pollNow();
            }
        }
    }

    /**
     * Requests collections until a fresh phantom-reachable sentinel is enqueued (so a collection ran and the
     * reference handler got to it) or the timeout passes.
     *
     * @return whether the sentinel was enqueued in time
     */
    static boolean collectGarbage(Duration timeout) {
        ReferenceQueue<Object> queue = new ReferenceQueue<>();
        PhantomReference<Object> sentinel = new PhantomReference<>(new Object(), queue);
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            for (;;) {
                System.gc();
                long leftMillis = (deadline - System.nanoTime()) / 1_000_000;
                if (queue.remove(Math.max(1, Math.min(leftMillis, 100))) != null) {
                    return true;
                }
                if (leftMillis <= 0) {
                    return false;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            Reference.reachabilityFence(sentinel);
        }
    }

    private static void exerciseAllocators() {
        for (ByteBufAllocator alloc : List.of(PooledByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT,
                AdaptiveHolder.ALLOCATOR, ByteBufAllocator.DEFAULT)) {
            for (int i = 0; i < BUFFERS_PER_ALLOCATOR; i++) {
                alloc.heapBuffer(64).release();
                alloc.directBuffer(64).release();
            }
        }
    }

    /** Lazy: created on the first check that needs it, never for tests that do not use Netty. */
    private static final class AdaptiveHolder {
        static final ByteBufAllocator ALLOCATOR = ByteBufAllocator.DEFAULT instanceof AdaptiveByteBufAllocator
                ? ByteBufAllocator.DEFAULT : new AdaptiveByteBufAllocator();
    }

    /**
     * Fails if the guard's factory is not Netty's, or if {@code AbstractByteBuf}'s detector was created by
     * another factory (Netty's buffers initialised before {@link #install()}).
     */
    private static void verifyInstalled() {
        if (!installed()) {
            install(); // late, e.g. a runner without launcher sessions: fine only if Netty's buffers are not yet loaded
        }
        if (byteBufDetectorIsForeign()) {
            throw new AssertionError("LeakGuard was installed after io.netty.buffer.AbstractByteBuf initialised, so "
                    + "buffer leaks would go unnoticed. LeakGuardSessionListener (META-INF/services/"
                    + "org.junit.platform.launcher.LauncherSessionListener) must run before anything loads Netty");
        }
    }

    /** Reads {@code AbstractByteBuf.leakDetector}; false if that field cannot be read (another Netty version). */
    private static boolean byteBufDetectorIsForeign() {
        try {
            Field field = Class.forName("io.netty.buffer.AbstractByteBuf").getDeclaredField("leakDetector");
            field.setAccessible(true);
            Object detector = field.get(null);
            return detector != null && !(detector instanceof RecordingDetector);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /**
     * A {@link ResourceLeakDetectorFactory} whose detectors are {@link RecordingDetector}s feeding one sink.
     * Thread-safe.
     */
    public static final class RecordingFactory extends ResourceLeakDetectorFactory {
        private final Consumer<Leak> sink;
        private final boolean log;
        private final List<RecordingDetector<?>> detectors = new CopyOnWriteArrayList<>();

        /**
         * @param sink receives each leak on the thread that detected it; must be thread-safe
         * @param log whether detectors also log Netty's {@code LEAK:} error (false for deliberate leaks in tests,
         *     so the build log shows only real ones)
         */
        public RecordingFactory(Consumer<Leak> sink, boolean log) {
            this.sink = sink;
            this.log = log;
        }

        /** Every detector this factory created, oldest first. */
        public List<RecordingDetector<?>> detectors() {
            return List.copyOf(detectors);
        }

        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
            RecordingDetector<T> detector = new RecordingDetector<>(resource, samplingInterval, sink, log);
            detectors.add(detector);
            return detector;
        }

        /** Netty's deprecated variant; {@code maxActive} has been ignored by Netty since 4.1. */
        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
            return newResourceLeakDetector(resource, samplingInterval);
        }
    }

    /**
     * A {@link ResourceLeakDetector} that hands each leak report to a sink (and, if asked, still logs it).
     * Netty calls the report methods on whichever thread is tracking a new resource.
     */
    public static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
        private final Consumer<Leak> sink;
        private final boolean log;

        RecordingDetector(Class<?> resourceType, int samplingInterval, Consumer<Leak> sink, boolean log) {
            super(resourceType, samplingInterval);
            this.sink = sink;
            this.log = log;
        }

        /** Always report: a leak must fail the build even if Netty's logger is above ERROR. */
        @Override
        protected boolean needReport() {
            return true;
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            sink.accept(new Leak(resourceType, records));
            if (log) {
                super.reportTracedLeak(resourceType, records);
            }
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            sink.accept(new Leak(resourceType, ""));
            if (log) {
                super.reportUntracedLeak(resourceType);
            }
        }

        /**
         * Makes this detector drain its reference queue now, whatever the detection level: Netty polls the queue
         * whenever it starts tracking something, so this tracks a throwaway probe and closes it at once.
         */
        @SuppressWarnings("unchecked")
        public void pollNow() {
            T probe = (T) new Object();
            ResourceLeakTracker<T> tracker = trackForcibly(probe);
            if (tracker != null) {
                tracker.close(probe);
            }
        }
    }
}
