package io.sluice.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class if a Netty resource leak was detected by the time it finished (see {@link LeakGuard}).
 * Registered for every test class by Jupiter's extension auto-detection
 * ({@code META-INF/services/org.junit.jupiter.api.extension.Extension}); stateless.
 */
public final class LeakGuardExtension implements AfterAllCallback {

    @Override
    public void afterAll(ExtensionContext context) {
        LeakGuard.assertNoLeaks("after " + context.getRequiredTestClass().getName());
    }
}
