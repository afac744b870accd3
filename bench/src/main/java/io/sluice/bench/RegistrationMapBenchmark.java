package io.sluice.bench;

import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import io.sluice.DescriptorTable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What an epoll event loop's registration map costs per connection closed and opened while {@code open} connections
 * stay registered: Netty's {@code IntObjectHashMap} (identity hash, linear probing) against Sluice's
 * {@link DescriptorTable}. Descriptors are dense, as the kernel hands them out: the lowest free one, so a closed
 * connection's number is the next one opened. One operation is a remove and a put of one descriptor, spread over the
 * whole range.
 */
@State(Scope.Thread)
public class RegistrationMapBenchmark extends HotPathBenchmark {
    /** The first descriptor a gateway's connections get (below it: the JVM's files, the listener, the loops'). */
    private static final int FIRST_FD = 100;

    @Param({"1000", "10000", "50000"})
    public int open;

    @Param({"netty", "table"})
    public String map;

    private IntObjectMap<Object> registrations;
    private final Object registration = new Object();
    private int next;

    @Setup
    public void setUp() {
        registrations = map.equals("netty") ? new IntObjectHashMap<>(4096) : new DescriptorTable<>(4096);
        for (int fd = FIRST_FD; fd < FIRST_FD + open; fd++) {
            registrations.put(fd, registration);
        }
    }

    @Benchmark
    public Object closeAndOpenOne() {
        next = (next + 7919) % open; // a prime stride: every descriptor in turn, in no particular order
        int fd = FIRST_FD + next;
        registrations.remove(fd);
        return registrations.put(fd, registration);
    }
}
