package io.sluice.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed Prometheus text exposition (format 0.0.4): the {@code # TYPE} of each family and every sample with
 * its labels. Strict enough for tests: a line that is neither a comment nor a sample fails the parse.
 */
public final class PrometheusText {
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)( \\d+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    private final Map<String, String> types = new HashMap<>();
    private final List<Sample> samples = new ArrayList<>();

    /** One sample line. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private PrometheusText() {
    }

    public static PrometheusText parse(String text) {
        PrometheusText parsed = new PrometheusText();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.split(" ");
                parsed.types.put(parts[2], parts[3]);
                continue;
            }
            if (line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches()) {
                throw new AssertionError("not a sample line: " + line);
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                int end = 0;
                while (l.find() && l.start() == end) {
                    labels.put(l.group(1), l.group(2));
                    end = l.end();
                }
                if (end != m.group(3).length()) {
                    throw new AssertionError("malformed labels: " + line);
                }
            }
            parsed.samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(4).replace("+Inf", "Infinity"))));
        }
        return parsed;
    }

    /** The family's declared type ({@code counter}, {@code gauge}, {@code histogram} …), or null. */
    public String type(String family) {
        return types.get(family);
    }

    public List<Sample> samples() {
        return samples;
    }

    /** Every sample name (histograms appear as their _bucket, _count and _sum series). */
    public Set<String> sampleNames() {
        Set<String> names = new TreeSet<>();
        samples.forEach(s -> names.add(s.name()));
        return names;
    }

    /**
     * The value of the one sample named {@code name} whose labels include {@code labels} (name, value, …).
     *
     * @throws AssertionError if there is no such sample or more than one
     */
    public double value(String name, String... labels) {
        List<Sample> found = new ArrayList<>();
        for (Sample s : samples) {
            if (s.name().equals(name) && hasLabels(s, labels)) {
                found.add(s);
            }
        }
        if (found.size() != 1) {
            throw new AssertionError("expected one sample " + name + " " + List.of(labels) + ", found " + found);
        }
        return found.get(0).value();
    }

    private static boolean hasLabels(Sample s, String[] labels) {
        for (int i = 0; i < labels.length; i += 2) {
            if (!labels[i + 1].equals(s.labels().get(labels[i]))) {
                return false;
            }
        }
        return true;
    }
}
