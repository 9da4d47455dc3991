package io.github.contextr2dbc.spring.boot;

import io.github.contextr2dbc.ReplicaStatus;
import io.github.contextr2dbc.Routing;
import io.github.contextr2dbc.RoutingDecision;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Routing's meters: {@value #DECISIONS} (counter per {@code decision}: replica, primary, primary-after-write,
 * fallback-lagging, fallback-no-replica, using) and {@value #IN_ROTATION} (gauge per {@code replica}: 1 in
 * rotation, 0 out), read from the routing's own counters and states like the pool gauges.
 */
final class RoutingMetrics implements MeterBinder {

    /** Counter of routed reads, tag {@code decision}. */
    static final String DECISIONS = "context.r2dbc.routing.decisions";

    /** Gauge per replica, tag {@code replica}: 1 in rotation, 0 out. */
    static final String IN_ROTATION = "context.r2dbc.routing.replica.in.rotation";

    private final Routing routing;

    RoutingMetrics(Routing routing) {
        this.routing = routing;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (RoutingDecision decision : RoutingDecision.values()) {
            FunctionCounter.builder(DECISIONS, this.routing, routing -> routing.decisions(decision))
                    .tag("decision", decision.tag())
                    .description("routed reads, by where they went and why")
                    .register(registry);
        }
        for (ReplicaStatus status : this.routing.replicas()) {
            String name = status.replica().name();
            Gauge.builder(IN_ROTATION, this.routing, routing -> routing.replicas().stream()
                            .filter(each -> each.replica().name().equals(name))
                            .anyMatch(ReplicaStatus::inRotation) ? 1 : 0)
                    .tag("replica", name)
                    .description("1 while routed reads may go to the replica, 0 while it is out of rotation")
                    .register(registry);
        }
    }
}
