package io.github.contextr2dbc.spring.boot;

import io.github.contextr2dbc.Routing;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;

/**
 * Runs the routing's background replica checks while the application runs: started after the databases, stopped
 * before they close.
 */
final class RoutingLifecycle implements SmartLifecycle {

    private final Routing routing;

    @Nullable
    private volatile Disposable checks;

    RoutingLifecycle(Routing routing) {
        this.routing = routing;
    }

    @Override
    public synchronized void start() {
        if (this.checks == null) {
            this.checks = this.routing.startChecks();
        }
    }

    @Override
    public synchronized void stop() {
        Disposable running = this.checks;
        this.checks = null;
        if (running != null) {
            running.dispose();
        }
    }

    @Override
    public boolean isRunning() {
        return this.checks != null;
    }

    @Override
    public int getPhase() {
        return DatabasesLifecycle.PHASE + 1;
    }
}
