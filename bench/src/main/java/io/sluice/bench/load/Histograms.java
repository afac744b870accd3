package io.sluice.bench.load;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.zip.DataFormatException;

/**
 * The one histogram layout every process uses (so encoded histograms from children add into the parent's):
 * values in nanoseconds, 1 µs resolution, up to 10 minutes, 3 significant digits. Static helpers; thread-safe.
 */
final class Histograms {
    static final long LOWEST_DISCERNIBLE_NANOS = 1_000;
    static final long HIGHEST_TRACKABLE_NANOS = TimeUnit.MINUTES.toNanos(10);
    static final int SIGNIFICANT_DIGITS = 3;

    private Histograms() {
    }

    static Histogram newHistogram() {
        return new Histogram(LOWEST_DISCERNIBLE_NANOS, HIGHEST_TRACKABLE_NANOS, SIGNIFICANT_DIGITS);
    }

    static SingleWriterRecorder newRecorder() {
        return new SingleWriterRecorder(LOWEST_DISCERNIBLE_NANOS, HIGHEST_TRACKABLE_NANOS, SIGNIFICANT_DIGITS);
    }

    /** Clamps into the trackable range (a negative difference means clocks disagreed: recorded as 0). */
    static long clamp(long nanos) {
        return nanos < 0 ? 0 : Math.min(nanos, HIGHEST_TRACKABLE_NANOS);
    }

    /** Compressed HdrHistogram encoding, base64 (no line breaks): one token on a protocol line. */
    static String encode(Histogram h) {
        ByteBuffer buf = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int length = h.encodeIntoCompressedByteBuffer(buf);
        buf.flip();
        byte[] bytes = new byte[length];
        buf.get(bytes);
        return Base64.getEncoder().encodeToString(bytes);
    }

    static Histogram decode(String base64) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)),
                    HIGHEST_TRACKABLE_NANOS);
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("bad histogram encoding: " + e.getMessage(), e);
        }
    }

    static double millis(long nanos) {
        return Math.round(nanos / 1_000.0) / 1_000.0;
    }
}
