package io.github.contextr2dbc.spring.boot;

import java.util.LinkedHashMap;
import java.util.Map;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.ReplicaStatus;
import io.github.contextr2dbc.Routing;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import reactor.core.publisher.Mono;

/**
 * The replicas as routing sees them, from the last background check (no query here): each one in or out of
 * rotation, its lag and why it is out. Always up: a replica out of rotation sends reads to the primary, it does
 * not make the application unhealthy (each database's own health is under the {@code r2dbc} component).
 */
final class RoutingHealthIndicator implements ReactiveHealthIndicator {

    private final Routing routing;

    RoutingHealthIndicator(Routing routing) {
        this.routing = routing;
    }

    @Override
    public Mono<Health> health() {
        return Mono.fromSupplier(() -> {
            Health.Builder builder = Health.up();
            int inRotation = 0;
            for (ReplicaStatus status : this.routing.replicas()) {
                Map<String, Object> details = new LinkedHashMap<>();
                Database primary = status.replica().replicaOf();
                details.put("replicaOf", primary == null ? "" : primary.name());
                details.put("inRotation", status.inRotation());
                details.put("lagBytes", status.lagBytes());
                if (status.replayLsn() != null) {
                    details.put("replayLsn", status.replayLsn());
                }
                if (status.reason() != null) {
                    details.put("reason", status.reason());
                }
                details.put("checkedAt", status.checkedAt() == null ? "never" : status.checkedAt().toString());
                builder.withDetail(status.replica().name(), details);
                if (status.inRotation()) {
                    inRotation++;
                }
            }
            return builder.withDetail("replicasInRotation", inRotation).build();
        });
    }
}
