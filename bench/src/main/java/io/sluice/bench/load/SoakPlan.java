package io.sluice.bench.load;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a soak run ({@link SoakSpec}) names and draws: each stream's topics, whether it reads slowly, how long it lives
 * and pauses, and each published event's topic and size. Topic names carry a run id, so no run reuses a name of
 * another, and within a run every stream (slot, generation) and every event to nobody gets names of its own.
 *
 * <p>Threading: the per-stream draws and names are pure functions (any thread). {@link #opened}/{@link #closed} are
 * called by each stream's event loop; {@link #draw} by the publisher's loop, which reads the open streams through an
 * {@link AtomicIntegerArray} (a stream just closed may still be picked: its event then reaches nobody). The counters
 * are atomics, read by the coordinator thread.
 */
final class SoakPlan {
    /** Slots a draw for a read topic tries before it gives up on finding an open stream. */
    private static final int OPEN_SLOT_TRIES = 8;

    /** One stream's draws: whether it reads slowly, how long it lives (not counting its pause) and pauses. */
    record StreamDraw(boolean slow, long lifetimeNanos, long pauseNanos) {
    }

    /** One published event: its topic and its data size in bytes. */
    record Draw(String topic, int size) {
    }

    private final SoakSpec spec;
    private final String run;
    private final long seed;
    private final String hotTopic;
    /** The open stream's generation per slot, -1 while the slot has none open. */
    private final AtomicIntegerArray openGeneration;
    /** Publisher loop only: names the next topic nobody reads. */
    private long nobody;

    private final AtomicLong drawnHot = new AtomicLong();
    private final AtomicLong drawnRead = new AtomicLong();
    private final AtomicLong drawnNobody = new AtomicLong();
    private final AtomicLong readMisses = new AtomicLong();

    /** {@code run}: a short id unique to this run (topic characters only); {@code slots}: {@code --streams}. */
    SoakPlan(SoakSpec spec, int slots, long seed, String run) {
        this.spec = spec;
        this.run = run;
        this.seed = seed;
        this.hotTopic = "soak/" + run + "/hot";
        this.openGeneration = new AtomicIntegerArray(slots);
        for (int i = 0; i < slots; i++) {
            openGeneration.set(i, -1);
        }
    }

    /** A run id from the wall clock: base-36 milliseconds, distinct for runs started a millisecond apart. */
    static String newRunId() {
        return Long.toString(System.currentTimeMillis(), 36);
    }

    SoakSpec spec() {
        return spec;
    }

    String run() {
        return run;
    }

    String hotTopic() {
        return hotTopic;
    }

    // ---- streams ----

    /** Stream {@code generation} of {@code slot}: slow or not, its lifetime and pause. Same inputs, same draw. */
    StreamDraw stream(int slot, int generation) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + ((long) slot << 32 | generation));
        boolean slow = r.nextDouble() < spec.slowShare();
        long life = uniform(r, spec.lifetimeMinNanos(), spec.lifetimeMaxNanos());
        long pause = uniform(r, spec.pauseMinNanos(), spec.pauseMaxNanos());
        return new StreamDraw(slow, life, slow ? pause : 0);
    }

    /** The topics stream {@code generation} of {@code slot} names; a slow one's last is the hot topic. */
    List<String> streamTopics(int slot, int generation, boolean slow) {
        List<String> out = new ArrayList<>(spec.topicsPerStream() + 1);
        for (int k = 0; k < spec.topicsPerStream(); k++) {
            out.add(streamTopic(slot, generation, k));
        }
        if (slow) {
            out.add(hotTopic);
        }
        return out;
    }

    /** Topic {@code k} of a stream: {@code user/<run>-<slot>-<generation>} first, then {@code jobs/…-<k>}. */
    String streamTopic(int slot, int generation, int k) {
        String id = run + "-" + slot + "-" + generation;
        return k == 0 ? "user/" + id : "jobs/" + id + "-" + k;
    }

    /** Stream {@code generation} of {@code slot} is open (its loop). */
    void opened(int slot, int generation) {
        openGeneration.set(slot, generation);
    }

    /** {@code slot}'s stream closed (its loop). */
    void closed(int slot) {
        openGeneration.set(slot, -1);
    }

    // ---- publishing: the publisher's loop ----

    /** The next event's topic and size. */
    Draw draw(SplittableRandom r) {
        double u = r.nextDouble();
        if (u < spec.hotShare()) {
            drawnHot.incrementAndGet();
            return new Draw(hotTopic, (int) uniform(r, spec.largeMin(), spec.largeMax()));
        }
        int size = (int) (r.nextDouble() < spec.largeShare() ? uniform(r, spec.largeMin(), spec.largeMax())
                : uniform(r, spec.smallMin(), spec.smallMax()));
        if (u < spec.hotShare() + spec.readShare()) {
            String topic = openTopic(r);
            if (topic != null) {
                drawnRead.incrementAndGet();
                return new Draw(topic, size);
            }
            readMisses.incrementAndGet();
        }
        drawnNobody.incrementAndGet();
        long n = nobody++;
        return new Draw(((n & 1) == 0 ? "user/" : "jobs/") + run + "-n" + n, size);
    }

    /** A topic of a randomly chosen open stream, or null when the slots tried had none open. */
    private String openTopic(SplittableRandom r) {
        int slots = openGeneration.length();
        for (int i = 0; i < OPEN_SLOT_TRIES && slots > 0; i++) {
            int slot = r.nextInt(slots);
            int generation = openGeneration.get(slot);
            if (generation >= 0) {
                return streamTopic(slot, generation, r.nextInt(spec.topicsPerStream()));
            }
        }
        return null;
    }

    private static long uniform(SplittableRandom r, long min, long max) {
        return min == max ? min : min + r.nextLong(max - min + 1);
    }

    /** Events drawn for the hot topic so far. */
    long drawnHot() {
        return drawnHot.get();
    }

    /** Events drawn for a topic an open stream read when drawn. */
    long drawnRead() {
        return drawnRead.get();
    }

    /** Events drawn for topics nobody reads (read draws that found no open stream included). */
    long drawnNobody() {
        return drawnNobody.get();
    }

    /** Read draws that found no open stream in the slots tried (they went to nobody). */
    long readMisses() {
        return readMisses.get();
    }
}
