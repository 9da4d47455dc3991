package io.github.contextr2dbc.spring.webapp;

import java.time.Duration;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.spring.TestSql;
import io.micrometer.core.instrument.MeterRegistry;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;

/** Actuator health per database (a replica with its lag) and Micrometer meters. */
class ObservabilityIT extends AbstractWebIT {

    @Autowired
    MeterRegistry registry;

    @Test
    void reportsTheHealthOfEveryDatabaseAndTheReplicasLag() {
        this.client.get().uri("/actuator/health").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.components.r2dbc.status").isEqualTo("UP")
                .jsonPath("$.components.r2dbc.components.main.status").isEqualTo("UP")
                .jsonPath("$.components.r2dbc.components.main.details.inRecovery").isEqualTo(false)
                .jsonPath("$.components.r2dbc.components.audit.status").isEqualTo("UP")
                .jsonPath("$.components.r2dbc.components.replica.status").isEqualTo("UP")
                .jsonPath("$.components.r2dbc.components.replica.details.replicaOf").isEqualTo("main")
                .jsonPath("$.components.r2dbc.components.replica.details.inRecovery").isEqualTo(true)
                .jsonPath("$.components.r2dbc.components.replica.details.lagBytes").isNumber()
                .jsonPath("$.components.r2dbc.components.replica.details.lagSeconds").isNumber();
    }

    @Test
    void reportsABusyPoolAsUpWithItsStateNotAsDown() throws InterruptedException {
        Database tiny = this.databases.get("tiny");
        // tiny's one connection, held by a session of its own until the end of the test
        Disposable held = tiny.inSession(session -> session.sql("SELECT 1").execute().then(Mono.never())).subscribe();
        try {
            TestSql.awaitConnectionsInUse(tiny, 1);
            assertThat(tiny.connectionsInUse()).isEqualTo(1);
            this.client.get().uri("/actuator/health").exchange()
                    .expectStatus().isOk()
                    .expectBody()
                    .jsonPath("$.components.r2dbc.status").isEqualTo("UP")
                    .jsonPath("$.components.r2dbc.components.tiny.status").isEqualTo("UP")
                    .jsonPath("$.components.r2dbc.components.tiny.details.checked").isEqualTo(false)
                    .jsonPath("$.components.r2dbc.components.tiny.details.poolAcquired").isEqualTo(1)
                    .jsonPath("$.components.r2dbc.components.tiny.details.poolMaxSize").isEqualTo(1)
                    .jsonPath("$.components.r2dbc.components.main.details.checked").isEqualTo(true);
        } finally {
            held.dispose();
        }
    }

    @Test
    void countsUnitsOfWorkByOutcomeAndSessionsByWhetherTheyConnected() {
        double commits = count("context.r2dbc.commits");
        double statusRollbacks = this.registry.counter("context.r2dbc.rollbacks", "reason", "status").count();
        double lazy = this.registry.counter("context.r2dbc.sessions", "database", "audit",
                "connected", "false").count();
        double connected = this.registry.counter("context.r2dbc.sessions", "database", "main",
                "connected", "true").count();

        this.client.post().uri("/t/items?name={n}", unique("metrics")).exchange().expectStatus().isOk();
        this.client.post().uri("/t/items?name={n}&status=400", unique("metrics")).exchange()
                .expectStatus().isBadRequest();
        this.client.get().uri("/t/lazy").exchange().expectStatus().isOk();

        assertThat(count("context.r2dbc.commits")).isEqualTo(commits + 2);
        assertThat(this.registry.counter("context.r2dbc.rollbacks", "reason", "status").count())
                .isEqualTo(statusRollbacks + 1);
        assertThat(this.registry.counter("context.r2dbc.sessions", "database", "audit", "connected", "false").count())
                .isEqualTo(lazy + 1);
        assertThat(this.registry.counter("context.r2dbc.sessions", "database", "main", "connected", "true").count())
                .isEqualTo(connected + 2);
        assertThat(this.registry.get("context.r2dbc.unit.of.work").tag("action", "commit")
                .tag("connected", "true").timer()
                .count()).isPositive();
        assertThat(this.registry.get("context.r2dbc.connections.acquisitions").tag("database", "main").functionCounter()
                .count()).isPositive();
        assertThat(this.registry.get("context.r2dbc.connections.in.use").tag("database", "main")
                .gauge().value()).isZero();
        assertThat(this.registry.get("context.r2dbc.pool.max.allocated").tag("database", "main").gauge()
                .value()).isEqualTo(8);
    }

    @Test
    void finishesEveryUnitOfWorkExactlyOnceOnEveryPath() {
        long before = unitsOfWork();
        double commitFailures = this.registry.counter("context.r2dbc.rollbacks", "reason", "commit-failed").count();
        double errors = this.registry.counter("context.r2dbc.rollbacks", "reason", "error").count();
        this.client.post().uri("/t/items?name={n}", unique("once")).exchange().expectStatus().isOk();
        this.client.post().uri("/t/items/empty?name={n}", unique("once")).exchange().expectStatus().isNoContent();
        this.client.post().uri("/t/items/failing?name={n}", unique("once")).exchange().expectStatus()
                .is5xxServerError();
        this.client.get().uri("/t/no-such-endpoint").exchange().expectStatus().isNotFound();
        this.client.post().uri("/t/deferred/unique/mono?name={n}", unique("once")).exchange()
                .expectStatus().isEqualTo(409);
        this.client.post().uri("/t/deferred/unique/empty?name={n}", unique("once")).exchange()
                .expectStatus().isEqualTo(409);
        this.client.get().uri("/t/stream").exchange().expectStatus().isOk().expectBody().returnResult();
        Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5))
                .until(() -> unitsOfWork() >= before + 7);
        // and no unit of work is finished twice: the count stays put for a while
        Awaitility.await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(5))
                .until(() -> unitsOfWork() == before + 7);
        assertThat(unitsOfWork()).isEqualTo(before + 7);
        assertThat(this.registry.counter("context.r2dbc.rollbacks", "reason", "commit-failed").count())
                .isEqualTo(commitFailures + 2);
        assertThat(this.registry.counter("context.r2dbc.rollbacks", "reason", "error").count()).isEqualTo(errors + 2);
    }

    private long unitsOfWork() {
        return this.registry.find("context.r2dbc.unit.of.work").timers().stream()
                .mapToLong(timer -> timer.count()).sum();
    }

    private double count(String name) {
        return this.registry.counter(name).count();
    }
}
