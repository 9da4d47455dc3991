package io.github.contextr2dbc;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.util.RaceTestUtils;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pipelined commit that reads the WAL position ({@link CommitLsn}) attacked with cancels at every point,
 * against the real primary: on a bare connection, and through sessions of a primary with a replica.
 */
class CommitLsnIT {

    private static final Logger log = LoggerFactory.getLogger(CommitLsnIT.class);

    private static final int ROUNDS = 300;

    private final TestDatabase pg = new TestDatabase("commit_lsn");

    private final Database main = this.pg.handle("main", builder -> builder.maxSize(4));

    private final Database replica = Database.builder("replica").url(this.pg.pair.replicaUrl(this.pg.name))
            .maxSize(2).replicaOf(this.main).build();

    CommitLsnIT() {
        this.pg.execute("CREATE TABLE item (id int PRIMARY KEY)");
    }

    @AfterEach
    void close() {
        this.replica.close().block(TestDatabase.TIMEOUT);
        this.main.close().block(TestDatabase.TIMEOUT);
    }

    private static Mono<Void> run(Connection connection, String sql) {
        return Flux.from(connection.createStatement(sql).execute()).concatMap(Result::getRowsUpdated).then();
    }

    private static Mono<String> text(Connection connection, String sql) {
        return Flux.from(connection.createStatement(sql).execute())
                .concatMap(result -> result.map(row -> String.valueOf(row.get(0)))).next();
    }

    /** Spins for up to {@code maxMicros} (0: not at all), so that a cancel lands at a different point each round. */
    private static void pause(int maxMicros) {
        int micros = ThreadLocalRandom.current().nextInt(maxMicros + 1);
        if (micros > 0) {
            LockSupport.parkNanos(micros * 1_000L);
        }
    }

    /**
     * One connection, {@value #ROUNDS} transactions, each commit cancelled at a random point (before anything
     * is sent, between the commit's answer and the position's, after both). After each: the connection answers
     * the next statement with its own result (nothing of the cancelled exchange is left in the way), the
     * transaction either committed (its row visible from another connection) or is still open and rolls back,
     * and the driver's transaction state agrees with the server's.
     */
    @Test
    void aCommitCancelledAnywhereLeavesTheConnectionInStepAndTheTransactionWholeOrAbsent() {
        Connection connection = Mono.from(ConnectionFactories.get(this.pg.url).create()).block(TestDatabase.TIMEOUT);
        Connection observer = Mono.from(ConnectionFactories.get(this.pg.url).create()).block(TestDatabase.TIMEOUT);
        int committed = 0;
        int open = 0;
        try {
            for (int i = 0; i < ROUNDS; i++) {
                Mono.from(connection.beginTransaction()).then(run(connection, "INSERT INTO item VALUES (" + i + ")"))
                        .block(TestDatabase.TIMEOUT);
                Disposable commit = CommitLsn.commit(connection).subscribe(lsn -> { }, error -> { });
                pause(i % 3 == 0 ? 0 : 1500);
                commit.dispose();

                assertThat(text(connection, "SELECT " + (1000 + i)).block(TestDatabase.TIMEOUT))
                        .as("round %d: the next statement's own answer", i).isEqualTo(String.valueOf(1000 + i));
                String visible = text(observer, "SELECT count(*) FROM item WHERE id = " + i)
                        .block(TestDatabase.TIMEOUT);
                String inTransaction = text(connection, "SELECT now() <> statement_timestamp()")
                        .block(TestDatabase.TIMEOUT);
                if ("1".equals(visible)) {
                    committed++;
                    assertThat(inTransaction).as("round %d: committed, so no transaction is open", i)
                            .isEqualTo("false");
                    assertThat(connection.isAutoCommit()).as("round %d: the driver saw the commit", i).isTrue();
                } else {
                    open++;
                    assertThat(visible).isEqualTo("0");
                    assertThat(inTransaction).as("round %d: not committed, so still in the transaction", i)
                            .isEqualTo("true");
                    run(connection, "ROLLBACK").block(TestDatabase.TIMEOUT);
                }
                assertThat(text(observer, "SELECT count(*) FROM item WHERE id = " + i).block(TestDatabase.TIMEOUT))
                        .as("round %d: the outcome does not change afterwards", i).isEqualTo(visible);
            }
        } finally {
            Mono.from(connection.close()).block(TestDatabase.TIMEOUT);
            Mono.from(observer.close()).block(TestDatabase.TIMEOUT);
        }
        log.info("Cancelled commits on a bare connection: {} committed, {} not sent before the cancel", committed,
                open);
        assertThat(committed + open).isEqualTo(ROUNDS);
        assertThat(this.pg.idleInTransaction()).isZero();
    }

    private enum Outcome { COMMITTED, FAILED, CANCELLED }

    /**
     * Units of work on a primary with a replica (so their commits go through {@link CommitLsn}), each cancelled
     * in a race with its own end. Whatever the subscriber was told is true: a completion means the row is
     * there, an error that it is not; a cancel may leave either. No connection stays in use, no transaction
     * stays open.
     */
    @Test
    void unitsOfWorkCancelledInARaceWithTheirCommitReportTheTruthAndLeakNothing() throws InterruptedException {
        List<AtomicReference<Outcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            int id = 10_000 + i;
            AtomicReference<Outcome> outcome = new AtomicReference<>(Outcome.CANCELLED);
            outcomes.add(outcome);
            Mono<Long> work = inNewUnitOfWork(dbSession(this.main).flatMap(session -> session
                    .sql("INSERT INTO item VALUES ($1)").bind(0, id).rowsUpdated()));
            AtomicReference<Disposable> subscription = new AtomicReference<>();
            RaceTestUtils.race(Schedulers.boundedElastic(), // the pause parks: not on a non-blocking thread
                    () -> subscription.set(work.subscribe(n -> outcome.set(Outcome.COMMITTED),
                            error -> outcome.set(Outcome.FAILED))),
                    () -> {
                        pause(2000);
                        Disposable current = subscription.get();
                        if (current != null) {
                            current.dispose();
                        }
                    });
        }
        TestDatabase.awaitNoConnectionsInUse(this.main);
        assertThat(this.main.connectionsInUse()).isZero();
        assertThat(this.main.poolMetrics()).hasValueSatisfying(metrics -> assertThat(metrics.acquiredSize()).isZero());
        assertThat(this.pg.idleInTransaction()).isZero();
        List<String> rows = this.pg.queryStrings("SELECT id FROM item WHERE id >= 10000");
        int reportedCommitted = 0;
        for (int i = 0; i < ROUNDS; i++) {
            String id = String.valueOf(10_000 + i);
            Outcome outcome = outcomes.get(i).get();
            if (outcome == Outcome.COMMITTED) {
                reportedCommitted++;
                assertThat(rows).as("unit of work %s reported committed", id).contains(id);
            } else if (outcome == Outcome.FAILED) {
                assertThat(rows).as("unit of work %s reported failed", id).doesNotContain(id);
            }
        }
        log.info("Units of work raced with a cancel: {} reported committed, {} failed, {} cancelled; {} rows",
                reportedCommitted, outcomes.stream().filter(o -> o.get() == Outcome.FAILED).count(),
                outcomes.stream().filter(o -> o.get() == Outcome.CANCELLED).count(), rows.size());
        assertThat(rows.size()).isGreaterThanOrEqualTo(reportedCommitted);
    }
}
