package io.sluice.config;

/**
 * A configuration value, file or command line that cannot be used. The message is meant for the operator as
 * is: it names the key, the offending value, where the value came from (config file and line, environment
 * variable or flag) and what is allowed. Main reports it and exits with status 2 (CONTRACT section 9).
 */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
