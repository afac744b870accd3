package io.sluice.bench.load;

import java.io.OutputStream;
import java.io.PrintStream;

/**
 * Command-line entry of the Sluice load generator:
 * {@code java -cp bench/target/sluice-benchmarks.jar io.sluice.bench.load.LoadGenerator --help}.
 * Exit codes: 0 after a run (whatever it measured), 1 when the run could not be carried out, 2 for bad options.
 * The JSON summary is the only thing written to stdout (children use stdout for {@link ChildProtocol}).
 */
public final class LoadGenerator {
    private LoadGenerator() {
    }

    public static void main(String[] args) {
        if (LoadOptions.isHelp(args)) {
            System.out.print(LoadOptions.helpText());
            return;
        }
        LoadOptions options;
        try {
            options = LoadOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("loadgen: " + e.getMessage());
            System.exit(2);
            return;
        }
        int code;
        try {
            LoadOptions prewarm = options.isChild() ? null : options.prewarmOptions();
            if (prewarm != null) {
                prewarm(prewarm);
            }
            code = options.isChild() ? ChildMain.run(options) : new LoadRun(options).run();
        } catch (Exception e) {
            System.err.println("loadgen: run failed: " + e);
            e.printStackTrace();
            code = 1;
        }
        System.out.flush();
        System.exit(code);
    }

    /** The {@code --prewarm-url} run: its summary goes nowhere (stdout carries only the real run's). */
    private static void prewarm(LoadOptions prewarm) throws Exception {
        PrintStream out = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            new LoadRun(prewarm).run();
        } finally {
            System.setOut(out);
        }
        System.err.println("loadgen: prewarm against " + prewarm.host() + ":" + prewarm.port() + " done");
    }
}
