package io.sluice.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Installs {@link LeakGuard} when the JUnit launcher session opens (before any test class is loaded, so before
 * Netty creates its leak detectors) and checks for leaks one last time when it closes. Registered in
 * {@code META-INF/services/org.junit.platform.launcher.LauncherSessionListener}; the launcher calls it on its
 * own thread.
 */
public final class LeakGuardSessionListener implements LauncherSessionListener {

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        LeakGuard.install();
    }

    /** @throws AssertionError if a leak was found after the last test class finished */
    @Override
    public void launcherSessionClosed(LauncherSession session) {
        LeakGuard.assertNoLeaks("when the test session closed");
    }
}
