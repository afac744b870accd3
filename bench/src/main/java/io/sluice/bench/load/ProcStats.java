package io.sluice.bench.load;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Reads a process's CPU time and resident memory from {@code /proc} (Linux). Called by the coordinator thread at
 * phase edges and once a second, never on an I/O thread. Methods return -1 when the file cannot be read (the
 * process is gone, or this is not Linux).
 */
final class ProcStats {
    private static final long CLOCK_TICKS = readClockTicks();

    private ProcStats() {
    }

    /** Clock ticks per second ({@code getconf CLK_TCK}; 100 when that fails, the Linux value everywhere). */
    static long clockTicks() {
        return CLOCK_TICKS;
    }

    private static long readClockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
            }
            if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) {
                long v = Long.parseLong(out);
                if (v > 0) {
                    return v;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 100;
    }

    /** utime + stime of {@code pid} ("self" for this process), in clock ticks. */
    static long cpuTicks(String pid) {
        try {
            String stat = Files.readString(Path.of("/proc", pid, "stat"), StandardCharsets.US_ASCII);
            // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" +");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * utime + stime of each of this process's threads whose name starts with {@code prefix}, keyed
     * {@code "<name> <tid>"} (names as the kernel keeps them: 15 characters at most). Empty when unreadable.
     */
    static Map<String, Long> threadTicks(String prefix) {
        Map<String, Long> out = new TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII);
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    if (name.startsWith(prefix)) {
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" +");
                        out.put(name + " " + task.getFileName(), Long.parseLong(f[11]) + Long.parseLong(f[12]));
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended between listing and reading: it has no share to report
                    continue;
                }
            }
        } catch (IOException | RuntimeException e) {
            return out;
        }
        return out;
    }

    static double ticksToMicros(long ticks) {
        return ticks * 1_000_000.0 / clockTicks();
    }

    /** VmRSS of {@code pid} in KiB. */
    static long rssKiB(String pid) {
        return statusKiB(pid, "VmRSS:");
    }

    private static long statusKiB(String pid, String key) {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc", pid, "status"), StandardCharsets.US_ASCII);
            for (String line : lines) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split(" +")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /**
     * Resident KiB of {@code pid}'s mappings inside {@code [from, to)} (the Java heap's reserved range, say), from
     * {@code /proc/PID/smaps}; -1 when unreadable.
     */
    static long rssKiBWithin(String pid, long from, long to) {
        try {
            return smapsRssKiBWithin(Files.readString(Path.of("/proc", pid, "smaps"), StandardCharsets.US_ASCII), from, to);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** As {@link #rssKiBWithin(String, long, long)}, from the text of an smaps file. */
    static long smapsRssKiBWithin(String smaps, long from, long to) {
        long total = 0;
        boolean inside = false;
        for (String line : smaps.split("\n")) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && isHex(line, 0, dash) && isHex(line, dash + 1, space)) {
                long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                inside = Long.compareUnsigned(start, from) >= 0 && Long.compareUnsigned(end, to) <= 0;
            } else if (inside && line.startsWith("Rss:")) {
                total += Long.parseLong(line.substring(4).trim().split(" +")[0]);
            }
        }
        return total;
    }

    private static boolean isHex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return to > from;
    }

    /**
     * The Java heap's reserved address range {@code [start, end)} from {@code jcmd PID GC.heap_info}'s first line
     * ({@code garbage-first heap   total 1048576K, used 23456K [0x00000000c0000000, 0x0000000100000000)}), or null.
     */
    static long[] heapRange(String heapInfo) {
        int open = heapInfo.indexOf("[0x");
        int comma = heapInfo.indexOf(", 0x", open);
        int close = heapInfo.indexOf(')', comma);
        if (open < 0 || comma < 0 || close < 0) {
            return null;
        }
        try {
            return new long[] {Long.parseUnsignedLong(heapInfo.substring(open + 3, comma), 16),
                Long.parseUnsignedLong(heapInfo.substring(comma + 4, close), 16)};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The soft RLIMIT_NOFILE of this process, or -1. */
    static long openFileLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("Max open files")) {
                    String v = line.substring("Max open files".length()).trim().split(" +")[0];
                    return v.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(v);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Files this process has open now, or -1. */
    static long openFiles() {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** {@code jcmd PID GC.run}, waiting up to 60 s; false when it failed. */
    static boolean fullGc(long pid) {
        return jcmd(pid, "GC.run") != null;
    }

    /**
     * {@code jcmd PID COMMAND}'s output (stdout and stderr), waiting up to 60 s; null when it could not run, did not
     * finish in time or exited non-zero. {@code GC.class_histogram} and {@code GC.run} run a full GC first.
     */
    static String jcmd(long pid, String command) {
        Path out = null;
        try {
            // Into a file, not a pipe: a histogram outgrows a pipe's buffer, and the wait below keeps its time limit.
            out = Files.createTempFile("sluice-jcmd", ".txt");
            Process p = new ProcessBuilder("jcmd", Long.toString(pid), command).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? Files.readString(out, StandardCharsets.UTF_8) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a file left in the temporary directory; nothing else depends on it
                }
            }
        }
    }
}
