package io.github.contextr2dbc;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;

/** Cancelling anywhere rolls back and releases: acquire, statement, commit. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CancellationIT {

    private final TestDatabase pg = new TestDatabase("cancel");

    // a small pool, so that many units of work are cancelled while waiting to acquire
    private final Database db = this.pg.handle("main", builder -> builder.maxSize(4));

    CancellationIT() {
        this.pg.execute("CREATE TABLE item (id int, payload text)");
    }

    @AfterAll
    void closeDatabase() {
        this.db.close().block(TestDatabase.TIMEOUT);
    }

    private Mono<Void> work(int id) {
        return dbSession(this.db).flatMap(session -> session.sql("INSERT INTO item VALUES ($1, $2)").bind(0, id)
                .bind(1, "x").rowsUpdated()
                .then(session.sql("SELECT pg_sleep(0.001 * $1)").bind(0, (double) (id % 5)).execute())
                .then(session.sql("SELECT id FROM item WHERE id = $1").bind(0, id).map(row -> row.get(0)).then()));
    }

    @Test
    void aThousandUnitsOfWorkCancelledAtRandomPointsLeaveNoConnectionAndNoOpenTransaction() throws Exception {
        AtomicInteger cancelled = new AtomicInteger();
        AtomicInteger completed = new AtomicInteger();
        Flux.range(0, 1000)
                .flatMap(i -> inNewUnitOfWork(work(i))
                        .timeout(Duration.ofMillis(ThreadLocalRandom.current().nextInt(0, 12)))
                        .doOnSuccess(ignored -> completed.incrementAndGet())
                        .onErrorResume(TimeoutException.class, timeout -> {
                            cancelled.incrementAndGet();
                            return Mono.empty();
                        }), 32)
                .blockLast(Duration.ofMinutes(2));
        TestDatabase.awaitNoConnectionsInUse(this.db);

        assertThat(cancelled.get()).as("some units of work were cancelled").isGreaterThan(100);
        assertThat(completed.get() + cancelled.get()).isEqualTo(1000);
        assertThat(this.db.connectionsInUse()).isZero();
        assertThat(this.db.poolMetrics()).hasValueSatisfying(metrics -> assertThat(metrics.acquiredSize()).isZero());
        assertThat(this.pg.idleInTransaction())
                .as("sessions idle in transaction: %s",
                        this.pg.queryStrings(
                        "SELECT state || ' / ' || query || ' / ' || coalesce(backend_xid::text, '-') "
                                + "FROM pg_stat_activity WHERE datname = '" + this.pg.name + "'"))
                .isZero();
        // every completed unit of work committed exactly its own row; cancelled ones may or may not have
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isBetween((long) completed.get(), 1000L);
    }

    @Test
    void cancellingDuringCommitStillCommitsAndReleases() throws Exception {
        this.pg.execute("DELETE FROM item");
        UnitOfWork unitOfWork = UnitOfWork.create();
        StepVerifier.create(dbSession(this.db)
                        .flatMap(session -> session.sql("INSERT INTO item VALUES (42, 'committed')").rowsUpdated())
                        .contextWrite(unitOfWork.bind()))
                .expectNext(1L)
                .verifyComplete();
        // the commit is subscribed, and its subscriber goes away at once
        StepVerifier.create(unitOfWork.commit()).thenCancel().verify(TestDatabase.TIMEOUT);
        TestDatabase.awaitNoConnectionsInUse(this.db);
        assertThat(this.db.connectionsInUse()).isZero();
        assertThat(this.pg.idleInTransaction()).isZero();
        assertThat(this.pg.queryStrings("SELECT payload FROM item WHERE id = 42")).containsExactly("committed");
    }

    @Test
    void cancellingMidStatementRollsBack() throws Exception {
        this.pg.execute("DELETE FROM item");
        StepVerifier.create(inNewUnitOfWork(dbSession(this.db).flatMap(session -> session
                        .sql("INSERT INTO item VALUES (7, 'never')").rowsUpdated()
                        .then(session.sql("SELECT pg_sleep(1)").execute()))))
                .thenAwait(Duration.ofMillis(200))
                .thenCancel()
                .verify(TestDatabase.TIMEOUT);
        TestDatabase.awaitNoConnectionsInUse(this.db);
        assertThat(this.db.connectionsInUse()).isZero();
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isZero();
    }

    @Test
    void cancellingWhileWaitingForAConnectionLeavesNothingBehind() throws Exception {
        // hold every connection, then cancel units of work that wait for one
        Mono<Void> hold = inNewUnitOfWork(dbSession(this.db)
                .flatMap(session -> session.sql("SELECT pg_sleep(0.3)").execute()));
        Flux<Void> holders = Flux.range(0, 4).flatMap(i -> hold);
        Flux<Void> waiters = Flux.range(0, 20).flatMap(i -> inNewUnitOfWork(work(i)).timeout(Duration.ofMillis(50))
                .onErrorResume(TimeoutException.class, e -> Mono.empty()));
        StepVerifier.create(Flux.merge(holders, Flux.defer(() -> waiters).delaySubscription(Duration.ofMillis(20))))
                .verifyComplete();
        TestDatabase.awaitNoConnectionsInUse(this.db);
        assertThat(this.db.connectionsInUse()).isZero();
        assertThat(this.db.poolMetrics()).hasValueSatisfying(metrics -> {
            assertThat(metrics.acquiredSize()).isZero();
            assertThat(metrics.pendingAcquireSize()).isZero();
        });
        assertThat(this.pg.idleInTransaction()).isZero();
    }
}
