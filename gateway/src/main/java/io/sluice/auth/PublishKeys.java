package io.sluice.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * The configured static publish keys, matched in constant time: the presented value and every key are compared
 * as SHA-256 digests (so neither a key's length nor its content shapes the timing) and every key is compared,
 * without an early exit on a match. Immutable and thread-safe.
 */
final class PublishKeys {
    private final byte[][] digests;

    PublishKeys(List<String> keys) {
        digests = new byte[keys.size()][];
        for (int i = 0; i < digests.length; i++) {
            digests[i] = sha256(keys.get(i));
        }
    }

    boolean isEmpty() {
        return digests.length == 0;
    }

    int size() {
        return digests.length;
    }

    /** Whether {@code presented} is one of the keys. Takes the same time whichever key, if any, it matches. */
    boolean matches(String presented) {
        if (digests.length == 0) {
            return false;
        }
        byte[] digest = sha256(presented);
        boolean match = false;
        for (byte[] key : digests) {
            match |= MessageDigest.isEqual(digest, key);
        }
        return match;
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
