package io.sluice;

import ch.qos.logback.classic.LoggerContext;
import io.sluice.config.ConfigException;
import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import io.sluice.fanout.LoopFanout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Command-line entry: reads the configuration (defaults, file, environment, flags), starts the gateway,
 * prints {@code sluice listening port=<n> managementPort=<m>} on standard output, and stops cleanly on
 * SIGTERM/SIGINT: it drains the open streams over {@code drainWindow} ({@link SluiceServer#drain()}), then stops. Exit codes: 0 after a clean stop, 2 for a bad configuration, 1 when start-up fails.
 */
public final class Main {
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    /** Netty reads these once, when the recycler class loads: set before anything touches Netty. */
    static final String RECYCLER_CAPACITY_PROPERTY = "io.netty.recycler.maxCapacityPerThread";
    static final String RECYCLER_CHUNK_PROPERTY = "io.netty.recycler.chunkSize";

    public static void main(String[] args) throws InterruptedException {
        // Fan-out keeps up to LoopFanout.MAX_WRITES_PER_DRAIN recycled objects of each kind in flight per loop.
        // With Netty's defaults (capacity 4096, an owner-thread batch of 32) larger fan-outs allocate: past the
        // batch, released objects spill into a chunked queue whose chunks are reallocated every drain
        // (bench/RESULTS.md, FanoutBenchmark). An operator's own values win.
        setIfAbsent(RECYCLER_CAPACITY_PROPERTY, LoopFanout.RECYCLER_CAPACITY);
        setIfAbsent(RECYCLER_CHUNK_PROPERTY, LoopFanout.MAX_WRITES_PER_DRAIN);
        if (ConfigLoader.isHelpRequested(args)) {
            System.out.println(ConfigLoader.helpText());
            return;
        }
        SluiceConfig config;
        SluiceServer server;
        try {
            ConfigLoader.LoadedConfig loaded = ConfigLoader.load(args, System.getenv());
            loaded.warnings().forEach(w -> log.warn("config: {}", w));
            config = loaded.config();
            server = SluiceServer.start(config);
        } catch (ConfigException e) {
            System.err.println("sluice: configuration error: " + e.getMessage());
            System.exit(2);
            return;
        } catch (RuntimeException e) {
            System.err.println("sluice: failed to start: " + e);
            log.error("start-up failed", e);
            System.exit(1);
            return;
        }
        // The event-loop threads are not daemons: they keep the process alive until the hook stops them.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.drain();
            server.close();
            flushLogs();
            // After SIGTERM the JVM would exit 143 (128 + signal); a completed clean stop is status 0.
            // Nothing else registers shutdown hooks here, so halting skips no one's cleanup.
            Runtime.getRuntime().halt(0);
        }, "sluice-shutdown"));
        // Printed only once a signal would stop the gateway cleanly: scripts may send SIGTERM right after.
        System.out.println("sluice listening port=" + server.port() + " managementPort=" + server.managementPort());
        System.out.flush();
    }

    /** Stops logback, which drains the access log's background queue: halting would drop its last lines. */
    private static void flushLogs() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.stop();
        }
    }

    private static void setIfAbsent(String property, int value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, Integer.toString(value));
        }
    }
}
