package io.sluice.limits;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.internal.PlatformDependent;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;

/**
 * Whether the node can take on more direct memory now (CONTRACT §10: a publish the node cannot hold in memory is
 * refused with 503, the process never dies of it). History stays within {@code historyMaxBytes}, which fits the JVM
 * (checked at start-up), so what can still run the JVM out of direct memory is what is in flight: slow streams'
 * socket buffers, bodies being read, frames being encoded. A publish is refused up front when accepting it would
 * leave less than a safety margin; an allocation that fails anyway is caught where it happens and answered 503 too.
 *
 * <p>Free direct memory is the JVM's limit less what is reserved ({@code -XX:MaxDirectMemorySize}'s accounting, or
 * Netty's own when it allocates without the JDK's cleaner), plus what the pooled allocator reserved but no buffer
 * uses (it reuses that before reserving more). Thread-safe; a check reads two counters, and walks the pool's arenas
 * only when those leave too little.
 */
public final class MemoryGuard {
    /** Free direct memory always kept, at least: room for reads, writes and catch-up in flight. */
    static final long MIN_MARGIN_BYTES = 8L * 1024 * 1024;

    private final long maxDirect;
    private final long margin;
    private final LongSupplier reservedDirect;
    private final LongSupplier reusablePooled;

    MemoryGuard(long maxDirect, LongSupplier reservedDirect, LongSupplier reusablePooled) {
        this.maxDirect = maxDirect;
        this.margin = Math.max(MIN_MARGIN_BYTES, maxDirect / 16);
        this.reservedDirect = reservedDirect;
        this.reusablePooled = reusablePooled;
    }

    /** The guard of this JVM, with the allocator every channel uses. */
    public static MemoryGuard of(PooledByteBufAllocator allocator) {
        BufferPoolMXBean jdkDirect = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct")).findFirst().orElse(null);
        return new MemoryGuard(PlatformDependent.maxDirectMemory(),
                () -> Math.max(PlatformDependent.usedDirectMemory(), jdkDirect == null ? 0 : jdkDirect.getMemoryUsed()),
                () -> Math.max(0, allocator.metric().usedDirectMemory() - allocator.pinnedDirectMemory()));
    }

    /** Whether {@code bytes} more of direct memory would still leave the safety margin free. Any thread. */
    public boolean canHold(long bytes) {
        long free = maxDirect - reservedDirect.getAsLong();
        if (free - bytes >= margin) {
            return true; // the common case: what the pool could reuse only adds to this, and it is costly to sum
        }
        // Near the limit: count what the pool reserved and no buffer uses. Summing it walks every arena's chunk lists
        // (8% of a publishing loop's Java time when done per publish, bench/ANALYSIS.md), so only when needed.
        return free + reusablePooled.getAsLong() - bytes >= margin;
    }
}
