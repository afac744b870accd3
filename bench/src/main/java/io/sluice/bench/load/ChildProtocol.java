package io.sluice.bench.load;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.BitSet;

/**
 * The line protocol between the parent and a child JVM (UTF-8, one message per line). Parent → child on the
 * child's stdin: {@code GO <t0>}, {@code STORM}, {@code POLL <n> <0|1 last>}, {@code EXIT}. Child → parent on its
 * stdout: {@code READY <base64 opened-stream bitset>} once the connect phase ends, {@code GOOK} after {@code GO},
 * and for each poll {@code S <totals JSON>}, zero or more {@code H L <bucket> <base64>} / {@code H C <base64>} /
 * {@code H R <base64>} (latency, connect and storm-reconnect histogram counts since the previous poll) and
 * {@code PEND <n>}. Children log to stderr only. Static helpers; thread-safe.
 */
final class ChildProtocol {
    static final String GO = "GO";
    static final String GO_OK = "GOOK";
    static final String STORM = "STORM";
    static final String POLL = "POLL";
    static final String EXIT = "EXIT";
    static final String READY = "READY";
    static final String TOTALS = "S";
    static final String HISTOGRAM = "H";
    static final String POLL_END = "PEND";
    static final String LATENCY = "L";
    static final String CONNECT = "C";
    static final String RECONNECT = "R";

    private static final JsonFactory JSON = new JsonFactory();

    private ChildProtocol() {
    }

    static String totals(StreamTotals t) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            t.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return TOTALS + " " + w;
    }

    static StreamTotals parseTotals(String json, int buckets) throws IOException {
        try (JsonParser p = JSON.createParser(json)) {
            return StreamTotals.read(p, buckets);
        }
    }

    static String bits(BitSet b) {
        return Base64.getEncoder().encodeToString(b.toByteArray());
    }

    static BitSet parseBits(String base64) {
        return BitSet.valueOf(Base64.getDecoder().decode(base64));
    }
}
