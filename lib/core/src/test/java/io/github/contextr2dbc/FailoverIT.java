package io.github.contextr2dbc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.github.contextr2dbc.launcher.PostgresPair;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.R2dbcException;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;

/** The failover drill: the primary stops, the replica is promoted, the application goes on without a restart. */
class FailoverIT {

    private static final Logger log = LoggerFactory.getLogger(FailoverIT.class);

    private static final Duration ACQUIRE_TIMEOUT = Duration.ofSeconds(2);

    private static Mono<Long> insert(Database db, int id) {
        return dbSession(db).flatMap(session -> session.sql("INSERT INTO item VALUES ($1)").bind(0, id).rowsUpdated());
    }

    private static PrimaryResolver resolver(PostgresPair pair) {
        ConnectionFactoryOptions base = ConnectionFactoryOptions.parse(pair.primaryUrl());
        return PrimaryResolver.of(List.of(pair.host() + ":" + pair.primaryPort(),
                pair.host() + ":" + pair.replicaPort()), host -> {
                    int colon = host.lastIndexOf(':');
                    return ConnectionFactories.get(base.mutate()
                            .option(ConnectionFactoryOptions.HOST, host.substring(0, colon))
                            .option(ConnectionFactoryOptions.PORT, Integer.parseInt(host.substring(colon + 1)))
                            .build());
                }, Duration.ofSeconds(1));
    }

    private static Database database(PrimaryResolver resolver, String primaryHost) {
        return Database.builder("main")
                .connectionFactory(primaryHost, resolver::connectionFactory)
                .beforeSession(resolver::beforeSession)
                .acquireTimeout(ACQUIRE_TIMEOUT)
                .build();
    }

    private static boolean readOnlyRefusal(Throwable error) {
        for (Throwable current = error; current != null; current = current.getCause()) {
            if (current instanceof R2dbcException r2dbc && "25006".equals(r2dbc.getSqlState())) {
                return true;
            }
        }
        return false;
    }

    /**
     * The old primary comes back as a standby after the replica was promoted, and nothing failed to connect in
     * between: the database still points at it, connecting works, and the first write is refused as read-only
     * (25006). That refusal alone must send the next session to the promoted replica.
     */
    @Test
    void aPrimaryThatCameBackAsAStandbyIsLeftAfterItsFirstReadOnlyRefusal() {
        try (PostgresPair pair = PostgresPair.startNew()) {
            pair.execute("CREATE TABLE item (id int PRIMARY KEY)");
            pair.awaitReplicaCaughtUp();
            String primaryHost = pair.host() + ":" + pair.primaryPort();
            String replicaHost = pair.host() + ":" + pair.replicaPort();
            PrimaryResolver resolver = resolver(pair);
            Database main = database(resolver, primaryHost);
            try {
                assertThat(inNewUnitOfWork(insert(main, 1)).block(TestDatabase.TIMEOUT)).isEqualTo(1);
                assertThat(resolver.primary()).isEqualTo(primaryHost);

                pair.stopPrimary();
                pair.promoteReplica();
                pair.startPrimaryAsStandby();

                List<Throwable> errors = new ArrayList<>();
                Long written = null;
                for (int attempt = 0; attempt < 6 && written == null; attempt++) {
                    Throwable[] failed = new Throwable[1];
                    written = inNewUnitOfWork(insert(main, 2)).onErrorResume(error -> {
                        failed[0] = error;
                        return Mono.empty();
                    }).block(TestDatabase.TIMEOUT);
                    if (failed[0] != null) {
                        errors.add(failed[0]);
                    }
                }
                log.info("Demoted primary: failures before the first write on the promoted replica: {}", errors);
                assertThat(written).as("a write after the refusals; failures: %s", errors).isEqualTo(1);
                assertThat(errors).as("one refusal as read-only, maybe after a pooled connection the stop closed")
                        .hasSizeBetween(1, 2)
                        .anyMatch(FailoverIT::readOnlyRefusal);
                assertThat(main.host()).isEqualTo(replicaHost);
                assertThat(resolver.primary()).isEqualTo(replicaHost);
                assertThat(main.connectionsInUse()).isZero();
            } finally {
                main.close().block(TestDatabase.TIMEOUT);
            }
        }
    }

    @Test
    void writesFailFastInTheGapAndSucceedOnThePromotedReplicaWithoutARestart() throws InterruptedException {
        try (PostgresPair pair = PostgresPair.startNew()) {
            pair.execute("CREATE TABLE item (id int PRIMARY KEY)");
            pair.awaitReplicaCaughtUp();
            String primaryHost = pair.host() + ":" + pair.primaryPort();
            String replicaHost = pair.host() + ":" + pair.replicaPort();
            PrimaryResolver resolver = resolver(pair);
            Database main = database(resolver, primaryHost);
            try {
                assertThat(inNewUnitOfWork(insert(main, 1)).block(TestDatabase.TIMEOUT)).isEqualTo(1);
                assertThat(resolver.primary()).isEqualTo(primaryHost);

                pair.stopPrimary();
                List<Throwable> gapErrors = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    long started = System.nanoTime();
                    Throwable error = inNewUnitOfWork(insert(main, 100 + i)).then(Mono.<Throwable>empty())
                            .onErrorResume(Mono::just).block(TestDatabase.TIMEOUT);
                    Duration took = Duration.ofNanos(System.nanoTime() - started);
                    assertThat(error).as("a write while there is no primary").isNotNull();
                    assertThat(took).as("failing fast: %s", error).isLessThan(ACQUIRE_TIMEOUT.plusSeconds(2));
                    gapErrors.add(error);
                }
                // the first may meet a pooled connection the server closed; then there is no primary to be found
                assertThat(gapErrors).allMatch(error -> error instanceof PrimaryUnavailableException
                        || error instanceof R2dbcException);
                assertThat(gapErrors.get(gapErrors.size() - 1)).isInstanceOf(PrimaryUnavailableException.class)
                        .hasMessageContaining("No primary among the candidates");

                pair.promoteReplica();
                long promoted = System.nanoTime();
                Long written = null;
                int attempts = 0;
                while (written == null && System.nanoTime() - promoted < TestDatabase.TIMEOUT.toNanos()) {
                    attempts++;
                    written = inNewUnitOfWork(insert(main, 2)).onErrorResume(error -> Mono.empty())
                            .block(TestDatabase.TIMEOUT);
                }
                Duration recovery = Duration.ofNanos(System.nanoTime() - promoted);
                log.info("Failover drill: first write on the promoted replica {} ms after promotion, {} attempts",
                        recovery.toMillis(), attempts);
                assertThat(written).isEqualTo(1);
                assertThat(main.host()).isEqualTo(replicaHost);
                assertThat(resolver.primary()).isEqualTo(replicaHost);
                Long rows = inNewUnitOfWork(dbSession(main).flatMap(session -> session.sql("SELECT count(*) FROM item")
                        .one(row -> row.get(0, Long.class)))).block(TestDatabase.TIMEOUT);
                assertThat(rows).isEqualTo(2);
                assertThat(main.connectionsInUse()).isZero();
            } finally {
                main.close().block(TestDatabase.TIMEOUT);
            }
        }
    }
}
