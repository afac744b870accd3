package io.sluice.auth;

/**
 * Who is calling. {@code subject} is the user id ({@code sub}), null for anonymous callers.
 *
 * @param subject the user id, or null when anonymous
 * @param admin whether the caller may read admin-only data and any {@code user/*} topic
 */
public record Principal(String subject, boolean admin) {
    public static final Principal ANONYMOUS = new Principal(null, false);

    public boolean isAnonymous() {
        return subject == null;
    }
}
