package io.sluice.e2e;

import io.sluice.testing.Await;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HttpConnection;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import io.sluice.testing.TestTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.sluice.e2e.StreamTestSupport.SNAPSHOT_PATH;
import static io.sluice.e2e.StreamTestSupport.STREAM_PATH;
import static io.sluice.testing.TestTokens.PUBLISH_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No event ever reaches a stream that may not read it (CONTRACT §1, §5), tested at random against a real gateway
 * over real sockets. Each case is a caller (anonymous, or a token with a random {@code sub}, random
 * {@code subscribe} and {@code publish} globs and sometimes {@code admin}, sent from a random source) asking for
 * random topics. Every stream request must be refused with the status the model predicts (401 anonymous, 403 a
 * token without the right) or opened with exactly the requested plus implicit topics. Then events go to every topic
 * (other users' {@code user/<sub>}, {@code broadcast}, public and private topics) through the publish key, and each
 * case's caller tries a publish whose status is checked too. A final broadcast marks the end: a loop delivers in
 * id order, so once a stream has it, it has everything it will ever get. Each open stream must then hold exactly,
 * in order, the events of its topics, and none of a topic the model says it may not read. Some cases also read a
 * snapshot under the same rules.
 *
 * <p>Presence and connection events (CONTRACT §11) are under the same rule. Some topics are tracked and about half the
 * streams ask for presence events: every {@code presence:join} or {@code presence:leave} a stream gets must be of one of
 * its own topics, tracked, and name a user who streams it; every caller also asks {@code GET /v1/presence} of a random
 * topic and must be answered or refused as the model says. Each open stream is sent connection events by its
 * connection id (and some go to ids nobody holds): a stream must get exactly its own, in id order with its topics'.
 *
 * <p>The model below restates CONTRACT §5 and §11 independently of the gateway's code (its own glob, its own rules).
 * Deterministic: the seed is fixed ({@value #DEFAULT_SEED}), printed with any failure, and can be set with
 * {@code -D}{@value #SEED_PROPERTY}; the number of cases with {@code -D}{@value #CASES_PROPERTY}.
 */
class NoLeakAcrossUsersTest {
    static final String SEED_PROPERTY = "sluice.authLeak.seed";
    static final String CASES_PROPERTY = "sluice.authLeak.cases";
    static final long DEFAULT_SEED = 20_261_201L;
    /** At least 1,000 cases; every case that is authorised holds one stream, so well under 1,200 sockets at once. */
    static final int DEFAULT_CASES = 1000;
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final String SENTINEL = "sentinel";

    private static final List<String> USERS = List.of("u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7");
    /** Users that never stream: events to their topics must reach admins only. */
    private static final List<String> GHOSTS = List.of("g8", "g9");
    private static final List<String> PLAIN_TOPICS = List.of("a", "a/1", "a/2", "a/x/1", "b", "b/1", "c", "pub/1",
            "pub/2", "pubx", "usr", "user", "broadcast");
    private static final String PUBLIC_PATTERN = "pub/*";
    private static final List<String> PRESENCE_PATTERNS = List.of("a*", "pub/*", "user/*", "b/1", "broadcast");
    private static final List<String> PATTERNS = List.of("a", "a/*", "a*", "*", "*/1", "b/*", "b*", "c", "pub/*", "user/*",
            "user/u1", "*1", "a/*/1", "u*", "*r", "x", "broad*");
    private static final List<String> ALL_TOPICS = allTopics();

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeEverything() {
        StreamTestSupport.closeAll(resources);
    }

    private static List<String> allTopics() {
        List<String> topics = new ArrayList<>(PLAIN_TOPICS);
        for (String u : USERS) {
            topics.add("user/" + u);
        }
        for (String g : GHOSTS) {
            topics.add("user/" + g);
        }
        return List.copyOf(topics);
    }

    @Test
    void noStreamEverReceivesAnEventItMayNotReadAndEveryAuthorisedEventArrives() {
        long seed = Long.getLong(SEED_PROPERTY, DEFAULT_SEED);
        int cases = Integer.getInteger(CASES_PROPERTY, DEFAULT_CASES);
        try {
            run(new Random(seed), cases);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("seed " + seed + " (rerun with -D" + SEED_PROPERTY + "=" + seed + " -D" + CASES_PROPERTY
                    + "=" + cases + "): " + e.getMessage(), e);
        }
    }

    private void run(Random random, int caseCount) {
        GatewayFixture gateway = GatewayFixture.start("--jwt-secret=" + TestTokens.SECRET, "--publish-keys=" + PUBLISH_KEY,
                "--public-topics=" + PUBLIC_PATTERN, "--max-connections-per-user=100000", "--history-size=10000",
                "--max-stream-lag=10000", "--presence-topics=" + String.join(",", PRESENCE_PATTERNS));
        resources.add(gateway);
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < caseCount; i++) {
            cases.add(Case.random(i, random));
        }

        // 1. every stream request at once, then each answer
        for (Case c : cases) {
            c.stream = gateway.stream(c.streamTarget(), c.headers());
            resources.add(c.stream);
        }
        int open = 0;
        for (Case c : cases) {
            int expected = c.expectedReadStatus(c.requested);
            assertEquals(expected, c.stream.status(), () -> c + ": " + c.stream);
            if (expected == 200) {
                open++;
                SseEvent connected = c.stream.awaitEvent(DEADLINE);
                assertEquals("connected", connected.type(), c::toString);
                assertTrue(connected.data().endsWith(",\"topics\":" + jsonArray(c.streamTopics()) + "}"),
                        () -> c + " connected with " + connected.data());
                Matcher id = ConnectionEventsTest.CONNECTION_ID.matcher(connected.data());
                assertTrue(id.lookingAt(), connected::toString);
                c.connectionId = id.group(1);
            } else {
                String code = expected == 401 ? "unauthorized" : "forbidden";
                awaitErrorBody(c.stream, "{\"error\":{\"code\":\"" + code + "\"");
                if (expected == 401) {
                    assertEquals("Bearer", c.stream.header("WWW-Authenticate"), c::toString);
                }
                c.stream.close();
                c.stream = null;
            }
        }
        assertTrue(open >= caseCount / 3 && open < caseCount, "the generator should open most but not all streams: " + open);

        // 2. events to every topic with the publish key, and each caller's own publish attempt
        List<Published> published = new ArrayList<>();
        try (HttpConnection publisher = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            for (int round = 0; round < 2; round++) {
                for (String topic : ALL_TOPICS) {
                    published.add(publish(publisher, topic, topic + "#key" + round, bearer(PUBLISH_KEY), 200, "by key"));
                }
            }
            for (Case c : cases) {
                String topic = ALL_TOPICS.get(random.nextInt(ALL_TOPICS.size()));
                Published p = publish(publisher, topic, topic + "#case" + c.index, c.publishHeaders(),
                        c.expectedPublishStatus(topic), c.toString());
                if (p != null) {
                    published.add(p);
                }
            }
            for (Case c : cases) {
                if (c.stream != null && random.nextBoolean()) {
                    published.add(publishToConnection(publisher, c.connectionId, c.index));
                }
                if (random.nextInt(10) == 0) {
                    publishToConnection(publisher, "zz" + c.index + "-1", -1);
                }
            }
            publish(publisher, "broadcast", SENTINEL, bearer(PUBLISH_KEY), 200, "sentinel");
        }

        // 3. each open stream holds exactly its topics' events and its own connection events, in order, nothing it may
        // not read, and only presence it may read
        int presenceEvents = 0;
        for (Case c : cases) {
            if (c.stream == null) {
                continue;
            }
            c.stream.awaitEvent(e -> SENTINEL.equals(e.data()), DEADLINE);
            Set<String> topics = new LinkedHashSet<>(c.streamTopics());
            List<String> expected = new ArrayList<>();
            for (Published p : published) {
                if (p.target == c.index || p.target < 0 && topics.contains(p.topic)) {
                    expected.add(p.id + " " + p.data);
                }
            }
            expected.add("* " + SENTINEL);
            List<String> received = new ArrayList<>();
            for (SseEvent e : c.stream.events()) {
                if (e.type().equals("connected")) {
                    continue;
                }
                if (e.type().startsWith("presence:")) {
                    checkPresenceEvent(c, e, cases);
                    presenceEvents++;
                    continue;
                }
                if (e.data().startsWith(CONNECTION_DATA)) {
                    assertEquals(CONNECTION_DATA + c.index, e.data(), () -> "LEAK: " + c + " received another stream's"
                            + " connection event: " + e);
                } else if (!e.data().equals(SENTINEL)) {
                    String topic = e.data().substring(0, e.data().indexOf('#'));
                    assertTrue(c.mayRead(topic), () -> "LEAK: " + c + " received an event of " + topic + ": " + e);
                    assertTrue(topics.contains(topic), () -> c + " received an event of a topic it did not ask for: " + e);
                }
                received.add((e.data().equals(SENTINEL) ? "*" : e.id()) + " " + e.data());
            }
            assertEquals(expected, received, c::toString);
        }

        assertTrue(presenceEvents > 0, "some streams should have heard presence events");

        // 4. snapshots and presence follow the same read rules
        try (HttpConnection reader = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            for (Case c : cases) {
                String topic = ALL_TOPICS.get(random.nextInt(ALL_TOPICS.size()));
                RawResponse r = reader.request("GET", "/v1/presence?topic=" + topic, c.publishHeaders(), null);
                assertEquals(c.expectedPresenceStatus(topic), r.status(), () -> "presence of " + topic + " for " + c
                        + ": " + r.body());
                if (r.status() == 200) {
                    assertTrue(r.body().startsWith("{\"topic\":\"" + topic + "\",\"connections\":"), r::body);
                }
            }
        }
        try (HttpConnection reader = HttpConnection.open(GatewayFixture.HOST, gateway.port())) {
            for (Case c : cases) {
                if (c.index % 4 != 0) {
                    continue;
                }
                RawResponse r = reader.request("GET", c.snapshotTarget(), c.headers(), null);
                int expected = c.expectedReadStatus(c.requested);
                assertEquals(expected, r.status(), () -> "snapshot of " + c + ": " + r.body());
                if (expected == 200) {
                    Matcher m = SNAPSHOT_TOPIC.matcher(r.body());
                    while (m.find()) {
                        String topic = m.group(1);
                        assertTrue(c.requested.contains(topic) && c.mayRead(topic),
                                () -> "snapshot of " + c + " holds an event of " + topic + ": " + r.body());
                    }
                }
            }
        }
    }

    private static final Pattern SNAPSHOT_TOPIC = Pattern.compile("\"topic\":\"([^\"]+)\"");
    private static final Pattern PRESENCE_DATA = Pattern.compile("\\{\"topic\":\"([^\"]+)\",\"user\":\"([^\"]+)\"}");
    private static final String CONNECTION_DATA = "connection#case";

    /**
     * A presence event {@code c} received: of one of its topics, tracked, and about a user whose stream is open on that
     * topic (or was: leaves come after).
     */
    private static void checkPresenceEvent(Case c, SseEvent e, List<Case> cases) {
        Matcher m = PRESENCE_DATA.matcher(e.data());
        assertTrue(m.matches() && e.id() == null, () -> c + " got a malformed presence event " + e);
        String topic = m.group(1);
        String user = m.group(2);
        assertTrue(c.streamTopics().contains(topic) && c.mayRead(topic) && tracked(topic),
                () -> "LEAK: " + c + " heard presence of " + topic + ": " + e);
        assertTrue(cases.stream().anyMatch(o -> o.connectionId != null && user.equals(o.sub)
                && o.streamTopics().contains(topic)), () -> c + " heard of a user who never streamed " + topic + ": " + e);
    }

    static boolean tracked(String topic) {
        return PRESENCE_PATTERNS.stream().anyMatch(p -> glob(p, topic));
    }

    /** Publishes one connection event with the publish key; the data names the case it is for. */
    private static Published publishToConnection(HttpConnection connection, String connectionId, int caseIndex) {
        String data = CONNECTION_DATA + caseIndex;
        Map<String, String> headers = new LinkedHashMap<>(bearer(PUBLISH_KEY));
        headers.put("Content-Type", "application/json");
        RawResponse r = connection.request("POST", "/v1/connections/" + connectionId + "/events", headers,
                "{\"data\":" + StreamTestSupport.quote(data) + "}");
        assertEquals(200, r.status(), () -> "connection event to " + connectionId + ": " + r.body());
        Matcher m = ONE_ID.matcher(r.body());
        assertTrue(m.matches() && r.body().endsWith("\"sent\":" + (caseIndex < 0 ? 0 : 1) + "}"), r::body);
        return new Published(null, data, m.group(1), caseIndex);
    }
    private static final Pattern ONE_ID = Pattern.compile("\\{\"ids\":\\[\"([0-9]+)\"],\"sent\":[0-9]+}");

    /** Publishes one event and checks the status; returns it when accepted, else null. */
    private static Published publish(HttpConnection connection, String topic, String data, Map<String, String> headers,
                                     int expectedStatus, String who) {
        String path;
        String body;
        if (topic.equals("broadcast") && data.hashCode() % 2 == 0) {
            path = "/v1/broadcast";
            body = "{\"data\":" + StreamTestSupport.quote(data) + "}";
        } else if (topic.startsWith("user/") && data.hashCode() % 2 == 0) {
            path = "/v1/users/" + topic.substring("user/".length()) + "/events";
            body = "{\"data\":" + StreamTestSupport.quote(data) + "}";
        } else {
            path = "/v1/publish";
            body = StreamTestSupport.eventJson(topic, null, StreamTestSupport.quote(data));
        }
        Map<String, String> all = new LinkedHashMap<>(headers);
        all.put("Content-Type", "application/json");
        RawResponse r = connection.request("POST", path, all, body);
        assertEquals(expectedStatus, r.status(), () -> who + " publishing to " + topic + " on " + path + ": " + r.body());
        if (expectedStatus != 200) {
            return null;
        }
        Matcher m = ONE_ID.matcher(r.body());
        assertTrue(m.matches(), r::body);
        return new Published(topic, data, m.group(1), -1);
    }

    private static Map<String, String> bearer(String credential) {
        return Map.of("Authorization", "Bearer " + credential);
    }

    private static String jsonArray(List<String> items) {
        StringBuilder sb = new StringBuilder("[");
        for (String s : items) {
            sb.append(sb.length() > 1 ? "," : "").append('"').append(s).append('"');
        }
        return sb.append(']').toString();
    }

    /**
     * An accepted event: its topic, its data (the topic, {@code #}, a tag) and the id the gateway gave it; for a
     * connection event, no topic and the index of the case whose stream it is for ({@code target}, else -1).
     */
    private record Published(String topic, String data, String id, int target) {
    }

    /** A caller and its stream request, with the model's verdicts. */
    private static final class Case {
        final int index;
        /** Null for an anonymous caller. */
        final String sub;
        final boolean admin;
        final List<String> subscribe;
        final List<String> publish;
        final List<String> requested;
        /** 0 header, 1 cookie, 2 query. */
        final int source;
        final String token;
        /** Whether the stream asks for presence events. */
        final boolean presence;
        SseTestClient stream;
        /** The id its {@code connected} event carried, once open. */
        String connectionId;

        private Case(int index, String sub, boolean admin, List<String> subscribe, List<String> publish,
                     List<String> requested, int source, boolean presence) {
            this.presence = presence;
            this.index = index;
            this.sub = sub;
            this.admin = admin;
            this.subscribe = subscribe;
            this.publish = publish;
            this.requested = requested;
            this.source = source;
            this.token = sub == null ? null : TestTokens.hs256(sub, subscribe, publish, admin, null);
        }

        static Case random(int index, Random random) {
            boolean anonymous = random.nextInt(100) < 15;
            String sub = anonymous ? null : USERS.get(random.nextInt(USERS.size()));
            boolean admin = !anonymous && random.nextInt(100) < 8;
            List<String> subscribe = pick(random, PATTERNS, random.nextInt(4));
            List<String> publish = pick(random, PATTERNS, random.nextInt(3));
            List<String> requested = new ArrayList<>(new LinkedHashSet<>(pickRequested(random, sub, 1 + random.nextInt(4))));
            return new Case(index, sub, admin, subscribe, publish, List.copyOf(requested), random.nextInt(3),
                    random.nextBoolean());
        }

        private static List<String> pick(Random random, List<String> from, int count) {
            List<String> picked = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                picked.add(from.get(random.nextInt(from.size())));
            }
            return picked;
        }

        /** Topics to ask for, biased towards ones the caller may read, so most streams open. */
        private static List<String> pickRequested(Random random, String sub, int count) {
            List<String> picked = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int dice = random.nextInt(100);
                if (dice < 12 && sub != null) {
                    picked.add("user/" + sub);
                } else if (dice < 45) {
                    picked.add(random.nextBoolean() ? "pub/" + (1 + random.nextInt(2)) : "broadcast");
                } else {
                    picked.add(ALL_TOPICS.get(random.nextInt(ALL_TOPICS.size())));
                }
            }
            return picked;
        }

        boolean mayRead(String topic) {
            if (topic.equals("broadcast") || admin) {
                return true;
            }
            if (topic.startsWith("user/")) {
                return sub != null && topic.equals("user/" + sub);
            }
            return glob(PUBLIC_PATTERN, topic) || (sub != null && subscribe.stream().anyMatch(p -> glob(p, topic)));
        }

        int expectedReadStatus(List<String> topics) {
            for (String t : topics) {
                if (!mayRead(t)) {
                    return sub == null ? 401 : 403;
                }
            }
            return 200;
        }

        int expectedPublishStatus(String topic) {
            if (sub == null) {
                return 401;
            }
            return admin || publish.stream().anyMatch(p -> glob(p, topic)) ? 200 : 403;
        }

        /** §11: publish keys, admins and publishers of the topic; readers too when it is tracked. */
        int expectedPresenceStatus(String topic) {
            if (sub == null) {
                return 401;
            }
            return expectedPublishStatus(topic) == 200 || tracked(topic) && mayRead(topic) ? 200 : 403;
        }

        /** The requested topics, then {@code broadcast} and the caller's own user topic, each once. */
        List<String> streamTopics() {
            Set<String> all = new LinkedHashSet<>(requested);
            all.add("broadcast");
            if (sub != null) {
                all.add("user/" + sub);
            }
            return List.copyOf(all);
        }

        String query() {
            StringBuilder q = new StringBuilder();
            for (String t : requested) {
                q.append(q.length() == 0 ? "?" : "&").append("topic=").append(t);
            }
            if (token != null && source == 2) {
                q.append("&access_token=").append(token);
            }
            if (presence) {
                q.append("&presence=true");
            }
            return q.toString();
        }

        String streamTarget() {
            return STREAM_PATH + query();
        }

        String snapshotTarget() {
            return SNAPSHOT_PATH + query();
        }

        Map<String, String> headers() {
            if (token == null || source == 2) {
                return Map.of();
            }
            return source == 0 ? bearer(token) : Map.of("Cookie", "sluice_token=" + token);
        }

        /** The same credential for a publish, from the header or the cookie (a query token is for streams). */
        Map<String, String> publishHeaders() {
            return token == null ? Map.of() : source == 1 ? Map.of("Cookie", "sluice_token=" + token) : bearer(token);
        }

        @Override
        public String toString() {
            return "case " + index + " [" + (sub == null ? "anonymous" : "sub=" + sub + (admin ? " admin" : "")
                    + " subscribe=" + subscribe + " publish=" + publish + " via " + List.of("header", "cookie", "query")
                    .get(source)) + ", topics " + requested + (presence ? ", presence" : "") + "]";
        }
    }

    /** The test's own glob: {@code *} is any run of characters, everything else matches itself. */
    static boolean glob(String pattern, String topic) {
        List<String> parts = new ArrayList<>();
        for (String part : pattern.split("\\*", -1)) {
            parts.add(Pattern.quote(part));
        }
        return Pattern.matches(String.join(".*", parts), topic);
    }

    /** Waits for a refused stream request's whole §6 error body. */
    private static void awaitErrorBody(SseTestClient client, String prefix) {
        Await.until(() -> client.body().startsWith(prefix) && client.body().endsWith("}}"), DEADLINE,
                () -> "an error body starting " + prefix + " but got " + client.body());
        assertEquals("application/json", client.header("Content-Type"));
    }
}
