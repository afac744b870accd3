package io.sluice.backplane;

import io.sluice.fanout.EncodedEvent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The Lua script that appends a publish batch to the Redis stream ({@code publish.lua} beside this class): one
 * atomic step, so a batch is all or nothing and gets consecutive positions in the one global order. It also
 * counts entries (field {@code n}), keeps ids inside the packing of {@link StreamIds}, and trims the stream by
 * count ({@code MAXLEN ~}) and age ({@code MINID ~}). Requires Redis 6.2 or later (MINID).
 *
 * <p>Immutable and thread-safe.
 */
final class PublishScript {
    /** Entry fields; one letter each, since every entry in Redis repeats them. */
    static final String TOPIC_FIELD = "t";
    /** Instead of {@link #TOPIC_FIELD} for a connection event: the id of the one stream it is for. */
    static final String CONNECTION_FIELD = "c";
    static final String TYPE_FIELD = "y";
    static final String DATA_FIELD = "d";
    /** Present only on an event with a key (CONTRACT §12). */
    static final String KEY_FIELD = "k";
    static final String COUNT_FIELD = "n";
    /** Arguments before the events'. */
    private static final int FIXED_ARGS = 4;
    /** Topic, type, data, key, connection. */
    private static final int ARGS_PER_EVENT = 5;
    private static final byte[] NONE = new byte[0];

    private final String source;
    private final String[] keys;
    private final byte[] maxLen;
    private final byte[] maxAgeMillis;

    /**
     * @param maxLen entries to keep (approximately, at least this many), 0 for no count limit
     * @param maxAgeMillis age of the oldest entry to keep (approximately), 0 for no age limit
     */
    PublishScript(String streamKey, long maxLen, long maxAgeMillis) {
        this.source = load();
        this.keys = new String[] {streamKey, counterKey(streamKey)};
        this.maxLen = ascii(maxLen);
        this.maxAgeMillis = ascii(maxAgeMillis);
    }

    /** The key of the entry counter that goes with {@code streamKey}. */
    static String counterKey(String streamKey) {
        return streamKey + ":count";
    }

    String source() {
        return source;
    }

    String[] keys() {
        return keys;
    }

    /**
     * The script's arguments for {@code batch}. Reads each event's topic, type, data, key and connection (each of the
     * last two empty for none); does not touch frames.
     *
     * @param floorId every id the script assigns will be above this packed id (this node's newest), 0 for none
     */
    byte[][] args(List<EncodedEvent> batch, long floorId) {
        long floor = Math.max(0, floorId);
        byte[][] args = new byte[FIXED_ARGS + ARGS_PER_EVENT * batch.size()][];
        args[0] = maxLen;
        args[1] = maxAgeMillis;
        args[2] = ascii(StreamIds.millis(floor));
        args[3] = ascii(StreamIds.sequence(floor));
        int a = FIXED_ARGS;
        for (EncodedEvent e : batch) {
            args[a++] = e.topic().getBytes(StandardCharsets.UTF_8);
            args[a++] = e.type().getBytes(StandardCharsets.US_ASCII);
            args[a++] = e.dataJson();
            args[a++] = e.key() == null ? NONE : e.key().getBytes(StandardCharsets.UTF_8);
            args[a++] = e.isForConnection() ? e.connection().getBytes(StandardCharsets.US_ASCII) : NONE;
        }
        return args;
    }

    private static byte[] ascii(long value) {
        return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
    }

    private static String load() {
        try (InputStream in = PublishScript.class.getResourceAsStream("publish.lua")) {
            if (in == null) {
                throw new IllegalStateException("publish.lua is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
