package io.sluice.bench.load;

import java.util.ArrayList;
import java.util.List;

/**
 * The output of {@code jcmd PID GC.class_histogram}: the live objects after the full GC it runs, by class, largest
 * first, and their total. Lines look like {@code    1:   26607   32632424  [B (java.base@17.0.15)} and
 * {@code Total   119936   40266448}. Immutable; thread-safe.
 *
 * @param instances live objects, all classes
 * @param bytes     live bytes, all classes: the heap after a full GC
 * @param top       the largest classes, at most the number asked for, largest first
 */
record ClassHistogram(long instances, long bytes, List<Row> top) {

    /** One class: its name as jcmd prints it (with the module, if any). */
    record Row(String className, long instances, long bytes) {
    }

    ClassHistogram {
        top = List.copyOf(top);
    }

    /** Parses {@code text}, keeping the {@code keep} largest classes; null when it has no {@code Total} line. */
    static ClassHistogram parse(String text, int keep) {
        List<Row> rows = new ArrayList<>();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            String[] f = line.split(" +", 4);
            if (f[0].equals("Total") && f.length >= 3) {
                try {
                    return new ClassHistogram(Long.parseLong(f[1]), Long.parseLong(f[2]), rows);
                } catch (NumberFormatException e) {
                    return null;
                }
            }
            if (rows.size() < keep && f.length == 4 && f[0].endsWith(":")) {
                try {
                    rows.add(new Row(f[3], Long.parseLong(f[1]), Long.parseLong(f[2])));
                } catch (NumberFormatException e) {
                    // a header line or other text: not a class row
                    continue;
                }
            }
        }
        return null;
    }
}
