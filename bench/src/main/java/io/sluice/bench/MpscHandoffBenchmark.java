package io.sluice.bench;

import org.jctools.queues.MpscArrayQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Control;

import java.util.concurrent.TimeUnit;

/**
 * The hand-off the fan-out uses between a committing publisher and an event loop: a JCTools
 * {@link MpscArrayQueue} of the gateway's queue capacity, one producer thread offering and one consumer
 * thread draining with {@code relaxedPoll}, as {@code LoopFanout} does. Throughput of each side; a full or
 * empty queue is a spin, counted as a failed operation.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MpscHandoffBenchmark extends HotPathBenchmark {
    private static final Object EVENT = new Object();

    private final MpscArrayQueue<Object> queue = new MpscArrayQueue<>(65536);

    @Benchmark
    @Group("handoff")
    @GroupThreads(1)
    public boolean offer(Control control) {
        while (!queue.offer(EVENT)) {
            if (control.stopMeasurement) {
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }

    @Benchmark
    @Group("handoff")
    @GroupThreads(1)
    public Object poll(Control control) {
        Object e;
        while ((e = queue.relaxedPoll()) == null) {
            if (control.stopMeasurement) {
                return null;
            }
            Thread.onSpinWait();
        }
        return e;
    }
}
