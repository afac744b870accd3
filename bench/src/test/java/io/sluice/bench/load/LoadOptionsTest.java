package io.sluice.bench.load;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoadOptionsTest {

    private static LoadOptions parse(String... args) {
        return LoadOptions.parse(args);
    }

    private static String error(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> LoadOptions.parse(args)).getMessage();
    }

    @Test
    void defaults() {
        LoadOptions o = parse();
        assertEquals("127.0.0.1", o.host());
        assertEquals(8080, o.port());
        assertEquals("", o.basePath());
        assertEquals(1000, o.streams());
        assertEquals(50, o.sourceAddresses().size());
        assertEquals(LoadOptions.TopicSpec.Kind.SHARED, o.topics().kind());
        assertEquals(1000, o.rate());
        assertEquals(1, o.batch());
        assertEquals(4, o.publishers());
        assertEquals(150, o.payload());
        assertEquals(TimeUnit.SECONDS.toNanos(30), o.durationNanos());
        assertEquals(TimeUnit.SECONDS.toNanos(5), o.warmupNanos());
        assertEquals(0, o.connectRate());
        assertNull(o.storm());
        assertFalse(o.ramp());
        assertEquals(1.25, o.rampStep());
        assertEquals(TimeUnit.SECONDS.toNanos(10), o.rampIntervalNanos());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(100), o.rampP99LimitNanos());
        assertEquals(List.of(), o.gatewayPids());
        assertEquals(1, o.processes());
        assertFalse(o.isChild());
        assertEquals("30s", o.values().get("duration"));
    }

    @Test
    void bothOptionSpellingsAndEveryValueKind() {
        LoadOptions o = parse("--url", "http://127.0.0.1:18181/sluice/", "--streams=2000", "--topics", "zipf:50:1.2",
                "--rate", "2500.5", "--batch=10", "--publishers", "8", "--payload", "1024", "--duration", "1m",
                "--warmup", "500ms", "--grace=2", "--connect-rate", "500", "--reconnect-storm", "10s:100", "--ramp",
                "--ramp-step", "1.5", "--ramp-interval", "5s", "--ramp-p99-limit", "50ms", "--gateway-pid", "4242",
                "--gateway-gc", "--processes", "2", "--threads", "1", "--transport", "nio", "--seed", "7",
                "--source-addresses", "127.0.0.2,127.0.1.10-127.0.1.12");
        assertEquals(18181, o.port());
        assertEquals("/sluice", o.basePath());
        assertEquals("127.0.0.1:18181", o.hostHeader());
        assertEquals(2000, o.streams());
        assertEquals(new LoadOptions.TopicSpec(LoadOptions.TopicSpec.Kind.ZIPF, 50, 1.2), o.topics());
        assertEquals(2500.5, o.rate());
        assertEquals(10, o.batch());
        assertEquals(8, o.publishers());
        assertEquals(1024, o.payload());
        assertEquals(TimeUnit.MINUTES.toNanos(1), o.durationNanos());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(500), o.warmupNanos());
        assertEquals(TimeUnit.SECONDS.toNanos(2), o.graceNanos());
        assertEquals(500, o.connectRate());
        assertEquals(new LoadOptions.Storm(TimeUnit.SECONDS.toNanos(10), 100), o.storm());
        assertTrue(o.ramp());
        assertEquals(1.5, o.rampStep());
        assertEquals(TimeUnit.SECONDS.toNanos(5), o.rampIntervalNanos());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(50), o.rampP99LimitNanos());
        assertEquals(List.of(4242L), o.gatewayPids());
        assertTrue(o.gatewayGc());
        assertEquals(2, o.processes());
        assertEquals(1, o.threads());
        assertEquals("nio", o.transport());
        assertEquals(7, o.seed());
        assertEquals(4, o.sourceAddresses().size());
        assertEquals("/127.0.1.12", o.sourceAddresses().get(3).toString());
    }

    @Test
    void perStreamTopicsCountTheStreams() {
        LoadOptions o = parse("--topics", "per-stream", "--streams", "321");
        assertEquals(new LoadOptions.TopicSpec(LoadOptions.TopicSpec.Kind.PER_STREAM, 321, 0), o.topics());
    }

    @Test
    void sourceAddressRanges() throws Exception {
        List<InetAddress> a = LoadOptions.parseSources("127.0.0.1-127.0.0.3");
        assertEquals(List.of(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("127.0.0.2"),
                InetAddress.getByName("127.0.0.3")), a);
        assertEquals(List.of(), LoadOptions.parseSources("none"));
    }

    @Test
    void aRemoteGatewayDoesNotBindLoopbackSources() {
        assertEquals(List.of(), parse("--url", "http://10.1.2.3:8080").sourceAddresses());
        assertEquals("none", parse("--url", "http://10.1.2.3:8080").values().get("source-addresses"));
        assertEquals(1, parse("--url", "http://10.1.2.3", "--source-addresses", "10.0.0.5").sourceAddresses().size());
    }

    @Test
    void publishesGoToTheUrlUnlessAnotherNodeIsNamed() {
        assertEquals(new java.net.InetSocketAddress("127.0.0.1", 8080), parse().publishAddress());
        assertEquals(new java.net.InetSocketAddress("127.0.0.1", 9001),
                parse("--url", "http://127.0.0.1:9000", "--publish-url", "http://127.0.0.1:9001").publishAddress());
        assertTrue(error("--publish-url", "https://x").startsWith("--publish-url:"));
    }

    @Test
    void severalUrlsSpreadTheStreamsRoundRobinOverTheNodes() {
        LoadOptions o = parse("--url", "http://127.0.0.1:9000/p,http://127.0.0.2:9001/p/");
        assertEquals(2, o.nodes().size());
        assertEquals("/p", o.basePath());
        assertEquals(new java.net.InetSocketAddress("127.0.0.1", 9000), o.nodeAddress(0));
        assertEquals(new java.net.InetSocketAddress("127.0.0.2", 9001), o.nodeAddress(1));
        assertEquals("127.0.0.2:9001", o.hostHeader(1));
        assertEquals(List.of(0, 1, 0, 1), List.of(o.nodeOf(0), o.nodeOf(1), o.nodeOf(2), o.nodeOf(3)));
        assertEquals(new java.net.InetSocketAddress("127.0.0.1", 9000), o.publishAddress());
        assertEquals(50, o.sourceAddresses().size());
        assertEquals(0, parse("--url", "http://127.0.0.1:9000,http://10.0.0.1:9000").sourceAddresses().size());
        assertTrue(error("--url", "http://127.0.0.1:9000/a,http://127.0.0.1:9001/b").contains("one path prefix"));
        assertTrue(error("--url", "http://127.0.0.1:9000,").startsWith("--url:"));
    }

    @Test
    void severalGatewayPids() {
        assertEquals(List.of(11L, 12L), parse("--gateway-pid", "11,12").gatewayPids());
        assertTrue(error("--gateway-pid", "11,11").startsWith("--gateway-pid:"));
        assertTrue(error("--gateway-pid", "0").startsWith("--gateway-pid:"));
        assertTrue(error("--gateway-pid", "11,x").startsWith("--gateway-pid:"));
    }

    @Test
    void aStormMustFallInsideTheRun() {
        assertTrue(error("--warmup", "1s", "--duration", "5s", "--reconnect-storm", "6s:1").contains("after the run ends"));
        assertEquals(TimeUnit.SECONDS.toNanos(5),
                parse("--warmup", "1s", "--duration", "5s", "--reconnect-storm", "5s:1").storm().atNanos());
    }

    @Test
    void durations() {
        assertEquals(250_000_000L, LoadOptions.parseDuration("250ms"));
        assertEquals(15_000_000_000L, LoadOptions.parseDuration("15s"));
        assertEquals(300_000_000_000L, LoadOptions.parseDuration("5m"));
        assertEquals(3_600_000_000_000L, LoadOptions.parseDuration("1h"));
        assertEquals(1_500_000_000L, LoadOptions.parseDuration("1.5"));
    }

    @Test
    void badValuesNameTheOptionAndWhatIsAllowed() {
        assertTrue(error("--streams", "lots").startsWith("--streams: 'lots' is not an integer"), error("--streams", "lots"));
        assertTrue(error("--topics", "zipf:0").startsWith("--topics: 'zipf:0'"));
        assertTrue(error("--topics", "all").contains("shared, per-stream or zipf:K"));
        assertTrue(error("--duration", "soon").startsWith("--duration: 'soon' is not a duration"));
        assertTrue(error("--url", "https://x").startsWith("--url:"));
        assertTrue(error("--url", "http://127.0.0.1:1/?a=b").contains("query"));
        assertTrue(error("--source-addresses", "127.0.0.9-127.0.0.1").startsWith("--source-addresses:"));
        assertTrue(error("--source-addresses", "127.0.0.1-127.0.1.1").contains("last octet"));
        assertTrue(error("--reconnect-storm", "10s").startsWith("--reconnect-storm:"));
        assertTrue(error("--streams", "10", "--reconnect-storm", "1s:11").startsWith("--reconnect-storm:"));
        assertTrue(error("--payload", "10").startsWith("--payload: '10' is not an integer between 64"));
        assertTrue(error("--ramp", "--rate", "0").contains("--ramp needs"));
        assertTrue(error("--ramp=maybe").contains("not true or false"));
        assertTrue(error("--transport", "io_uring").startsWith("--transport:"));
        assertEquals("unknown option --nope (see --help)", error("--nope", "1"));
        assertEquals("--rate needs a value EVENTS_PER_SEC", error("--rate"));
        assertTrue(error("stray").startsWith("unexpected argument 'stray'"));
        assertTrue(error("--processes", "2", "--child", "2/2").startsWith("--child:"));
    }

    @Test
    void theServerUnderTestIsSluiceUnlessNchanIsNamed() {
        assertEquals(ServerApi.SLUICE, parse().server());
        assertEquals("sluice", parse().values().get("server"));
        LoadOptions nchan = parse("--server", "nchan", "--batch", "1");
        assertEquals(ServerApi.NCHAN, nchan.server());
        assertEquals("--server: 'redis' is not sluice or nchan", error("--server", "redis"));
        assertEquals("--batch: '20': --server nchan takes one event per publish request; use --batch 1",
                error("--server=nchan", "--batch", "20"));
    }

    @Test
    void soakIsOffUnlessAskedAndItsKnobsNeedIt() {
        assertNull(parse().soak());
        assertNull(parse().sampling());
        assertEquals("--soak-lifetime needs --soak", error("--soak-lifetime", "1s-2s"));
        assertEquals("--soak-burst needs --soak", error("--soak=false", "--soak-burst", "3m:30s:4"));
    }

    @Test
    void soakDefaults() {
        SoakSpec s = parse("--soak").soak();
        assertEquals(TimeUnit.SECONDS.toNanos(2), s.lifetimeMinNanos());
        assertEquals(TimeUnit.SECONDS.toNanos(8), s.lifetimeMaxNanos());
        assertEquals(4, s.topicsPerStream());
        assertEquals(0.2, s.readShare());
        assertEquals(0.1, s.hotShare());
        assertEquals(0.01, s.slowShare());
        assertEquals(TimeUnit.SECONDS.toNanos(1), s.pauseMinNanos());
        assertEquals(TimeUnit.SECONDS.toNanos(20), s.pauseMaxNanos());
        assertEquals(100, s.smallMin());
        assertEquals(1000, s.smallMax());
        assertEquals(0.03, s.largeShare());
        assertEquals(16 * 1024, s.largeMin());
        assertEquals(48 * 1024, s.largeMax());
        assertNull(s.burst());
        assertEquals(48 * 1024, s.largestData());
    }

    @Test
    void everySoakKnob() {
        LoadOptions o = parse("--soak", "--streams", "3000", "--soak-lifetime", "500ms-1m", "--soak-topics=6",
                "--soak-read-share", "0.5", "--soak-hot-share", "0.25", "--soak-slow-share", "0.02",
                "--soak-slow-pause", "2s-30s", "--soak-small-size", "64-2KiB", "--soak-large-share", "0.1",
                "--soak-large-size", "1KiB-60KiB", "--soak-burst", "3m:30s:4.5");
        SoakSpec s = o.soak();
        assertEquals(3000, o.streams());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(500), s.lifetimeMinNanos());
        assertEquals(TimeUnit.MINUTES.toNanos(1), s.lifetimeMaxNanos());
        assertEquals(6, s.topicsPerStream());
        assertEquals(0.5, s.readShare());
        assertEquals(0.25, s.hotShare());
        assertEquals(0.02, s.slowShare());
        assertEquals(TimeUnit.SECONDS.toNanos(2), s.pauseMinNanos());
        assertEquals(TimeUnit.SECONDS.toNanos(30), s.pauseMaxNanos());
        assertEquals(64, s.smallMin());
        assertEquals(2048, s.smallMax());
        assertEquals(0.1, s.largeShare());
        assertEquals(1024, s.largeMin());
        assertEquals(60 * 1024, s.largeMax());
        assertEquals(new SoakSpec.Burst(TimeUnit.MINUTES.toNanos(3), TimeUnit.SECONDS.toNanos(30), 4.5), s.burst());
        assertEquals("3m:30s:4.5", o.values().get("soak-burst"));
    }

    @Test
    void badSoakValuesNameTheOptionAndWhatIsAllowed() {
        assertTrue(error("--soak", "--soak-lifetime", "8s-2s").startsWith("--soak-lifetime: '8s-2s' is not a range A-B"));
        assertTrue(error("--soak", "--soak-lifetime", "5s").startsWith("--soak-lifetime: '5s'"));
        assertTrue(error("--soak", "--soak-small-size", "10-100").contains("64 to"));
        assertTrue(error("--soak", "--soak-large-size", "1KiB-1MiB").startsWith("--soak-large-size:"));
        assertTrue(error("--soak", "--soak-large-size", "1KB-2KB").startsWith("--soak-large-size:"));
        assertTrue(error("--soak", "--soak-topics", "32").startsWith("--soak-topics: '32' is not an integer between 1 and 31"));
        assertTrue(error("--soak", "--soak-slow-share", "1.5").startsWith("--soak-slow-share:"));
        assertTrue(error("--soak", "--soak-read-share", "0.7", "--soak-hot-share", "0.4").contains("more than all"));
        assertTrue(error("--soak", "--soak-burst", "30s:30s:4").startsWith("--soak-burst: '30s:30s:4' is not PERIOD"));
        assertTrue(error("--soak", "--soak-burst", "3m:30s").startsWith("--soak-burst:"));
        assertTrue(error("--soak", "--soak-burst", "3m:30s:0").startsWith("--soak-burst:"));
    }

    @Test
    void aSoakRunsAloneInOneProcessAgainstSluice() {
        assertTrue(error("--soak", "--processes", "2").contains("use --processes 1"));
        assertTrue(error("--soak", "--server", "nchan").contains("Sluice only"));
        assertTrue(error("--soak", "--ramp").contains("--ramp"));
        assertTrue(error("--soak", "--streams", "10", "--reconnect-storm", "1s:1").contains("--reconnect-storm"));
        assertTrue(error("--soak", "--topics", "shared").startsWith("--topics has no meaning with --soak"));
    }

    @Test
    void samplesNeedAGatewayProcess() {
        assertEquals("--samples needs --gateway-pid: the process whose memory is sampled", error("--samples", "s.jsonl"));
        LoadOptions o = parse("--samples", "out/s.jsonl", "--gateway-pid", "77", "--sample-interval", "30s",
                "--metrics-url", "http://127.0.0.1:9090/metrics");
        assertEquals(new LoadOptions.Sampling(java.nio.file.Path.of("out/s.jsonl"), TimeUnit.SECONDS.toNanos(30),
                java.net.URI.create("http://127.0.0.1:9090/metrics")), o.sampling());
        assertNull(parse("--samples", "s", "--gateway-pid", "7").sampling().metricsUrl());
        assertEquals(TimeUnit.MINUTES.toNanos(1), parse("--samples", "s", "--gateway-pid", "7").sampling().intervalNanos());
        assertTrue(error("--metrics-url", "https://x/metrics").startsWith("--metrics-url:"));
        assertTrue(error("--sample-interval", "10ms").startsWith("--sample-interval:"));
    }

    @Test
    void sizes() {
        assertEquals(512, LoadOptions.parseSize("512"));
        assertEquals(16 * 1024, LoadOptions.parseSize("16KiB"));
        assertEquals(1024 * 1024, LoadOptions.parseSize("1MiB"));
        assertThrows(NumberFormatException.class, () -> LoadOptions.parseSize("16KB"));
        assertThrows(NumberFormatException.class, () -> LoadOptions.parseSize("-1"));
    }

    @Test
    void helpListsEveryOptionWithItsDefault() {
        assertTrue(LoadOptions.isHelp(new String[] {"--streams", "1", "--help"}));
        String help = LoadOptions.helpText();
        for (String name : parse().values().keySet()) {
            assertTrue(help.contains("--" + name), name);
        }
        assertTrue(help.contains("--url URL (default: http://127.0.0.1:8080)"));
        assertTrue(help.contains("--source-addresses LIST (default: 127.0.0.1-127.0.0.50)"));
        assertTrue(help.contains("--reconnect-storm AT:COUNT (default: off)"));
        assertFalse(help.contains("--child"));
        for (String line : help.split("\n")) {
            assertTrue(line.length() <= 110, line);
        }
    }

    @Test
    void childrenSplitTheStreamsAndTheStormWithoutOverlap() {
        LoadOptions parent = parse("--streams", "1001", "--processes", "3");
        assertEquals(0, parent.streamCount());
        int next = 0;
        int storm = 0;
        for (int i = 0; i < 3; i++) {
            LoadOptions child = parse("--streams", "1001", "--processes", "3", "--child", i + "/3");
            assertTrue(child.isChild());
            assertEquals(next, child.firstStream());
            next += child.streamCount();
            storm += child.share(100);
        }
        assertEquals(1001, next);
        assertEquals(100, storm);
        LoadOptions single = parse("--streams", "10");
        assertEquals(10, single.streamCount());
        assertEquals(7, single.share(7));
    }
}
