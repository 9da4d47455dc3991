package io.github.contextr2dbc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import io.r2dbc.spi.R2dbcException;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link UnitOfWork#inNewUnitOfWork(Mono)} (the {@link NewUnitOfWork} operator) on a real PostgreSQL: commit
 * before the value, empty work, the work's error, a failing commit, cancel while working and while
 * committing, the outer unit of work left alone, and many concurrent units of work with random cancels.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NewUnitOfWorkIT {

    private final TestDatabase pg = new TestDatabase("newuow");

    private final Database db = this.pg.handle("main");

    /** A handle with a pool of its own, to look at the database from outside the unit of work under test. */
    private final Database observer = this.pg.handle("observer");

    /** A small pool, so that many concurrent units of work queue for a connection. */
    private final Database small = this.pg.handle("small", builder -> builder.maxSize(4));

    @BeforeEach
    void freshTables() {
        this.pg.execute(
                "DROP TABLE IF EXISTS item, deferred_unique, child, parent, slow_commit CASCADE",
                "CREATE TABLE item (id int PRIMARY KEY, note text)",
                "CREATE TABLE deferred_unique (id int, "
                        + "CONSTRAINT deferred_unique_id UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)",
                "CREATE TABLE parent (id int PRIMARY KEY)",
                "CREATE TABLE child (id int, parent_id int REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)",
                // a table whose COMMIT takes a second: a deferred constraint trigger sleeps when the commit runs it
                "CREATE TABLE slow_commit (id int)",
                "CREATE OR REPLACE FUNCTION sleep_at_commit() RETURNS trigger LANGUAGE plpgsql AS "
                        + "'BEGIN PERFORM pg_sleep(1); RETURN NULL; END'",
                "CREATE CONSTRAINT TRIGGER sleep_at_commit AFTER INSERT ON slow_commit DEFERRABLE INITIALLY DEFERRED "
                        + "FOR EACH ROW EXECUTE FUNCTION sleep_at_commit()");
    }

    @AfterAll
    void closeDatabases() {
        this.db.close().then(this.observer.close()).then(this.small.close()).block(TestDatabase.TIMEOUT);
    }

    private static Mono<Long> insert(DbSession session, int id) {
        return session.sql("INSERT INTO item (id, note) VALUES ($1, $2)").bind(0, id).bind(1, "item "
                + id).rowsUpdated();
    }

    private static Mono<Long> txid(DbSession session) {
        return session.sql("SELECT txid_current()").one(row -> row.get(0, Long.class));
    }

    /** Waits on the test thread (never a reactive one), boundedly, until {@code condition} holds. */
    private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        try {
            Awaitility.await().atMost(TestDatabase.TIMEOUT).pollInterval(Duration.ofMillis(10))
                    .until(condition::getAsBoolean);
        } catch (ConditionTimeoutException stillNot) {
            // not yet after the time limit: the caller's assertion says what is wrong
        }
    }

    /** Other sessions of the test database running a statement that starts with {@code prefix}. */
    private long activeStatements(String prefix) {
        return this.pg.queryLong("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + this.pg.name
                + "' AND pid <> pg_backend_pid() AND state = 'active' AND query ILIKE '" + prefix + "%'");
    }

    private void assertEverythingReleased(Database database) throws InterruptedException {
        TestDatabase.awaitNoConnectionsInUse(database);
        assertThat(database.connectionsInUse()).isZero();
        assertThat(database.poolMetrics()).hasValueSatisfying(metrics -> {
            assertThat(metrics.acquiredSize()).isZero();
            assertThat(metrics.pendingAcquireSize()).isZero();
        });
        assertThat(this.pg.idleInTransaction())
                .as("sessions idle in transaction: %s", this.pg.queryStrings("SELECT state || ' / ' || query FROM "
                        + "pg_stat_activity WHERE datname = '" + this.pg.name + "'"))
                .isZero();
    }

    /** What the subscriber could see of the unit of work at the moment the value (or completion) reached it. */
    private record AtArrival(boolean unitOfWorkEnded, boolean sessionConnected, boolean sessionInTransaction,
            int connectionsInUse) {
    }

    @Test
    void theValueIsPassedOnOnlyAfterTheUnitOfWorkHasCommittedAndClosed() throws Exception {
        AtomicReference<UnitOfWork> inner = new AtomicReference<>();
        AtomicReference<DbSession> innerSession = new AtomicReference<>();
        AtomicReference<AtArrival> atArrival = new AtomicReference<>();
        Mono<Long> work = UnitOfWork.current().doOnNext(inner::set)
                .then(dbSession(this.db))
                .doOnNext(innerSession::set)
                .flatMap(session -> insert(session, 1).then(txid(session)));

        // How the order is checked, without ever blocking a reactive thread:
        // 1. at the moment the value arrives (doOnNext, on whatever thread delivers it) we only READ state, no I/O:
        //    the inner unit of work must have ended (closed), its session must hold no connection and no open
        //    transaction, and the database must have no connection in use. The session gives its connection back
        //    only after the server has answered its COMMIT, so a value passed on before the commit (or between
        //    commit and close) is caught here: the session would still be connected / in a transaction, the
        //    unit of work not ended, a connection still in use.
        // 2. right after it (flatMap, subscribed from onNext) a non-blocking query on another Database, with its own
        //    pool, asks the server for txid_status() of the transaction the work ran in and counts the row. A query
        //    can only run after the value has arrived, so on its own it could not prove the order; it proves that
        //    what the session released was a *committed* transaction ('committed', row visible to another
        //    connection), not 'in progress' nor 'aborted'.
        Mono<List<Object>> observed = inNewUnitOfWork(work)
                .doOnNext(value -> atArrival.set(new AtArrival(inner.get().isEnded(), innerSession.get().isConnected(),
                        innerSession.get().inTransaction(), this.db.connectionsInUse())))
                .flatMap(transactionId -> this.observer.inSession(session -> session
                                .sql("SELECT txid_status($1), (SELECT count(*) FROM item WHERE id = 1)")
                                .bind(0, transactionId)
                                .one(row -> List.<Object>of(transactionId, row.get(0, String.class),
                                        row.get(1, Long.class))))
                        .single());

        StepVerifier.create(observed)
                .assertNext(seen -> {
                    assertThat(seen.get(1)).as("txid_status of the work's transaction, seen just after the value")
                            .isEqualTo("committed");
                    assertThat(seen.get(2)).as("the row, seen from another connection").isEqualTo(1L);
                })
                .expectComplete()
                .verify(TestDatabase.TIMEOUT);

        assertThat(atArrival.get()).isEqualTo(new AtArrival(true, false, false, 0));
        assertThat(inner.get().sessions()).isEmpty();
        assertThat(this.pg.queryStrings("SELECT note FROM item")).containsExactly("item 1");
        assertEverythingReleased(this.db);
    }

    @Test
    void anEmptyWorkCommitsBeforeCompleting() throws Exception {
        AtomicReference<UnitOfWork> inner = new AtomicReference<>();
        AtomicReference<DbSession> innerSession = new AtomicReference<>();
        AtomicReference<AtArrival> atCompletion = new AtomicReference<>();
        Mono<String> work = UnitOfWork.current().doOnNext(inner::set)
                .then(dbSession(this.db))
                .doOnNext(innerSession::set)
                .flatMap(session -> insert(session, 2))
                .then(Mono.empty());

        StepVerifier.create(inNewUnitOfWork(work)
                        .doOnSuccess(nothing -> atCompletion.set(new AtArrival(inner.get().isEnded(),
                                innerSession.get().isConnected(), innerSession.get().inTransaction(),
                                this.db.connectionsInUse()))))
                .expectComplete()
                .verify(TestDatabase.TIMEOUT);

        assertThat(atCompletion.get()).as("state when the completion arrived")
                .isEqualTo(new AtArrival(true, false, false, 0));
        assertThat(this.pg.queryStrings("SELECT id FROM item")).containsExactly("2");
        assertEverythingReleased(this.db);
    }

    @Test
    void anErrorOfTheWorkRollsBackAndReachesTheSubscriberUnchanged() throws Exception {
        IllegalStateException failure = new IllegalStateException("the work failed after its insert");
        AtomicBoolean inserted = new AtomicBoolean();
        Mono<Long> work = dbSession(this.db)
                .flatMap(session -> insert(session, 3))
                .doOnNext(rows -> inserted.set(true))
                .then(Mono.error(failure));

        StepVerifier.create(inNewUnitOfWork(work))
                .expectErrorSatisfies(error -> {
                    assertThat(error).isSameAs(failure);
                    assertThat(error.getSuppressed()).as("the rollback succeeded: nothing to add").isEmpty();
                })
                .verify(TestDatabase.TIMEOUT);

        assertThat(inserted).as("the insert ran before the error").isTrue();
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isZero();
        assertEverythingReleased(this.db);
    }

    @Test
    void aCommitFailingOnADeferredUniqueConstraintIsTheDriversErrorAndKeepsNothing() throws Exception {
        // both inserts succeed (the check is deferred); the COMMIT fails
        Mono<Long> work = dbSession(this.db).flatMap(session -> session.sql("INSERT INTO deferred_unique VALUES (1)")
                .rowsUpdated()
                .then(session.sql("INSERT INTO deferred_unique VALUES (1)").rowsUpdated()));

        // a value passed on despite the failed commit would fail the verification (unexpected onNext)
        StepVerifier.create(inNewUnitOfWork(work))
                .expectErrorSatisfies(error -> {
                    assertThat(error).isInstanceOf(R2dbcException.class);
                    assertThat(((R2dbcException) error).getSqlState()).isEqualTo("23505");
                    assertThat(error.getSuppressed()).as("the close after the failed commit succeeded").isEmpty();
                })
                .verify(TestDatabase.TIMEOUT);

        assertThat(this.pg.queryLong("SELECT count(*) FROM deferred_unique")).isZero();
        assertThat(this.db.connectionsInUse()).isZero();
        assertEverythingReleased(this.db);
    }

    @Test
    void aCommitFailingOnADeferredForeignKeyIsTheDriversErrorAndKeepsNothing() throws Exception {
        Mono<Long> work = dbSession(this.db).flatMap(session -> session.sql("INSERT INTO parent VALUES (1)")
                .rowsUpdated()
                .then(session.sql("INSERT INTO child VALUES (1, 1), (2, 99)").rowsUpdated()));

        StepVerifier.create(inNewUnitOfWork(work))
                .expectErrorSatisfies(error -> {
                    assertThat(error).isInstanceOf(R2dbcException.class);
                    assertThat(((R2dbcException) error).getSqlState()).isEqualTo("23503");
                })
                .verify(TestDatabase.TIMEOUT);

        assertThat(this.pg.queryLong("SELECT count(*) FROM parent")).isZero();
        assertThat(this.pg.queryLong("SELECT count(*) FROM child")).isZero();
        assertThat(this.db.connectionsInUse()).isZero();
        assertEverythingReleased(this.db);
    }

    @Test
    void cancellingWhileTheWorkWaitsAfterItsInsertRollsBackAndReleases() throws Exception {
        CountDownLatch inserted = new CountDownLatch(1);
        AtomicBoolean workCancelled = new AtomicBoolean();
        Mono<Long> work = dbSession(this.db)
                .flatMap(session -> insert(session, 5))
                .doOnNext(rows -> inserted.countDown())
                .then(Mono.<Long>never())
                .doOnCancel(() -> workCancelled.set(true));

        StepVerifier.create(inNewUnitOfWork(work))
                // tasks of the script run on the verifying (test) thread: blocking here is fine
                .then(() -> {
                    try {
                        assertThat(inserted.await(TestDatabase.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                        // the transaction with the row is open, its connection idle in it
                        awaitTrue(() -> this.pg.idleInTransaction() == 1);
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                    assertThat(this.pg.idleInTransaction()).isEqualTo(1);
                    assertThat(this.db.connectionsInUse()).isEqualTo(1);
                })
                .thenCancel()
                .verify(TestDatabase.TIMEOUT);

        assertThat(workCancelled).as("the work was cancelled").isTrue();
        assertEverythingReleased(this.db);
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isZero();
    }

    @Test
    void cancellingWhileTheWorksStatementRunsRollsBackAndReleases() throws Exception {
        CountDownLatch inserted = new CountDownLatch(1);
        Mono<Void> work = dbSession(this.db).flatMap(session -> insert(session, 6)
                .doOnNext(rows -> inserted.countDown())
                .then(session.sql("SELECT pg_sleep(2)").execute()));

        StepVerifier.create(inNewUnitOfWork(work))
                .then(() -> {
                    try {
                        assertThat(inserted.await(TestDatabase.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                        awaitTrue(() -> activeStatements("SELECT pg_sleep") == 1);
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                    assertThat(activeStatements("SELECT pg_sleep")).as("cancelled while the sleep runs").isEqualTo(1);
                })
                .thenCancel()
                .verify(TestDatabase.TIMEOUT);

        assertEverythingReleased(this.db);
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isZero();
    }

    @Test
    void cancellingWhileTheCommitRunsLetsTheCommitFinish() throws Exception {
        AtomicBoolean valuePassedOn = new AtomicBoolean();
        Mono<Long> work = dbSession(this.db).flatMap(session -> session.sql("INSERT INTO slow_commit VALUES (7)")
                .rowsUpdated());

        StepVerifier.create(inNewUnitOfWork(work).doOnNext(rows -> valuePassedOn.set(true)))
                .then(() -> {
                    try {
                        // the deferred trigger keeps the COMMIT running for a second
                        awaitTrue(() -> activeStatements("COMMIT") == 1);
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                    assertThat(activeStatements("COMMIT")).as("cancelled while the COMMIT runs").isEqualTo(1);
                })
                .thenCancel()
                .verify(TestDatabase.TIMEOUT);

        assertEverythingReleased(this.db);
        assertThat(this.pg.queryStrings("SELECT id FROM slow_commit")).as("the commit finished").containsExactly("7");
        assertThat(valuePassedOn).as("no value after the cancel").isFalse();
    }

    @Test
    void theOuterUnitOfWorkStaysCurrentAndOpenAroundANewOne() throws Exception {
        UnitOfWork outer = UnitOfWork.create();
        AtomicReference<UnitOfWork> inner = new AtomicReference<>();
        // outer: insert 1, inner (own unit of work): insert 2, outer again: insert 3 in the same transaction
        Mono<List<Object>> work = UnitOfWork.current().flatMap(before -> dbSession(this.db)
                .flatMap(outerSession -> insert(outerSession, 1).then(txid(outerSession))
                        .flatMap(outerTxid -> inNewUnitOfWork(UnitOfWork.current().doOnNext(inner::set)
                                        .then(dbSession(this.db))
                                        .flatMap(innerSession -> insert(innerSession, 2).then(txid(innerSession))))
                                .flatMap(innerTxid -> UnitOfWork.current().flatMap(after -> insert(outerSession, 3)
                                        .then(txid(outerSession))
                                        .map(outerTxidAgain -> List.<Object>of(before, inner.get(), after,
                                                after.isEnded(), inner.get().isEnded(), outerSession.inTransaction(),
                                                outerTxid, innerTxid, outerTxidAgain)))))));

        List<Object> seen = work.contextWrite(outer.bind()).block(TestDatabase.TIMEOUT);
        try {
            assertThat(seen.get(0)).as("current before").isSameAs(outer);
            assertThat(seen.get(1)).as("current inside inNewUnitOfWork").isNotNull().isNotSameAs(outer);
            assertThat(seen.get(2)).as("current after").isSameAs(outer);
            assertThat(seen.get(3)).as("outer ended after the inner one").isEqualTo(false);
            assertThat(seen.get(4)).as("inner ended").isEqualTo(true);
            assertThat(seen.get(5)).as("outer session still in its transaction").isEqualTo(true);
            assertThat(seen.get(7)).as("inner transaction").isNotEqualTo(seen.get(6));
            assertThat(seen.get(8)).as("outer transaction after the inner one").isEqualTo(seen.get(6));
            assertThat(outer.isEnded()).isFalse();
            assertThat(outer.sessions()).hasSize(1);
            assertThat(outer.sessions().get(0).inTransaction()).isTrue();
            // the inner commit is visible while the outer transaction is still open and uncommitted
            assertThat(this.pg.queryStrings("SELECT id FROM item ORDER BY id")).containsExactly("2");
            assertThat(this.db.connectionsInUse()).as("the outer session's connection").isEqualTo(1);
        } finally {
            outer.rollback().then(outer.close()).block(TestDatabase.TIMEOUT);
        }
        // the outer rollback drops 1 and 3; the inner unit of work committed 2 on its own
        assertThat(this.pg.queryStrings("SELECT id FROM item ORDER BY id")).containsExactly("2");
        assertEverythingReleased(this.db);
    }

    @Test
    void twoHundredConcurrentUnitsOfWorkWithRandomCancelsOnAPoolOfFourCommitEveryNonCancelledOne() throws Exception {
        int count = 200;
        Random random = new Random(20240517L);
        boolean[] toCancel = new boolean[count];
        long[] cancelAfterMillis = new long[count];
        int scheduledCancels = 0;
        for (int i = 0; i < count; i++) {
            toCancel[i] = random.nextInt(3) == 0;
            cancelAfterMillis[i] = random.nextInt(800);
            scheduledCancels += toCancel[i] ? 1 : 0;
        }
        assertThat(scheduledCancels).as("about a third are to be cancelled").isBetween(50, 85);

        Set<Integer> passedOn = ConcurrentHashMap.newKeySet();
        Flux.range(0, count)
                .flatMap(i -> {
                    Mono<Integer> unit = inNewUnitOfWork(dbSession(this.small)
                            .flatMap(session -> insert(session, i)
                                    .then(session.sql("SELECT pg_sleep(0.005)").execute()))
                            .thenReturn(i));
                    if (toCancel[i]) {
                        // cancels the unit of work (and completes empty) unless its value came first
                        unit = unit.takeUntilOther(Mono.delay(Duration.ofMillis(cancelAfterMillis[i])));
                    }
                    return unit.doOnNext(passedOn::add);
                }, count)
                .then()
                .block(Duration.ofMinutes(2));

        assertEverythingReleased(this.small);

        Set<Integer> notCancelled = new HashSet<>();
        List<Integer> cancelledBeforeTheirValue = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (!toCancel[i]) {
                notCancelled.add(i);
            } else if (!passedOn.contains(i)) {
                cancelledBeforeTheirValue.add(i);
            }
        }
        Set<Integer> committed = new HashSet<>();
        for (String id : this.pg.queryStrings("SELECT id FROM item")) {
            committed.add(Integer.valueOf(id));
        }
        assertThat(passedOn).as("every unit of work not cancelled passed its value on").containsAll(notCancelled);
        assertThat(committed).as("every value passed on was committed first").containsAll(passedOn);
        assertThat(committed).allSatisfy(id -> assertThat(id).isBetween(0, count - 1));
        assertThat(cancelledBeforeTheirValue).as("some cancels hit units of work before their value").isNotEmpty();
        // a cancelled one may have committed (the cancel came during its commit) or not; nothing else is allowed
        assertThat(committed.size()).isBetween(passedOn.size(), passedOn.size() + cancelledBeforeTheirValue.size());
    }
}
