package io.sluice.testing;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The WHATWG edge cases, fed straight into {@link SseParser}, and every way of splitting a stream into two or
 * single-byte writes; {@link SseTestClientTest} runs the same cases through a socket.
 */
class SseParserTest {

    /** Everything a parser reported, in order, as text that is easy to compare. */
    private static final class Recorder implements SseParser.Listener {
        final List<String> items = new ArrayList<>();

        @Override
        public void onEvent(SseEvent event) {
            items.add(event.toString());
        }

        @Override
        public void onComment(String text) {
            items.add("comment[" + text + "]");
        }

        @Override
        public void onRetry(int millis) {
            items.add("retry[" + millis + "]");
        }
    }

    private static List<String> parse(byte[]... writes) {
        Recorder recorder = new Recorder();
        SseParser parser = new SseParser(recorder);
        for (byte[] w : writes) {
            parser.feed(w, 0, w.length);
        }
        return recorder.items;
    }

    private static List<String> parse(String stream) {
        return parse(stream.getBytes(StandardCharsets.UTF_8));
    }

    private static String event(String id, String lastEventId, String type, String data) {
        return new SseEvent(id, lastEventId, type, data).toString();
    }

    @Test
    void lineEndingsCrLfCrAndLfAreEquivalent() {
        List<String> expected = List.of(event(null, "", "message", "a\nb"), event(null, "", "t", "c"));
        assertEquals(expected, parse("data: a\ndata: b\n\nevent: t\ndata: c\n\n"));
        assertEquals(expected, parse("data: a\r\ndata: b\r\n\r\nevent: t\r\ndata: c\r\n\r\n"));
        assertEquals(expected, parse("data: a\rdata: b\r\revent: t\rdata: c\r\r"));
        assertEquals(expected, parse("data: a\rdata: b\r\n\nevent: t\ndata: c\r\n\r"));
    }

    @Test
    void crLfIsOneLineEndButLfCrIsTwo() {
        assertEquals(List.of(event(null, "", "message", "x")), parse("data: x\r\n\r\n"));
        assertEquals(List.of(event(null, "", "message", "x"), event(null, "", "message", "y")),
                parse("data: x\n\rdata: y\n\r"));
    }

    @Test
    void onlyOneLeadingSpaceIsRemovedAndOnlyTheFirstColonSplits() {
        assertEquals(List.of(event(null, "", "message", " two\nnone\na: b: c")),
                parse("data:  two\ndata:none\ndata: a: b: c\n\n"));
    }

    @Test
    void multipleDataLinesJoinWithLfAndOnlyOneTrailingLfIsRemoved() {
        assertEquals(List.of(event(null, "", "message", "a\n\nb\n")), parse("data: a\ndata\ndata: b\ndata:\n\n"));
    }

    @Test
    void dataWithoutColonIsAnEmptyValueAndStillDispatches() {
        assertEquals(List.of(event(null, "", "message", "")), parse("data\n\n"));
        assertEquals(List.of(event(null, "", "message", "\n")), parse("data\ndata\n\n"));
    }

    @Test
    void commentsAreReportedAndDoNotDispatchOrBreakAnEvent() {
        assertEquals(List.of("comment[ ping]", "comment[]", "comment[:x]", event(null, "", "message", "a\nb")),
                parse(": ping\n:\ndata: a\n::x\ndata: b\n\n"));
    }

    @Test
    void eventWithoutDataIsNotDispatchedAndItsTypeDoesNotLeak() {
        assertEquals(List.of(event(null, "", "message", "x")), parse("event: lonely\n\ndata: x\n\n"));
        assertEquals(List.of(event(null, "", "message", "x")), parse("event: t\nevent\ndata: x\n\n"));
    }

    @Test
    void idWithNulIsIgnored() {
        assertEquals(List.of(event("1", "1", "message", "a"), event(null, "1", "message", "b")),
                parse("id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n"));
    }

    @Test
    void lastEventIdPersistsUntilSetAgainAndAnEmptyIdClearsIt() {
        assertEquals(List.of(
                        event("1", "1", "message", "a"),
                        event(null, "1", "message", "b"),
                        event(null, "7", "message", "c"),
                        event("", "", "message", "d"),
                        event(null, "", "message", "e")),
                parse("id: 1\ndata: a\n\ndata: b\n\nid: 7\n\ndata: c\n\nid\ndata: d\n\ndata: e\n\n"));
    }

    @Test
    void lastEventIdOfABlockIsSetEvenWhenTheIdComesAfterTheData() {
        assertEquals(List.of(event("9", "9", "message", "a")), parse("data: a\nid: 8\nid: 9\n\n"));
    }

    @Test
    void retryTakesOnlyAsciiDigits() {
        assertEquals(List.of("retry[1500]", "retry[0]"),
                parse("retry: 1500\nretry: 15x0\nretry: -1\nretry:\nretry: 1.5\nretry:  20\nretry: 0\n"
                        + "retry: 99999999999\nretry: ١٢\n"));
    }

    @Test
    void unknownAndMiscasedFieldsAreIgnored() {
        assertEquals(List.of(event(null, "", "message", "x")), parse("Data: no\nEVENT: no\nfoo: bar\ndata: x\n\n"));
    }

    @Test
    void oneLeadingBomIsStrippedButNotASecondOne() {
        assertEquals(List.of(event(null, "", "message", "x")), parse("\uFEFFdata: x\n\n"));
        assertEquals(List.of(), parse("\uFEFF\uFEFFdata: x\n\n"));
        assertEquals(List.of(event(null, "", "message", "x\n\uFEFFy")), parse("data: x\ndata: \uFEFFy\n\n"));
        assertEquals(List.of(event(null, "", "message", "\uFEFFy")), parse("\ndata: \uFEFFy\n\n"));
    }

    @Test
    void incompleteEventAtEndOfStreamIsNotDispatched() {
        assertEquals(List.of(event(null, "", "message", "a")), parse("data: a\n\ndata: b\n"));
        assertEquals(List.of(), parse("data: a"));
    }

    @Test
    void malformedUtf8IsReplacedNotFatal() {
        byte[] bytes = concat(ascii("data: a"), new byte[] {(byte) 0xFF, (byte) 0xC3}, ascii("\n\n"));
        assertEquals(List.of(event(null, "", "message", "a\uFFFD\uFFFD")), parse(bytes));
    }

    /** A stream touching every rule; split at every position and fed byte by byte it must parse the same. */
    private static final String EVERYTHING = "\uFEFF: hello\r\nretry: 2500\r\nid: 1\r\nevent: a:b\r\ndata: café €\r\n"
            + "data: 😀\r\n\r\ndata\rid: x\0y\r\rid: 2\n\nevent: skipped\n\ndata: z\n\n: bye\r";

    @Test
    void everySplitPointGivesTheSameResult() {
        byte[] all = EVERYTHING.getBytes(StandardCharsets.UTF_8);
        List<String> expected = List.of(
                "comment[ hello]", "retry[2500]",
                event("1", "1", "a:b", "café €\n😀"),
                event(null, "1", "message", ""),
                event(null, "2", "message", "z"),
                "comment[ bye]");
        assertEquals(expected, parse(all));
        for (int i = 0; i <= all.length; i++) {
            byte[] first = Arrays.copyOfRange(all, 0, i);
            byte[] second = Arrays.copyOfRange(all, i, all.length);
            assertEquals(expected, parse(first, second), "split at byte " + i);
        }
        byte[][] single = new byte[all.length][];
        for (int i = 0; i < all.length; i++) {
            single[i] = new byte[] {all[i]};
        }
        assertEquals(expected, parse(single), "byte by byte");
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
