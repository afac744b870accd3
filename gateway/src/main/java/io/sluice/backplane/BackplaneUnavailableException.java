package io.sluice.backplane;

/** The backplane cannot accept events right now; nothing of the refused batch was accepted. */
public final class BackplaneUnavailableException extends RuntimeException {
    public BackplaneUnavailableException(String message) {
        super(message, null, false, false);
    }
}
