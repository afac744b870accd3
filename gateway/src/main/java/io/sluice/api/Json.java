package io.sluice.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonWriteFeature;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The one {@link JsonFactory} of the gateway (thread-safe, shared) and small helpers to write JSON text.
 * Parsing limits: nesting depth 1000 (jackson's default, stated here so it is a decision, not an accident).
 * Writing: UTF-8, characters outside the BMP as themselves.
 */
public final class Json {
    public static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(1000).build())
            // CONTRACT §1: non-ASCII as is. Without this, characters outside the BMP are written as
            // \\uD83D\\uDE00 surrogate escapes (and count 12 bytes against maxEventBytes instead of 4).
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            // event data's field names are anyone's (ids as keys included): canonicalized per factory, bounded by
            // jackson's symbol table, but not String.intern()ed into the JVM's string table as well
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .build();

    private Json() {
    }

    /** Writes JSON with {@code body} into a byte array. Not for hot paths. */
    public static byte[] write(JsonBody body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            body.writeTo(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static String writeString(JsonBody body) {
        return new String(write(body), StandardCharsets.UTF_8);
    }

    /** Something that writes one JSON value. */
    @FunctionalInterface
    public interface JsonBody {
        void writeTo(JsonGenerator g) throws IOException;
    }
}
