package io.sluice.bench.load;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The samples of a Prometheus text exposition ({@code /metrics}), enough to read the gateway's gauges and counters:
 * {@code name{label="value",…} value [timestamp]} lines; comments and blank lines are skipped, and so is a line that
 * does not parse. Immutable after {@link #parse}; thread-safe.
 */
final class PrometheusText {

    /** One sample line. */
    record Series(String name, Map<String, String> labels, double value) {
    }

    private final List<Series> series;

    private PrometheusText(List<Series> series) {
        this.series = List.copyOf(series);
    }

    static PrometheusText parse(String text) {
        List<Series> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            Series s = parseLine(line.strip());
            if (s != null) {
                out.add(s);
            }
        }
        return new PrometheusText(out);
    }

    List<Series> series() {
        return series;
    }

    /** The value of {@code name} without labels, or null when there is no such sample. */
    Double value(String name) {
        for (Series s : series) {
            if (s.name().equals(name) && s.labels().isEmpty()) {
                return s.value();
            }
        }
        return null;
    }

    /**
     * The sum of the samples of {@code name} whose label {@code label} is {@code value} (every sample of {@code name}
     * when {@code label} is null), or null when there is none.
     */
    Double sum(String name, String label, String value) {
        Double total = null;
        for (Series s : series) {
            if (s.name().equals(name) && (label == null || value.equals(s.labels().get(label)))) {
                total = (total == null ? 0 : total) + s.value();
            }
        }
        return total;
    }

    private static Series parseLine(String line) {
        if (line.isEmpty() || line.startsWith("#")) {
            return null;
        }
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = line.substring(0, i);
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i = parseLabels(line, i + 1, labels);
            if (i < 0) {
                return null;
            }
        }
        String[] rest = line.substring(i).strip().split(" +");
        if (name.isEmpty() || rest[0].isEmpty()) {
            return null;
        }
        try {
            return new Series(name, labels, Double.parseDouble(rest[0]));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Reads {@code a="x",b="y"}} from {@code from}; returns the index after the closing brace, or -1. */
    private static int parseLabels(String line, int from, Map<String, String> into) {
        int i = from;
        while (i < line.length()) {
            char c = line.charAt(i);
            if (c == '}') {
                return i + 1;
            }
            if (c == ',' || c == ' ') {
                i++;
                continue;
            }
            int eq = line.indexOf("=\"", i);
            if (eq < 0) {
                return -1;
            }
            String key = line.substring(i, eq);
            StringBuilder value = new StringBuilder();
            int j = eq + 2;
            for (; j < line.length() && line.charAt(j) != '"'; j++) {
                char v = line.charAt(j);
                if (v == '\\' && j + 1 < line.length()) {
                    char e = line.charAt(++j);
                    value.append(e == 'n' ? '\n' : e);
                } else {
                    value.append(v);
                }
            }
            if (j >= line.length()) {
                return -1;
            }
            into.put(key, value.toString());
            i = j + 1;
        }
        return -1;
    }
}
