package io.sluice.bench.load;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The load generator's command line, parsed and validated once on the main thread; immutable afterwards.
 * {@link #parse} throws {@link IllegalArgumentException} with a message naming the option, the value and what
 * is allowed. {@link #values()} keeps every option's effective text (defaults included) for the summary.
 */
public record LoadOptions(
        String host,
        int port,
        String basePath,
        List<URI> nodes,
        ServerApi server,
        int streams,
        List<InetAddress> sourceAddresses,
        TopicSpec topics,
        double rate,
        int batch,
        int publishers,
        int payload,
        long durationNanos,
        long warmupNanos,
        long graceNanos,
        double connectRate,
        long connectTimeoutNanos,
        Storm storm,
        boolean ramp,
        double rampStep,
        long rampIntervalNanos,
        long rampP99LimitNanos,
        List<Long> gatewayPids,
        boolean gatewayGc,
        int processes,
        int threads,
        String transport,
        long seed,
        SoakSpec soak,
        Sampling sampling,
        int childIndex,
        List<String> rawArgs,
        Map<String, String> values) {

    /** How streams are assigned to topics. {@code zipfExponent} is only meaningful for {@link Kind#ZIPF}. */
    public record TopicSpec(Kind kind, int count, double zipfExponent) {
        /** Topic layouts. */
        public enum Kind { SHARED, PER_STREAM, ZIPF }
    }

    /** {@code --reconnect-storm AT:COUNT}: {@code atNanos} after publishing starts, close and resume {@code count}. */
    public record Storm(long atNanos, int count) {
    }

    /**
     * {@code --samples FILE}: a JSON line every {@code intervalNanos} from the start of publishing; {@code metricsUrl}
     * is the gateway's Prometheus endpoint, or null.
     */
    public record Sampling(Path file, long intervalNanos, URI metricsUrl) {
    }

    private record Def(String name, String arg, String defaultValue, String help) {
        boolean flag() {
            return arg == null;
        }
    }

    /** Small enough for a loopback smoke run; the scenarios set it explicitly. */
    static final String DEFAULT_URL = "http://127.0.0.1:8080";
    /** 50 source addresses x ~28k ephemeral ports each: far beyond what one machine's file limits allow. */
    static final String DEFAULT_SOURCE_ADDRESSES = "127.0.0.1-127.0.0.50";

    private static final List<Def> DEFS = List.of(
            new Def("url", "URL", DEFAULT_URL,
                    "Gateway base URL (http only; a path prefix is kept). Several, comma-separated: the nodes of one"
                            + " cluster; stream i connects to node i mod N, publishes go to the first (or --publish-url)."
                            + " The nodes must share the path prefix."),
            new Def("publish-url", "URL", "",
                    "Where publishes go, when not --url: another node of a cluster, to measure publish on one node,"
                            + " receive on another. Its path is ignored (--url's prefix is used)."),
            new Def("server", "sluice|nchan", "sluice",
                    "The server under test. nchan: publish POST <prefix>/pub/<topic> with the event data as the body (one"
                            + " event per request, so --batch 1), subscribe GET <prefix>/sub/<topic> as an EventSource, a"
                            + " stream open at its 200 response (bench/run-nchan-compare.sh writes the matching nginx"
                            + " config). Everything measured is the same for both."),
            new Def("streams", "N", "1000", "Subscriber streams to open (with --soak: kept open at any time)."),
            new Def("source-addresses", "LIST", DEFAULT_SOURCE_ADDRESSES,
                    "Local IPv4 addresses the stream sockets bind to, round-robin: comma-separated addresses and"
                            + " ranges A-B (last octet varies). Each address gives its own ~28k ephemeral ports."
                            + " 'none' lets the kernel choose (one address's ports only); the default becomes 'none' when"
                            + " --url is not a loopback address."),
            new Def("topics", "MODE", "shared",
                    "shared (every stream reads load/0), per-stream (stream i reads load/<i>), or zipf:K[:S]"
                            + " (K topics load/0..K-1, streams assigned by a Zipf law with exponent S, default 1)."
                            + " Events are published round-robin over the topics."),
            new Def("rate", "EVENTS_PER_SEC", "1000", "Total publish rate in events per second; 0 publishes nothing."),
            new Def("batch", "B", "1", "Events per publish request (B > 1 sends a JSON array)."),
            new Def("publishers", "P", "4",
                    "Keep-alive HTTP connections publishing; each has at most one request in flight."),
            new Def("payload", "BYTES", "150",
                    "Size of each event's data: a JSON object with the send time (System.nanoTime), a sequence"
                            + " number per topic and publisher connection, and padding. At least 64."),
            new Def("duration", "DURATION", "30s", "Measured window (after the warm-up). Durations: 500ms, 30s, 5m."),
            new Def("warmup", "DURATION", "5s", "Publishing before the measured window; excluded from statistics."),
            new Def("grace", "DURATION", "3s",
                    "After publishing stops, how long to wait for outstanding deliveries before counting loss."),
            new Def("connect-rate", "STREAMS_PER_SEC", "0", "New streams per second while ramping up; 0 = as fast as possible."),
            new Def("connect-timeout", "DURATION", "10s", "A stream not open (connected event received) by then has failed."),
            new Def("reconnect-storm", "AT:COUNT", "",
                    "At AT after publishing starts, close COUNT open streams at once and reconnect them with"
                            + " Last-Event-ID; checks each gets every missed event exactly once (or a reset event)."),
            new Def("ramp", null, "false",
                    "Ramp mode: start at --rate and multiply it by --ramp-step every --ramp-interval until loss > 0,"
                            + " p99 > --ramp-p99-limit or the achieved rate falls 5% short; reports the highest rate"
                            + " that held. The ramp ends after --duration at the latest."),
            new Def("ramp-step", "FACTOR", "1.25", "Rate multiplier per ramp step (> 1)."),
            new Def("ramp-interval", "DURATION", "10s", "Length of each ramp step."),
            new Def("ramp-p99-limit", "DURATION", "100ms", "A ramp step whose p99 exceeds this did not hold."),
            new Def("gateway-pid", "PID", "",
                    "Sample the gateway's CPU (/proc/PID/stat) and RSS (/proc/PID/status) to report CPU per"
                            + " delivery, per published event and per new stream, and RSS per stream. Several,"
                            + " comma-separated (the nodes of a cluster): CPU and RSS are summed over them, and each"
                            + " one's CPU share over the window is reported too."),
            new Def("gateway-gc", null, "false",
                    "With --gateway-pid: run 'jcmd PID GC.run' before each RSS sample (baseline and after connect)."),
            new Def("processes", "K", "1",
                    "Spread the streams over K child JVMs (each process may open at most ~20,000 files here);"
                            + " publishers run in this process."),
            new Def("threads", "T", Integer.toString(Runtime.getRuntime().availableProcessors()),
                    "I/O threads for the streams, per process."),
            new Def("transport", "auto|epoll|nio", "auto", "Socket transport; auto = native epoll where it loads."),
            new Def("seed", "N", "1", "Seed for the Zipf assignment (every process derives the same one) and the soak's draws."),
            new Def("soak", null, "false",
                    "Soak mode (bench/run-soak.sh): each of --streams stream slots keeps one stream open that names"
                            + " --soak-topics topics never used before, lives --soak-lifetime, closes, and is followed by a"
                            + " new one with fresh topics. Publishes (--rate, --batch, --publishers) go to topics never used"
                            + " before (user/<id>, jobs/<id>) but for shares to topics open streams read and to the hot"
                            + " topic slow streams read. Needs --processes 1 and --server sluice; no --ramp,"
                            + " --reconnect-storm or --topics. Loss is not counted (streams end with events in flight)."),
            new Def("soak-lifetime", "A-B", "2s-8s",
                    "Soak: each stream lives a time drawn uniformly from A-B (a slow one its pause longer)."),
            new Def("soak-topics", "K", "4",
                    "Soak: fresh topics per stream, user/<run>-<slot>-<n> and K-1 jobs/<run>-<slot>-<n>-<k> (1..31)."),
            new Def("soak-read-share", "SHARE", "0.2",
                    "Soak: share of the events published to a topic an open stream reads (0..1); the rest not to the"
                            + " hot topic go to topics nobody reads."),
            new Def("soak-hot-share", "SHARE", "0.1",
                    "Soak: share of the events published to the hot topic soak/<run>/hot, which only slow streams read;"
                            + " hot events are --soak-large-size."),
            new Def("soak-slow-share", "SHARE", "0.01",
                    "Soak: share of the streams that read slowly: they also read the hot topic and stop reading for"
                            + " --soak-slow-pause once open, so the gateway queues for them, then they catch up or are cut"
                            + " loose (and resume with Last-Event-ID)."),
            new Def("soak-slow-pause", "A-B", "1s-20s", "Soak: how long a slow stream stops reading, drawn uniformly."),
            new Def("soak-small-size", "A-B", "100-1000",
                    "Soak: data bytes of an ordinary event, drawn uniformly (sizes such as 512 or 16KiB)."),
            new Def("soak-large-share", "SHARE", "0.03",
                    "Soak: share of the events not to the hot topic whose data is --soak-large-size."),
            new Def("soak-large-size", "A-B", "16KiB-48KiB",
                    "Soak: data bytes of a large event (and of every hot one), drawn uniformly."),
            new Def("soak-burst", "PERIOD:LENGTH:FACTOR", "",
                    "Soak: the last LENGTH of every PERIOD (counted from the start of publishing) publishes at FACTOR"
                            + " x --rate, so history's byte budget is exceeded in bursts and its age bound acts between."),
            new Def("samples", "FILE", "",
                    "Append one JSON line to FILE at the start of publishing and every --sample-interval: the gateway's"
                            + " RSS, its heap after a full GC (jcmd GC.class_histogram: live bytes and the largest"
                            + " classes), the --metrics-url figures (topics, history, evictions, direct memory, streams)"
                            + " and this generator's rates. Needs --gateway-pid (the first pid is sampled)."),
            new Def("sample-interval", "DURATION", "1m", "Time between --samples."),
            new Def("metrics-url", "URL", "",
                    "The gateway's Prometheus endpoint (its management port's /metrics), read at each of --samples."),
            new Def("prewarm-url", "URL", "",
                    "Before the run, the same scenario against this server (another, warm, of the same kind) for"
                            + " --prewarm, its results discarded: the generator's own JVM compiles its hot paths there,"
                            + " so a cold server's first seconds (bench/run-nchan-compare.sh, scenario c) are not the"
                            + " cold generator's."),
            new Def("prewarm", "DURATION", "10s", "How long the --prewarm-url run publishes."),
            new Def("help", null, "false", "Print this help and exit."));

    /** Internal: {@code --child I/K} marks a child JVM started by {@code --processes}; not listed in the help. */
    static final String CHILD_OPTION = "child";

    public LoadOptions {
        nodes = List.copyOf(nodes);
        sourceAddresses = List.copyOf(sourceAddresses);
        gatewayPids = List.copyOf(gatewayPids);
        rawArgs = List.copyOf(rawArgs);
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** True when {@code args} ask for the help text (checked before any validation). */
    public static boolean isHelp(String[] args) {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h") || a.startsWith("--help=")) {
                return true;
            }
        }
        return false;
    }

    /** Whether this process is a child started by a parent with {@code --processes}. */
    public boolean isChild() {
        return childIndex >= 0;
    }

    /** Streams this process opens: the parent with children opens none. */
    public int firstStream() {
        return isChild() ? sliceStart(streams, childIndex, processes) : 0;
    }

    /** Number of streams this process opens. */
    public int streamCount() {
        if (isChild()) {
            return sliceStart(streams, childIndex + 1, processes) - sliceStart(streams, childIndex, processes);
        }
        return processes > 1 ? 0 : streams;
    }

    /** This process's share of {@code total} when {@code total} is split like the streams. */
    public int share(int total) {
        if (!isChild()) {
            return processes > 1 ? 0 : total;
        }
        return sliceStart(total, childIndex + 1, processes) - sliceStart(total, childIndex, processes);
    }

    static int sliceStart(int total, int index, int parts) {
        return (int) ((long) total * index / parts);
    }

    /** Where publishes go: {@code --publish-url}, else {@code --url}. */
    public InetSocketAddress publishAddress() {
        String url = values.getOrDefault("publish-url", "");
        if (url.isEmpty()) {
            return new InetSocketAddress(host, port);
        }
        URI uri = parseUrl("publish-url", url);
        return new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 80 : uri.getPort());
    }

    /** Host:port of the first node as sent in the Host header. */
    public String hostHeader() {
        return hostHeader(0);
    }

    /** Host:port of node {@code node} (an index into {@link #nodes()}) as sent in the Host header. */
    public String hostHeader(int node) {
        URI uri = nodes.get(node);
        String h = uri.getHost();
        return (h.indexOf(':') >= 0 && !h.startsWith("[") ? "[" + h + "]" : h) + ":" + portOf(uri);
    }

    /** The node stream {@code streamIndex} (over all processes) connects to: round-robin over {@link #nodes()}. */
    public int nodeOf(int streamIndex) {
        return streamIndex % nodes.size();
    }

    /** Socket address of node {@code node}. */
    public InetSocketAddress nodeAddress(int node) {
        URI uri = nodes.get(node);
        return new InetSocketAddress(uri.getHost(), portOf(uri));
    }

    private static int portOf(URI uri) {
        return uri.getPort() < 0 ? 80 : uri.getPort();
    }

    public static String helpText() {
        StringBuilder sb = new StringBuilder();
        sb.append("Usage: java -cp bench/target/sluice-benchmarks.jar io.sluice.bench.load.LoadGenerator [options]\n\n")
                .append("Opens subscriber streams to a Sluice gateway (or nchan, --server), publishes load events, and\n")
                .append("measures publish->receive latency (HdrHistogram), deliveries, loss, duplicates, order and CPU. A\n")
                .append("progress line goes to stderr every second; the JSON summary goes to stdout. Options (--name VALUE\n")
                .append("or --name=VALUE):\n\n");
        for (Def d : DEFS) {
            String head = "  --" + d.name() + (d.flag() ? "" : " " + d.arg());
            sb.append(head);
            String dflt = d.flag() ? "" : d.defaultValue().isEmpty() ? " (default: off)" : " (default: " + d.defaultValue() + ")";
            sb.append(dflt).append('\n');
            wrap(sb, d.help(), "      ", 100);
        }
        return sb.toString();
    }

    private static void wrap(StringBuilder sb, String text, String indent, int width) {
        int col = 0;
        sb.append(indent);
        col += indent.length();
        for (String word : text.split(" ")) {
            if (col + word.length() + 1 > width && col > indent.length()) {
                sb.append('\n').append(indent);
                col = indent.length();
            } else if (col > indent.length()) {
                sb.append(' ');
                col++;
            }
            sb.append(word);
            col += word.length();
        }
        sb.append('\n');
    }

    /**
     * The options of the {@code --prewarm-url} run: these, against that server, for {@code --prewarm}, without warm-up,
     * ramp, reconnect storm or gateway sampling; null when there is none.
     */
    public LoadOptions prewarmOptions() {
        String url = values.get("prewarm-url");
        if (url == null || url.isEmpty()) {
            return null;
        }
        List<String> args = new ArrayList<>(rawArgs);
        args.addAll(List.of("--url=" + url, "--publish-url=", "--duration=" + values.get("prewarm"), "--warmup=0s",
                "--ramp=false", "--reconnect-storm=", "--gateway-pid=", "--gateway-gc=false", "--prewarm-url=", "--samples="));
        return parse(args.toArray(new String[0]));
    }

    /** Parses and validates {@code args}; throws {@link IllegalArgumentException} naming the bad option. */
    public static LoadOptions parse(String[] args) {
        Map<String, String> given = new LinkedHashMap<>();
        Map<String, Def> byName = new LinkedHashMap<>();
        for (Def d : DEFS) {
            byName.put(d.name(), d);
        }
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "': options start with --");
            }
            String name = a.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (name.equals(CHILD_OPTION)) {
                if (value == null) {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("--child needs a value I/K");
                    }
                    value = args[++i];
                }
                given.put(name, value);
                continue;
            }
            Def d = byName.get(name);
            if (d == null) {
                throw new IllegalArgumentException("unknown option --" + name + " (see --help)");
            }
            if (d.flag()) {
                if (value == null) {
                    value = "true";
                } else if (!value.equals("true") && !value.equals("false")) {
                    throw new IllegalArgumentException("--" + name + ": '" + value + "' is not true or false");
                }
            } else if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--" + name + " needs a value " + d.arg());
                }
                value = args[++i];
            }
            given.put(name, value);
        }
        Map<String, String> v = new LinkedHashMap<>();
        for (Def d : DEFS) {
            if (!d.name().equals("help")) {
                v.put(d.name(), given.getOrDefault(d.name(), d.defaultValue()));
            }
        }

        List<URI> nodes = new ArrayList<>();
        String path = null;
        for (String part : v.get("url").split(",", -1)) {
            URI uri = parseUrl(part.trim());
            String p = uri.getRawPath() == null ? "" : uri.getRawPath();
            while (p.endsWith("/")) {
                p = p.substring(0, p.length() - 1);
            }
            if (path != null && !path.equals(p)) {
                throw new IllegalArgumentException("--url: '" + v.get("url") + "': the nodes must share one path prefix");
            }
            path = p;
            nodes.add(uri);
        }
        String host = nodes.get(0).getHost();
        int port = portOf(nodes.get(0));
        if (!v.get("publish-url").isEmpty()) {
            parseUrl("publish-url", v.get("publish-url"));
        }
        if (!v.get("prewarm-url").isEmpty()) {
            parseUrl("prewarm-url", v.get("prewarm-url"));
        }
        durationIn(v, "prewarm", TimeUnit.MILLISECONDS.toNanos(100), TimeUnit.HOURS.toNanos(1));
        ServerApi server = ServerApi.parse(v.get("server"));
        int streams = intIn(v, "streams", 0, 10_000_000);
        List<InetAddress> sources = parseSources(v.get("source-addresses"));
        if (!given.containsKey("source-addresses") && !nodes.stream().allMatch(n -> isLoopback(n.getHost()))) {
            // The default binds loopback addresses, which cannot reach another host.
            sources = List.of();
            v.put("source-addresses", "none");
        }
        TopicSpec topics = parseTopics(v.get("topics"));
        double rate = doubleIn(v, "rate", 0, 1e9);
        int batch = intIn(v, "batch", 1, 100_000);
        if (batch > 1 && server.bareEventBody()) {
            throw new IllegalArgumentException("--batch: '" + v.get("batch") + "': --server " + server.optionValue()
                    + " takes one event per publish request; use --batch 1");
        }
        int publishers = intIn(v, "publishers", 1, 10_000);
        int payload = intIn(v, "payload", 64, 16 * 1024 * 1024);
        long duration = durationIn(v, "duration", TimeUnit.MILLISECONDS.toNanos(100), TimeUnit.DAYS.toNanos(1));
        long warmup = durationIn(v, "warmup", 0, TimeUnit.DAYS.toNanos(1));
        long grace = durationIn(v, "grace", 0, TimeUnit.HOURS.toNanos(1));
        double connectRate = doubleIn(v, "connect-rate", 0, 1e9);
        long connectTimeout = durationIn(v, "connect-timeout", TimeUnit.MILLISECONDS.toNanos(100), TimeUnit.HOURS.toNanos(1));
        Storm storm = parseStorm(v.get("reconnect-storm"), streams);
        if (storm != null && storm.atNanos() >= warmup + duration) {
            throw new IllegalArgumentException("--reconnect-storm: '" + v.get("reconnect-storm")
                    + "' comes after the run ends (--warmup + --duration); AT counts from the start of publishing");
        }
        boolean ramp = Boolean.parseBoolean(v.get("ramp"));
        double rampStep = doubleIn(v, "ramp-step", 1.0001, 100);
        long rampInterval = durationIn(v, "ramp-interval", TimeUnit.MILLISECONDS.toNanos(500), TimeUnit.HOURS.toNanos(1));
        long rampP99 = durationIn(v, "ramp-p99-limit", 1, TimeUnit.HOURS.toNanos(1));
        if (ramp && rate <= 0) {
            throw new IllegalArgumentException("--ramp needs a starting --rate above 0");
        }
        if (ramp && duration / rampInterval > LoopStats.MAX_MEASURED_BUCKETS) {
            throw new IllegalArgumentException("--ramp: --duration / --ramp-interval allows at most "
                    + LoopStats.MAX_MEASURED_BUCKETS + " steps");
        }
        List<Long> gatewayPids = parsePids(v.get("gateway-pid"));
        boolean gatewayGc = Boolean.parseBoolean(v.get("gateway-gc"));
        int processes = intIn(v, "processes", 1, 256);
        int threads = intIn(v, "threads", 1, 1024);
        String transport = v.get("transport");
        if (!transport.equals("auto") && !transport.equals("epoll") && !transport.equals("nio")) {
            throw new IllegalArgumentException("--transport: '" + transport + "' is not auto, epoll or nio");
        }
        long seed = longIn(v, "seed", Long.MIN_VALUE, Long.MAX_VALUE);
        SoakSpec soak = SoakSpec.parse(v, given);
        if (soak != null) {
            if (processes != 1) {
                throw new IllegalArgumentException("--soak runs in one process (its publisher picks topics the open"
                        + " streams read): use --processes 1");
            }
            if (server != ServerApi.SLUICE) {
                throw new IllegalArgumentException("--soak drives Sluice only: use --server sluice");
            }
            if (ramp || storm != null || !v.get("prewarm-url").isEmpty()) {
                throw new IllegalArgumentException(
                        "--soak cannot be combined with --ramp, --reconnect-storm or --prewarm-url");
            }
            if (given.containsKey("topics")) {
                throw new IllegalArgumentException("--topics has no meaning with --soak (every stream reads fresh topics)");
            }
        }
        Sampling sampling = parseSampling(v, gatewayPids);
        if (topics.kind() == TopicSpec.Kind.PER_STREAM) {
            topics = new TopicSpec(TopicSpec.Kind.PER_STREAM, Math.max(1, streams), 0);
        }
        int childIndex = -1;
        String child = given.get(CHILD_OPTION);
        if (child != null) {
            String[] parts = child.split("/");
            try {
                childIndex = Integer.parseInt(parts[0]);
                if (parts.length != 2 || Integer.parseInt(parts[1]) != processes || childIndex < 0 || childIndex >= processes) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--child: '" + child + "' is not I/K with K = --processes");
            }
        }
        return new LoadOptions(host, port, path, nodes, server, streams, sources, topics, rate, batch, publishers, payload,
                duration, warmup, grace, connectRate, connectTimeout, storm, ramp, rampStep, rampInterval, rampP99, gatewayPids,
                gatewayGc, processes, threads, transport, seed, soak, sampling, childIndex, List.of(args), v);
    }

    private static Sampling parseSampling(Map<String, String> v, List<Long> gatewayPids) {
        long interval = durationIn(v, "sample-interval", TimeUnit.SECONDS.toNanos(1), TimeUnit.DAYS.toNanos(1));
        String metrics = v.get("metrics-url");
        URI metricsUrl = metrics.isEmpty() ? null : parseUrl("metrics-url", metrics);
        String file = v.get("samples");
        if (file.isEmpty()) {
            return null;
        }
        if (gatewayPids.isEmpty()) {
            throw new IllegalArgumentException("--samples needs --gateway-pid: the process whose memory is sampled");
        }
        return new Sampling(Path.of(file), interval, metricsUrl);
    }

    static List<Long> parsePids(String text) {
        List<Long> out = new ArrayList<>();
        if (text.isEmpty()) {
            return out;
        }
        for (String part : text.split(",", -1)) {
            try {
                long pid = Long.parseLong(part.trim());
                if (pid >= 1 && !out.contains(pid)) {
                    out.add(pid);
                    continue;
                }
            } catch (NumberFormatException e) {
                // falls through to the message below
            }
            throw new IllegalArgumentException("--gateway-pid: '" + text + "' is not a process id or a comma-separated"
                    + " list of distinct ones");
        }
        return out;
    }

    private static boolean isLoopback(String host) {
        return host.startsWith("127.") || host.equalsIgnoreCase("localhost") || host.equals("[::1]") || host.equals("::1");
    }

    private static URI parseUrl(String text) {
        return parseUrl("url", text);
    }

    private static URI parseUrl(String option, String text) {
        try {
            URI uri = new URI(text);
            if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("--" + option + ": '" + text + "' is not an http://host[:port][/prefix] URL");
            }
            if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new IllegalArgumentException("--" + option + ": '" + text + "' must not have a query or fragment");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--" + option + ": '" + text + "' is not a URL: " + e.getMessage());
        }
    }

    static List<InetAddress> parseSources(String text) {
        if (text.equals("none")) {
            return List.of();
        }
        List<InetAddress> out = new ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.trim();
            int dash = p.indexOf('-');
            try {
                if (dash < 0) {
                    out.add(ipv4(p));
                    continue;
                }
                byte[] from = ipv4(p.substring(0, dash)).getAddress();
                byte[] to = ipv4(p.substring(dash + 1)).getAddress();
                if (from[0] != to[0] || from[1] != to[1] || from[2] != to[2] || (from[3] & 0xff) > (to[3] & 0xff)) {
                    throw new IllegalArgumentException("a range may vary only the last octet, upwards");
                }
                for (int last = from[3] & 0xff; last <= (to[3] & 0xff); last++) {
                    out.add(InetAddress.getByAddress(new byte[] {from[0], from[1], from[2], (byte) last}));
                }
            } catch (IllegalArgumentException | UnknownHostException e) {
                throw new IllegalArgumentException("--source-addresses: '" + p + "' is not an IPv4 address or range A-B ("
                        + e.getMessage() + "); or use 'none'");
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("--source-addresses: '" + text + "' names no address");
        }
        return out;
    }

    private static InetAddress ipv4(String s) throws UnknownHostException {
        String[] octets = s.split("\\.");
        if (octets.length != 4) {
            throw new IllegalArgumentException("not a dotted IPv4 address");
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            int o;
            try {
                o = Integer.parseInt(octets[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a dotted IPv4 address");
            }
            if (o < 0 || o > 255) {
                throw new IllegalArgumentException("octet out of range");
            }
            b[i] = (byte) o;
        }
        return InetAddress.getByAddress(b);
    }

    static TopicSpec parseTopics(String text) {
        if (text.equals("shared")) {
            return new TopicSpec(TopicSpec.Kind.SHARED, 1, 0);
        }
        if (text.equals("per-stream")) {
            return new TopicSpec(TopicSpec.Kind.PER_STREAM, 0, 0);
        }
        if (text.startsWith("zipf:")) {
            String[] parts = text.substring(5).split(":");
            try {
                int k = Integer.parseInt(parts[0]);
                double s = parts.length > 1 ? Double.parseDouble(parts[1]) : 1.0;
                if (parts.length <= 2 && k >= 1 && k <= 10_000_000 && s >= 0 && s <= 10) {
                    return new TopicSpec(TopicSpec.Kind.ZIPF, k, s);
                }
            } catch (NumberFormatException e) {
                // falls through to the message below
            }
        }
        throw new IllegalArgumentException("--topics: '" + text
                + "' is not shared, per-stream or zipf:K[:S] (K topics, 1..10000000; exponent S 0..10)");
    }

    static Storm parseStorm(String text, int streams) {
        if (text.isEmpty()) {
            return null;
        }
        int colon = text.lastIndexOf(':');
        if (colon > 0) {
            try {
                long at = parseDuration(text.substring(0, colon));
                int count = Integer.parseInt(text.substring(colon + 1));
                if (count >= 1 && count <= streams) {
                    return new Storm(at, count);
                }
            } catch (IllegalArgumentException e) {
                // falls through to the message below
            }
        }
        throw new IllegalArgumentException("--reconnect-storm: '" + text
                + "' is not AT:COUNT (a duration such as 10s, and 1..--streams streams)");
    }

    /** {@code 512} bytes, {@code 16KiB} or {@code 1MiB}; throws {@link NumberFormatException} otherwise. */
    static long parseSize(String text) {
        String t = text.trim();
        long unit = 1;
        if (t.endsWith("KiB")) {
            unit = 1024;
            t = t.substring(0, t.length() - 3);
        } else if (t.endsWith("MiB")) {
            unit = 1024 * 1024;
            t = t.substring(0, t.length() - 3);
        }
        long n = Long.parseLong(t);
        if (n < 0 || n > Long.MAX_VALUE / unit) {
            throw new NumberFormatException(text);
        }
        return n * unit;
    }

    /** {@code 250ms}, {@code 15s}, {@code 5m}, {@code 1h}, or a bare number of seconds. */
    static long parseDuration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long unit;
        String num;
        if (t.endsWith("ms")) {
            unit = TimeUnit.MILLISECONDS.toNanos(1);
            num = t.substring(0, t.length() - 2);
        } else if (t.endsWith("s")) {
            unit = TimeUnit.SECONDS.toNanos(1);
            num = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m")) {
            unit = TimeUnit.MINUTES.toNanos(1);
            num = t.substring(0, t.length() - 1);
        } else if (t.endsWith("h")) {
            unit = TimeUnit.HOURS.toNanos(1);
            num = t.substring(0, t.length() - 1);
        } else {
            unit = TimeUnit.SECONDS.toNanos(1);
            num = t;
        }
        double d = Double.parseDouble(num);
        if (!(d >= 0) || Double.isInfinite(d)) {
            throw new NumberFormatException(text);
        }
        return Math.round(d * unit);
    }

    static int intIn(Map<String, String> v, String name, int min, int max) {
        return (int) longIn(v, name, min, max);
    }

    static long longIn(Map<String, String> v, String name, long min, long max) {
        String s = v.get(name);
        try {
            long x = Long.parseLong(s.replace("_", ""));
            if (x >= min && x <= max) {
                return x;
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException("--" + name + ": '" + s + "' is not an integer between " + min + " and " + max);
    }

    static double doubleIn(Map<String, String> v, String name, double min, double max) {
        String s = v.get(name);
        try {
            double x = Double.parseDouble(s.replace("_", ""));
            if (x >= min && x <= max) {
                return x;
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException("--" + name + ": '" + s + "' is not a number between " + min + " and " + max);
    }

    private static long durationIn(Map<String, String> v, String name, long minNanos, long maxNanos) {
        String s = v.get(name);
        try {
            long x = parseDuration(s);
            if (x >= minNanos && x <= maxNanos) {
                return x;
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException("--" + name + ": '" + s + "' is not a duration (such as 500ms, 30s, 5m) between "
                + minNanos / 1_000_000 + "ms and " + maxNanos / 1_000_000_000 + "s");
    }
}
