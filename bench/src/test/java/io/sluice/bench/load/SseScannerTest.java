package io.sluice.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SseScannerTest {

    /** Records callbacks as text, e.g. {@code load 12 3 0}. */
    private static final class Recorder implements SseScanner.Listener {
        final List<String> events = new ArrayList<>();

        @Override
        public void onLoadEvent(long sentNanos, long seq, int publisher) {
            events.add("load " + sentNanos + " " + seq + " " + publisher);
        }

        @Override
        public void onConnected() {
            events.add("connected");
        }

        @Override
        public void onReset() {
            events.add("reset");
        }

        @Override
        public void onOtherEvent() {
            events.add("other");
        }
    }

    /** What the gateway sends: retry, connected, two load events, a heartbeat, a reset. */
    private static final String STREAM = "retry: 3000\n"
            + "event: connected\n"
            + "data: {\"connectionId\":\"1x9k2-1\",\"topics\":[\"load/0\",\"broadcast\"]}\n"
            + "\n"
            + "id: 1882536645682528262\n"
            + "data: {\"ts\":123456789012345,\"seq\":0,\"pub\":2,\"pad\":\"xxxxxxxxxxxxxxxx\"}\n"
            + "\n"
            + ": heartbeat\n"
            + "\n"
            + "id: 1882536645682528263\n"
            + "data: {\"ts\":123456789012999,\"seq\":1,\"pub\":2,\"pad\":\"\"}\n"
            + "\n"
            + "event: reset\n"
            + "data: {\"reason\":\"history-unavailable\",\"lastEventId\":\"7\"}\n"
            + "\n";

    private static final List<String> EXPECTED = List.of("connected", "load 123456789012345 0 2",
            "load 123456789012999 1 2", "reset");

    private static void feed(SseScanner scanner, String text) {
        ByteBuf buf = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
        try {
            scanner.feed(buf);
            assertFalse(buf.isReadable(), "feed consumes every byte");
        } finally {
            buf.release();
        }
    }

    @Test
    void parsesAWholeStreamInOneRead() {
        Recorder r = new Recorder();
        SseScanner scanner = new SseScanner(r);
        feed(scanner, STREAM);
        assertEquals(EXPECTED, r.events);
        assertEquals("1882536645682528263", scanner.lastId());
    }

    @Test
    void parsesTheSameEventsWhateverTheReadBoundaries() {
        byte[] all = STREAM.getBytes(StandardCharsets.UTF_8);
        for (int split = 1; split < all.length; split++) {
            Recorder r = new Recorder();
            SseScanner scanner = new SseScanner(r);
            feed(scanner, STREAM.substring(0, split));
            feed(scanner, STREAM.substring(split));
            assertEquals(EXPECTED, r.events, "split at " + split);
        }
        for (int i = 0; i + 1 < all.length; i += 7) {
            for (int j = i + 1; j < all.length; j += 13) {
                Recorder r = new Recorder();
                SseScanner scanner = new SseScanner(r);
                feed(scanner, STREAM.substring(0, i));
                feed(scanner, STREAM.substring(i, j));
                feed(scanner, STREAM.substring(j));
                assertEquals(EXPECTED, r.events, "splits at " + i + " and " + j);
            }
        }
    }

    @Test
    void findsTheFirstLineFeedAtEveryOffsetAndAmongBytesThatLookLikeOne() {
        // 0x0B and 0x8A differ from LF by one bit; 0x09 borrows in the word arithmetic; 0x00 is a zero byte as such.
        byte[] noise = {'a', 0x0B, (byte) 0x8A, 0x09, 0x00, (byte) 0xFF, (byte) (0x0A ^ 0x80), 'z'};
        for (int length = 0; length <= 40; length++) {
            for (int from = 0; from <= length; from++) {
                byte[] b = new byte[length + 3];
                for (int i = 0; i < b.length; i++) {
                    b[i] = noise[(i * 5 + length) % noise.length];
                }
                assertEquals(-1, SseScanner.indexOfLf(b, from, length), "no LF, length " + length + " from " + from);
                for (int lf = from; lf < length; lf++) {
                    byte[] withLf = b.clone();
                    withLf[lf] = '\n';
                    if (lf + 1 < length) {
                        withLf[lf + 1] = '\n';
                    }
                    withLf[length] = '\n'; // past the end: never found
                    assertEquals(lf, SseScanner.indexOfLf(withLf, from, length), "LF at " + lf + " from " + from);
                }
            }
        }
    }

    @Test
    void parsesOneByteAtATime() {
        Recorder r = new Recorder();
        SseScanner scanner = new SseScanner(r);
        for (char c : STREAM.toCharArray()) {
            feed(scanner, String.valueOf(c));
        }
        assertEquals(EXPECTED, r.events);
        assertEquals("1882536645682528263", scanner.lastId());
    }

    @Test
    void acceptsCrlfLineEndingsAndFieldsWithoutTheSpace() {
        Recorder r = new Recorder();
        SseScanner scanner = new SseScanner(r);
        feed(scanner, "event:connected\r\ndata:{}\r\n\r\nid:42\r\ndata:{\"ts\":5,\"seq\":6,\"pub\":0}\r\n\r");
        feed(scanner, "\n");
        assertEquals(List.of("connected", "load 5 6 0"), r.events);
        assertEquals("42", scanner.lastId());
    }

    @Test
    void anIdTakesEffectOnlyAtTheBlankLineEndingItsBlock() {
        Recorder r = new Recorder();
        SseScanner scanner = new SseScanner(r);
        feed(scanner, "id: 1\ndata: {\"ts\":1,\"seq\":0,\"pub\":0}\n\nid: 2\ndata: {\"ts\":1,\"seq\":1,");
        assertEquals("1", scanner.lastId());
        // The connection drops inside event 2: a reconnect must resume after 1, not 2.
        scanner.resetConnection();
        assertEquals("1", scanner.lastId());
        feed(scanner, "retry: 3000\nevent: connected\ndata: {}\n\n");
        assertEquals("1", scanner.lastId());
        feed(scanner, "id: 2\ndata: {\"ts\":1,\"seq\":1,\"pub\":0}\n\n");
        assertEquals(List.of("load 1 0 0", "connected", "load 1 1 0"), r.events);
        assertEquals("2", scanner.lastId());
    }

    @Test
    void aNewStreamForgetsTheLastIdAndAnyPartialInput() {
        Recorder r = new Recorder();
        SseScanner scanner = new SseScanner(r);
        feed(scanner, "id: 5\ndata: {\"ts\":1,\"seq\":0,\"pub\":0}\n\nid: 6\ndata: {\"ts\":1,");
        scanner.newStream();
        assertFalse(scanner.hasLastId());
        feed(scanner, "event: connected\ndata: {}\n\n");
        assertFalse(scanner.hasLastId());
        assertEquals(List.of("load 1 0 0", "connected"), r.events);
    }

    @Test
    void aBlockWithoutDataDispatchesNothingButCommitsItsId() {
        Recorder r = new Recorder();
        SseScanner scanner = new SseScanner(r);
        assertFalse(scanner.hasLastId());
        feed(scanner, "id: 9\n\n: comment\n\n");
        assertEquals(List.of(), r.events);
        assertTrue(scanner.hasLastId());
        assertEquals("9", scanner.lastId());
    }

    @Test
    void otherDataAndTypesAreNotLoadEvents() {
        Recorder r = new Recorder();
        SseScanner scanner = new SseScanner(r);
        feed(scanner, "data: hello\n\n"
                + "event: deployment:completed\ndata: {\"ts\":1,\"seq\":2,\"pub\":0}\n\n"
                + "data: {\"ts\":1,\"seq\":2,\"pub\":0}\ndata: second line\n\n"
                + "data: {\"ts\":1,\"seq\":2}\n\n"
                + "data: {\"ts\":,\"seq\":2,\"pub\":0}\n\n"
                + "event: message\ndata: {\"ts\":7,\"seq\":8,\"pub\":9}\n\n"
                + "data\n\n");
        assertEquals(List.of("other", "other", "other", "other", "other", "load 7 8 9", "other"), r.events);
    }

    @Test
    void readsWhatThePayloadEncoderWrites() {
        PayloadEncoder encoder = new PayloadEncoder(150);
        assertEquals(150, encoder.dataLength(987654321098765L, 4321, 3));
        assertScans(150, "load 987654321098765 4321 3", f -> encoder.writeData(f, 987654321098765L, 4321, 3));
    }

    @Test
    void readsDataOfTheSizeASoakDraws() {
        PayloadEncoder encoder = new PayloadEncoder(150, 40_000);
        assertEquals(40_000, encoder.dataLength(5, 6, 7, 40_000));
        // Smaller than the fields need: as long as they need, {"ts":5,"seq":6,"pub":7,"pad":""}.
        assertEquals(33, encoder.dataLength(5, 6, 7, 1));
        assertScans(40_000, "load 5 6 7", f -> encoder.writeData(f, 5, 6, 7, 40_000));
    }

    /** {@code data} written into an event frame is {@code length} bytes, and the scanner reads {@code event} from it. */
    private static void assertScans(int length, String event, Consumer<ByteBuf> data) {
        ByteBuf frame = Unpooled.buffer();
        try {
            frame.writeCharSequence("id: 77\ndata: ", StandardCharsets.US_ASCII);
            int before = frame.writerIndex();
            data.accept(frame);
            assertEquals(length, frame.writerIndex() - before);
            frame.writeCharSequence("\n\n", StandardCharsets.US_ASCII);
            Recorder r = new Recorder();
            new SseScanner(r).feed(frame);
            assertEquals(List.of(event), r.events);
        } finally {
            frame.release();
        }
    }

    /** What nchan's EventSource subscriber sends (nchan 1.3.6, captured): a comment, then time:tag ids. */
    private static final String NCHAN_STREAM = ": hi\n"
            + "\n"
            + "id: 1796578535:0\n"
            + "data: {\"ts\":123,\"seq\":0,\"pub\":4,\"pad\":\"xx\"}\n"
            + "\n";

    /** A multiplexed nchan stream (/sub/a,b): the id lists each channel's position, the current one in brackets. */
    private static final String NCHAN_MULTIPLEXED = ": hi\n"
            + "\n"
            + "id: 1796578535:[0],-\n"
            + "data: {\"ts\":1,\"seq\":0,\"pub\":0,\"pad\":\"xx\"}\n"
            + "\n"
            + "id: 1796578535:0,[0]\n"
            + "data: {\"ts\":2,\"seq\":0,\"pub\":0,\"pad\":\"xx\"}\n"
            + "\n";

    @Test
    void parsesNchansFramingAndKeepsItsIdsForLastEventId() {
        Recorder r = new Recorder();
        SseScanner scanner = new SseScanner(r);
        feed(scanner, NCHAN_STREAM);
        assertEquals(List.of("load 123 0 4"), r.events);
        assertEquals("1796578535:0", scanner.lastId());

        Recorder m = new Recorder();
        SseScanner multiplexed = new SseScanner(m);
        for (char c : NCHAN_MULTIPLEXED.toCharArray()) {
            feed(multiplexed, String.valueOf(c));
        }
        assertEquals(List.of("load 1 0 0", "load 2 0 0"), m.events);
        assertEquals("1796578535:0,[0]", multiplexed.lastId());
    }

    @Test
    void aLineLongerThanTheLimitBreaksTheStream() {
        SseScanner scanner = new SseScanner(new Recorder());
        ByteBuf big = Unpooled.buffer(SseScanner.MAX_LINE + 1).writeZero(SseScanner.MAX_LINE + 1);
        try {
            assertThrows(IllegalStateException.class, () -> scanner.feed(big));
        } finally {
            big.release();
        }
    }
}
