package io.sluice.bench.load;

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
            code = options.isChild() ? ChildMain.run(options) : new LoadRun(options).run();
        } catch (Exception e) {
            System.err.println("loadgen: run failed: " + e);
            e.printStackTrace();
            code = 1;
        }
        System.out.flush();
        System.exit(code);
    }
}
