package io.sluice.testing;

import io.netty.util.concurrent.EventExecutor;
import io.sluice.dashboard.DashboardFeed;

import java.util.List;

/** A dashboard feed that reports an idle node, for pipeline tests that build {@code Endpoints} by hand. */
public final class IdleDashboard {
    private IdleDashboard() {
    }

    public static DashboardFeed on(EventExecutor executor) {
        return new DashboardFeed(executor,
                watched -> new DashboardFeed.Totals(0, 0, 0, 0, Double.NaN, Double.NaN, List.of(), List.of(), 0, 0, 0));
    }
}
