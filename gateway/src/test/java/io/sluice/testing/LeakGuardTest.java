package io.sluice.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import io.netty.util.ResourceLeakTracker;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that {@link LeakGuard} is wired in and that its detector really records leaks. The deliberate leaks go
 * through a separately constructed {@link LeakGuard.RecordingFactory} with its own sink and no logging, so the
 * global guard (and the build log) stay clean. The buffers are plain {@link UnpooledHeapByteBuf}s, which no
 * allocator wrapped in a leak-aware buffer, so the global detector never sees them.
 */
class LeakGuardTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final Queue<LeakGuard.Leak> leaks = new ConcurrentLinkedQueue<>();
    private final LeakGuard.RecordingFactory factory = new LeakGuard.RecordingFactory(leaks::add, false);

    @Test
    void guardIsNettysFactoryAndOwnsTheByteBufDetector() throws ReflectiveOperationException {
        assertTrue(LeakGuard.installed(), "LeakGuardSessionListener did not install the factory");
        assertInstanceOf(LeakGuard.RecordingFactory.class, ResourceLeakDetectorFactory.instance());
        ByteBufAllocator.DEFAULT.buffer(1).release();
        Field field = Class.forName("io.netty.buffer.AbstractByteBuf").getDeclaredField("leakDetector");
        field.setAccessible(true);
        assertInstanceOf(LeakGuard.RecordingDetector.class, field.get(null),
                "AbstractByteBuf initialised before LeakGuard was installed: buffer leaks would go unnoticed");
        assertNotEquals(ResourceLeakDetector.Level.DISABLED, ResourceLeakDetector.getLevel());
    }

    @Test
    void leakedBufferIsRecordedWithItsHint() {
        ResourceLeakDetector<ByteBuf> detector = factory.newResourceLeakDetector(ByteBuf.class, 1);
        leak(detector, "leaked on purpose by LeakGuardTest");

        awaitLeaks(detector, 1);
        List<LeakGuard.Leak> found = List.copyOf(leaks);
        assertEquals(1, found.size(), found::toString);
        assertEquals("ByteBuf", found.get(0).resourceType());
        assertTrue(found.get(0).records().contains("leaked on purpose by LeakGuardTest"), found.get(0).records());
        assertTrue(found.get(0).records().contains(LeakGuardTest.class.getName() + ".leak("), found.get(0).records());
    }

    @Test
    void releasedBufferIsNotReportedButALeakedOneNextToItIs() {
        ResourceLeakDetector<ByteBuf> detector = factory.newResourceLeakDetector(ByteBuf.class, 1);
        release(detector, "released properly");
        leak(detector, "leaked on purpose");

        awaitLeaks(detector, 1);
        LeakGuard.collectGarbage(Duration.ofSeconds(2));
        ((LeakGuard.RecordingDetector<?>) detector).pollNow();
        List<LeakGuard.Leak> found = List.copyOf(leaks);
        assertEquals(1, found.size(), found::toString);
        assertTrue(found.get(0).records().contains("leaked on purpose"), found.get(0).records());
    }

    @Test
    void recordedLeaksFailWithEveryRecord() {
        AssertionError error = assertThrows(AssertionError.class, () -> LeakGuard.failIfAny("after SomeTest",
                List.of(new LeakGuard.Leak("ByteBuf", "\nCreated at:\n\tio.sluice.Foo.bar(Foo.java:1)"),
                        new LeakGuard.Leak("HashedWheelTimer", ""))));
        String message = error.getMessage();
        assertTrue(message.startsWith("2 Netty resource leak(s) detected after SomeTest"), message);
        assertTrue(message.contains("#1 LEAK: ByteBuf.release() was not called"), message);
        assertTrue(message.contains("io.sluice.Foo.bar(Foo.java:1)"), message);
        assertTrue(message.contains("#2 LEAK: HashedWheelTimer"), message);
        LeakGuard.failIfAny("after NothingTest", List.of());
    }

    /** Tracks a buffer and drops it without release; a separate frame so nothing keeps it reachable. */
    private static void leak(ResourceLeakDetector<ByteBuf> detector, String hint) {
        ByteBuf buf = new UnpooledHeapByteBuf(UnpooledByteBufAllocator.DEFAULT, 16, 16);
        ResourceLeakTracker<ByteBuf> tracker = detector.trackForcibly(buf);
        tracker.record(hint);
        buf.writeInt(42);
    }

    private static void release(ResourceLeakDetector<ByteBuf> detector, String hint) {
        ByteBuf buf = new UnpooledHeapByteBuf(UnpooledByteBufAllocator.DEFAULT, 16, 16);
        ResourceLeakTracker<ByteBuf> tracker = detector.trackForcibly(buf);
        tracker.record(hint);
        buf.release();
        assertTrue(tracker.close(buf));
    }

    private void awaitLeaks(ResourceLeakDetector<ByteBuf> detector, int count) {
        Await.until(() -> {
            LeakGuard.collectGarbage(Duration.ofMillis(500));
            ((LeakGuard.RecordingDetector<?>) detector).pollNow();
            return leaks.size() >= count;
        }, WAIT, () -> count + " leak(s) recorded by the separately constructed detector; got " + leaks);
    }
}
