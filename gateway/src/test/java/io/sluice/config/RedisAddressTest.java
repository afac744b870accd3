package io.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RedisAddressTest {

    @Test
    void parsesEveryPart() {
        assertEquals(new RedisAddress(false, "", "", "localhost", 6379, 0), RedisAddress.parse("redis://localhost"));
        assertEquals(new RedisAddress(false, "", "pw", "10.0.0.5", 7000, 0), RedisAddress.parse("redis://:pw@10.0.0.5:7000"));
        assertEquals(new RedisAddress(true, "app", "p@ss:w+rd", "cache", 6380, 2),
                RedisAddress.parse("rediss://app:p%40ss%3Aw+rd@cache:6380/2"));
        assertEquals(new RedisAddress(false, "", "", "::1", 6379, 0), RedisAddress.parse("redis://[::1]:6379/"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"redis://", "redis://host:port", "redis://host:0", "http://host:6379", "redis://host/db",
        "redis://user@host", "redis://user:@host", "redis://a b:6379", "redis://host:6379/0/1", "redis://:p%zz@host"})
    void rejectsMalformedUrls(String url) {
        assertThrows(IllegalArgumentException.class, () -> RedisAddress.parse(url));
    }

    @ParameterizedTest
    @ValueSource(strings = {"redis://app:hunter2@r:0", "redis://:hunter2@", "redis://:hunter2%zz@r", "redis://hunter2@r",
        "redis://app:hunter2@r:6379/x"})
    void errorsNeverQuoteThePassword(String url) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RedisAddress.parse(url));
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    @Test
    void redactsCredentialsInAnyText() {
        assertEquals("redis://***@r:6379", RedisAddress.redact("redis://app:hunter2@r:6379"));
        assertEquals("rediss://***@r", RedisAddress.redact("rediss://:hunter2@r"));
        assertEquals("redis://r:6379", RedisAddress.redact("redis://r:6379"));
        assertEquals("local", RedisAddress.redact("local"));
        assertEquals("redis://***@r:6379/1", RedisAddress.parse("redis://:x@r:6379/1").toString());
        assertEquals("redis://r:6379", RedisAddress.parse("redis://r").toString());
    }
}
