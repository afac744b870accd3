package io.sluice.bench;

import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * JMH's worker threads, made {@code FastThreadLocalThread}s like the gateway's event-loop threads
 * ({@code -Djmh.executor=CUSTOM -Djmh.executor.class=io.sluice.bench.FastThreadLocalExecutor}, set in every
 * benchmark's {@code @Fork}, with leak detection off: even its default sampling is a test-time cost). Netty 4.2 pools recycled objects (outbound entries, pooled duplicates) and keeps
 * allocator thread caches only on such threads; on a plain JMH thread a benchmark would measure allocations
 * and cache misses the gateway never has.
 */
public final class FastThreadLocalExecutor extends ThreadPoolExecutor {
    /** The constructor JMH calls reflectively. */
    public FastThreadLocalExecutor(int maxThreads, String prefix) {
        super(maxThreads, maxThreads, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>(),
                new DefaultThreadFactory(prefix, true));
    }
}
