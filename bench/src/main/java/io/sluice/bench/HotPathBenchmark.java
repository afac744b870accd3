package io.sluice.bench;

import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The settings every hot-path benchmark shares (JMH reads them from the superclass): two forks, warm-up
 * before measurement, and the JVM flags that make a fork behave like the gateway: JMH worker threads are
 * {@code FastThreadLocalThread}s ({@link FastThreadLocalExecutor}), Netty's recycler is sized as {@code Main}
 * sizes it, leak detection is off. A benchmark overrides an annotation only where it must (a mode, a unit).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {
    "-Djmh.executor=CUSTOM", "-Djmh.executor.class=io.sluice.bench.FastThreadLocalExecutor",
    "-Dio.netty.leakDetection.level=disabled", "-Dio.netty.recycler.maxCapacityPerThread=65536",
    "-Dio.netty.recycler.chunkSize=16384", "-Xms1g", "-Xmx1g"})
public abstract class HotPathBenchmark {
}
