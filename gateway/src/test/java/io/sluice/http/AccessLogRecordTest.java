package io.sluice.http;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Query redaction and the exact text and JSON forms of an access-log record, escaping included. */
class AccessLogRecordTest {
    private static final Instant T = Instant.parse("2025-03-04T05:06:07.089Z");

    @Test
    void queryKeepsOnlyHarmlessValues() {
        assertEquals("/v1/events", AccessLogRecord.target("/v1/events"));
        assertEquals("/v1/events?", AccessLogRecord.target("/v1/events?"));
        assertEquals("/s?topic=a&topic=b&types=x:*&limit=5&lastEventId=7&after=3",
                AccessLogRecord.target("/s?topic=a&topic=b&types=x:*&limit=5&lastEventId=7&after=3"));
        assertEquals("/s?topic=a&access_token=[redacted]", AccessLogRecord.target("/s?topic=a&access_token=eyJ.x.y"));
        assertEquals("/s?access_token=[redacted]", AccessLogRecord.target("/s?access%5ftoken=eyJ"));
        assertEquals("/s?access_token=[redacted]", AccessLogRecord.target("/s?access_token"));
        assertEquals("/s?[redacted]&topic=a", AccessLogRecord.target("/s?eyJhbGciOi.JIUzI1NiJ9.e30=x&topic=a"));
        assertEquals("/s?[redacted]", AccessLogRecord.target("/s?%zz=1"));
        assertEquals("/s?topic=a", AccessLogRecord.target("/s?&&topic=a&"));
    }

    @Test
    void textIsKeyValuePairsOnOneLine() {
        AccessLogRecord r = new AccessLogRecord(T, "POST", "/v1/publish", 200, 1_234_567, 40, "alice", "10.0.0.1", null);
        assertEquals("time=2025-03-04T05:06:07.089Z method=POST path=/v1/publish status=200 duration_ms=1.234 bytes=40"
                + " user=alice client=10.0.0.1", r.toText());
        AccessLogRecord stream = new AccessLogRecord(T, "GET", "/s", 0, 999, -1, null, "::1", "slow-consumer");
        assertEquals("time=2025-03-04T05:06:07.089Z method=GET path=/s status=- duration_ms=0.000 bytes=- user=-"
                + " client=::1 close=slow-consumer", stream.toText());
    }

    @Test
    void textQuotesAndEscapesValuesThatAreNotPlain() {
        AccessLogRecord r = new AccessLogRecord(T, "GET", "/p", 200, 0, 0, "bob smith\" status=500\nx\\y\u0001é",
                "1.2.3.4", null);
        assertEquals("time=2025-03-04T05:06:07.089Z method=GET path=/p status=200 duration_ms=0.000 bytes=0"
                + " user=\"bob smith\\\" status=500\\nx\\\\y\\u0001é\" client=1.2.3.4", r.toText());
    }

    @Test
    void jsonIsOneObjectWithNullsForUnknowns() {
        AccessLogRecord r = new AccessLogRecord(T, "GET", "/s?topic=a", 0, 12_345_678_901L, -1, "a\"\n", "1.2.3.4",
                "client-closed");
        assertEquals("{\"time\":\"2025-03-04T05:06:07.089Z\",\"method\":\"GET\",\"path\":\"/s?topic=a\",\"status\":null,"
                + "\"duration_ms\":12345.678,\"bytes\":null,\"user\":\"a\\\"\\n\",\"client\":\"1.2.3.4\","
                + "\"close\":\"client-closed\"}", r.toJson());
        AccessLogRecord ok = new AccessLogRecord(T, "POST", "/p", 200, 5_000, 7, null, "1.2.3.4", null);
        assertEquals("{\"time\":\"2025-03-04T05:06:07.089Z\",\"method\":\"POST\",\"path\":\"/p\",\"status\":200,"
                + "\"duration_ms\":0.005,\"bytes\":7,\"user\":\"-\",\"client\":\"1.2.3.4\"}", ok.toJson());
    }

    @Test
    void timeAndDurationTextAreTheFormattersOwn() {
        java.time.format.DateTimeFormatter formatter = java.time.format.DateTimeFormatter
                .ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(java.time.ZoneOffset.UTC);
        for (Instant t : List.of(T, T.plusMillis(911), Instant.parse("1999-12-31T23:59:59.999Z"),
                Instant.parse("2030-01-01T00:00:00Z"), T.plusNanos(1), T)) {
            StringBuilder b = new StringBuilder();
            AccessLogRecord.appendTime(b, t);
            assertEquals(formatter.format(t), b.toString());
        }
        for (long nanos : new long[] {0, 999, 1000, 5_000, 1_234_567, 999_999_999, 86_400_000_000_000L, -5}) {
            StringBuilder b = new StringBuilder();
            AccessLogRecord.appendMillis(b, nanos);
            assertEquals(java.math.BigDecimal.valueOf(Math.max(0, nanos) / 1000, 3).toPlainString(), b.toString(),
                    "nanos " + nanos);
        }
    }
}
