package io.github.contextr2dbc;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.R2dbcException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static io.github.contextr2dbc.Atomic.atomic;
import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;

/** Django's atomic semantics, checked row by row against the real primary. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AtomicIT {

    private final TestDatabase pg = new TestDatabase("atomic");

    private final Database db = this.pg.handle("main");

    private final List<String> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void freshTable() {
        this.pg.execute("DROP TABLE IF EXISTS item", "CREATE TABLE item (id int PRIMARY KEY)");
        this.events.clear();
    }

    @AfterEach
    void nothingLeaks() throws InterruptedException {
        TestDatabase.awaitNoConnectionsInUse(this.db);
        assertThat(this.db.connectionsInUse()).isZero();
        assertThat(this.pg.idleInTransaction()).isZero();
    }

    @AfterAll
    void closeDatabase() {
        this.db.close().block(TestDatabase.TIMEOUT);
    }

    private Mono<Void> insert(int id) {
        return dbSession(this.db).flatMap(s -> s.sql("INSERT INTO item VALUES ($1)").bind(0, id).execute());
    }

    private <T> Mono<T> block(Mono<T> body) {
        return body.transform(atomic(this.db)::wrap);
    }

    private static <T> Mono<T> fail(String message) {
        return Mono.error(new IllegalStateException(message));
    }

    private List<String> rows() {
        return this.pg.queryStrings("SELECT id FROM item ORDER BY id");
    }

    private void run(Mono<?> work) {
        inNewUnitOfWork(work.then()).block(TestDatabase.TIMEOUT);
    }

    @Test
    void threeLevelsWithAFailureCaughtInTheMiddleKeepEverythingButTheFailedSavepoint() {
        run(block(insert(1)
                .then(block(insert(2)
                        .then(block(insert(3).then(fail("inner")))
                                .onErrorResume(IllegalStateException.class, e -> insert(4)))))
                .then(insert(5))));
        assertThat(rows()).containsExactly("1", "2", "4", "5");
    }

    @Test
    void aFailedMiddleBlockCaughtByTheOutermostDropsItsInnerCommittedSavepointToo() {
        run(block(insert(1)
                .then(block(insert(2).then(block(insert(3))).then(fail("middle")))
                        .onErrorResume(IllegalStateException.class, e -> insert(6)))));
        assertThat(rows()).containsExactly("1", "6");
    }

    @Test
    void aFailedOutermostBlockRollsBackEveryLevelAndPassesTheErrorOn() {
        StepVerifier.create(inNewUnitOfWork(block(insert(1).then(block(insert(2).then(block(insert(3)))))
                .then(fail("outer")))))
                .expectErrorMessage("outer")
                .verify(TestDatabase.TIMEOUT);
        assertThat(rows()).isEmpty();
    }

    @Test
    void afterADatabaseErrorTheBlockRefusesStatementsUntilItRollsBackToItsSavepoint() {
        Mono<String> inner = block(insert(1)
                .then(insert(1).onErrorResume(R2dbcException.class, duplicate -> Mono.empty()))
                .then(insert(2))
                .thenReturn("not reached"));
        run(block(inner
                .onErrorResume(TransactionAbortedException.class, refused -> {
                    this.events.add(refused.getMessage());
                    return Mono.just("caught");
                })
                .flatMap(result -> insert(3).thenReturn(result))));
        assertThat(this.events).singleElement().asString()
                .contains("no statement can run in it until the atomic block ends and rolls back");
        // the inner block rolled back to its savepoint; the outermost went on and committed
        assertThat(rows()).containsExactly("3");
    }

    @Test
    void aFailureInABlockWithoutSavepointMarksTheEnclosingBlockRollbackOnly() {
        run(block(insert(1)
                .then(atomic(this.db).savepoint(false).wrap(insert(2)
                        .then(Mono.<Void>error(new IllegalStateException("inner")))))
                .onErrorResume(IllegalStateException.class, e -> Atomic.isRollbackOnly(this.db)
                        .doOnNext(rollbackOnly -> this.events.add("rollbackOnly=" + rollbackOnly)).then())));
        assertThat(this.events).containsExactly("rollbackOnly=true");
        assertThat(rows()).isEmpty();
    }

    @Test
    void setRollbackOnlyRollsTheInnermostBlockBackWithoutAnError() {
        run(block(insert(1)
                .then(block(insert(2).then(Atomic.setRollbackOnly(this.db))))
                .then(insert(3))));
        assertThat(rows()).containsExactly("1", "3");
        StepVerifier.create(inNewUnitOfWork(Atomic.setRollbackOnly(this.db)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("inside an atomic block"))
                .verify(TestDatabase.TIMEOUT);
        StepVerifier.create(inNewUnitOfWork(Atomic.isRollbackOnly(this.db))).expectNext(false).verifyComplete();
    }

    @Test
    void aDurableBlockNestedInAnotherIsRefusedAndTheOutermostOneWorks() {
        StepVerifier.create(inNewUnitOfWork(block(insert(1).then(atomic(this.db).durable(true).wrap(insert(2))))))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("durable"))
                .verify(TestDatabase.TIMEOUT);
        assertThat(rows()).isEmpty();
        run(atomic(this.db).durable(true).wrap(insert(3)));
        assertThat(rows()).containsExactly("3");
    }

    @Test
    void existingCommitCommitsTheOpenTransactionFirst() {
        run(insert(1).then(atomic(this.db).existing(Atomic.Existing.COMMIT).wrap(insert(2).then(fail("block"))))
                .onErrorResume(IllegalStateException.class, e -> UnitOfWork.rollbackCurrent()));
        assertThat(rows()).containsExactly("1");
    }

    @Test
    void existingRollbackDropsTheOpenTransactionFirst() {
        run(insert(1).then(atomic(this.db).existing(Atomic.Existing.ROLLBACK).wrap(insert(2)))
                .then(UnitOfWork.rollbackCurrent()));
        assertThat(rows()).containsExactly("2");
    }

    @Test
    void existingJoinMakesEarlierStatementsShareTheBlocksFate() {
        run(insert(1).then(atomic(this.db).existing(Atomic.Existing.JOIN).wrap(insert(2)))
                .then(UnitOfWork.rollbackCurrent()));
        assertThat(rows()).containsExactly("1", "2");
        this.pg.execute("DELETE FROM item");
        run(insert(1).then(block(insert(2).then(fail("block")))).onErrorResume(IllegalStateException.class,
                e -> Mono.empty()));
        assertThat(rows()).isEmpty();
    }

    @Test
    void existingFailRefusesToStartAndSaysWhatToDo() {
        StepVerifier.create(inNewUnitOfWork(insert(1).then(atomic(this.db)
                .existing(Atomic.Existing.FAIL).wrap(insert(2)))))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("existing(COMMIT | ROLLBACK | JOIN)"))
                .verify(TestDatabase.TIMEOUT);
        assertThat(rows()).isEmpty();
    }

    private Mono<Void> record(String event) {
        return Mono.fromRunnable(() -> this.events.add(event));
    }

    /** What a hook sees from outside the transaction: committed rows only. */
    private Mono<Void> recordCommittedRows(String event) {
        return inNewUnitOfWork(dbSession(this.db).flatMap(s -> s.sql("SELECT count(*) FROM item")
                .one(r -> r.get(0, Long.class))))
                .doOnNext(count -> this.events.add(event + " sees " + count))
                .then();
    }

    @Test
    void onCommitHooksRunAfterTheCommitInOrderAndThoseOfARolledBackSavepointAreDropped() {
        run(block(insert(1)
                .then(Atomic.onCommit(this.db, recordCommittedRows("A")))
                .then(Atomic.beforeCommit(this.db, record("before")))
                .then(block(insert(2).then(Atomic.onCommit(this.db, record("B dropped"))).then(fail("inner")))
                        .onErrorResume(IllegalStateException.class, e -> Mono.empty()))
                .then(block(insert(3).then(Atomic.onCommit(this.db, record("C")))))
                .then(record("body done"))));
        assertThat(this.events).containsExactly("body done", "before", "A sees 2", "C");
        assertThat(rows()).containsExactly("1", "3");
    }

    @Test
    void aFailingBeforeCommitHookVetoesTheCommit() {
        StepVerifier.create(inNewUnitOfWork(block(insert(1)
                        .then(Atomic.onCommit(this.db, record("never")))
                        .then(Atomic.beforeCommit(this.db, fail("vetoed"))))))
                .expectErrorMessage("vetoed")
                .verify(TestDatabase.TIMEOUT);
        assertThat(this.events).isEmpty();
        assertThat(rows()).isEmpty();
    }

    @Test
    void aRobustHookFailureIsLoggedAndTheRestRunWhileAPlainOneStopsTheRestAndIsReported() {
        run(block(insert(1)
                .then(Atomic.onCommit(this.db, fail("robust hook"), true))
                .then(Atomic.onCommit(this.db, record("after robust")))));
        assertThat(this.events).containsExactly("after robust");
        this.events.clear();
        StepVerifier.create(inNewUnitOfWork(block(insert(2)
                        .then(Atomic.onCommit(this.db, fail("plain hook")))
                        .then(Atomic.onCommit(this.db, record("not run"))))))
                .expectErrorMessage("plain hook")
                .verify(TestDatabase.TIMEOUT);
        assertThat(this.events).isEmpty();
        assertThat(rows()).containsExactly("1", "2"); // committed all the same
    }

    @Test
    void hooksOutsideBlocksFollowTheUnitOfWorkAndRunAtOnceOutsideAnyTransaction() {
        run(Atomic.onCommit(this.db, record("at once")).then(insert(1)).then(Atomic.onCommit(this.db,
                recordCommittedRows("uow")))
                .then(record("body done")));
        assertThat(this.events).containsExactly("at once", "body done", "uow sees 1");
        this.events.clear();
        run(insert(2).then(Atomic.onCommit(this.db, record("dropped"))).then(UnitOfWork.rollbackCurrent()));
        assertThat(this.events).isEmpty();
    }

    @Test
    void sessionCommitAndRollbackAreRefusedInsideABlock() {
        StepVerifier.create(inNewUnitOfWork(block(insert(1).then(dbSession(this.db).flatMap(DbSession::commit)))))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("commit() is refused inside an atomic block"))
                .verify(TestDatabase.TIMEOUT);
        StepVerifier.create(inNewUnitOfWork(block(dbSession(this.db).flatMap(DbSession::rollback))))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("rollback() is refused"))
                .verify(TestDatabase.TIMEOUT);
        assertThat(rows()).isEmpty();
    }

    @Test
    void theOutermostBlockSetsIsolationAndReadOnlyForItsTransactionOnly() {
        Mono<List<String>> settings = dbSession(this.db).flatMap(s -> Flux.concat(
                s.sql("SHOW transaction_isolation").one(r -> r.get(0, String.class)),
                s.sql("SHOW transaction_read_only").one(r -> r.get(0, String.class))).collectList());
        List<String> inside = inNewUnitOfWork(atomic(this.db).isolationLevel(IsolationLevel.SERIALIZABLE)
                .readOnly(true).wrap(settings)
                .flatMap(in -> settings.map(after -> List.of(in.get(0), in.get(1), after.get(0), after.get(1)))))
                .block(TestDatabase.TIMEOUT);
        assertThat(inside).containsExactly("serializable", "on", "read committed", "off");
        StepVerifier.create(inNewUnitOfWork(block(atomic(this.db).readOnly(true).wrap(insert(1)))))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("Only the outermost atomic block"))
                .verify(TestDatabase.TIMEOUT);
    }

    @Test
    void siblingBlocksRunningAtTheSameTimeOnOneSessionAreRefused() {
        Mono<Void> slow = block(insert(1).then(Mono.delay(Duration.ofMillis(200))).then());
        Mono<Void> other = block(Mono.delay(Duration.ofMillis(50)).then(insert(2)));
        StepVerifier.create(inNewUnitOfWork(Mono.when(slow, other)))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("Another atomic block is running"))
                .verify(TestDatabase.TIMEOUT);
        assertThat(rows()).isEmpty();
    }

    @Test
    void cancellingAtEveryLevelRollsBackAndLeaksNothing() throws InterruptedException {
        for (int level = 1; level <= 3; level++) {
            Mono<Void> sleeper = dbSession(this.db).flatMap(s -> s.sql("SELECT pg_sleep(0.2)").execute());
            Mono<Void> body = insert(level * 10).then(sleeper);
            for (int i = 1; i < level; i++) {
                body = insert(level * 10 + i).then(block(body));
            }
            StepVerifier.create(inNewUnitOfWork(block(body)))
                    .thenAwait(Duration.ofMillis(60))
                    .thenCancel()
                    .verify(TestDatabase.TIMEOUT);
            TestDatabase.awaitNoConnectionsInUse(this.db);
            assertThat(this.db.connectionsInUse()).isZero();
        }
        assertThat(rows()).isEmpty();
    }

    @Test
    void aFluxBodyStreamsTenThousandRowsInsideTheBlock() {
        this.pg.execute("CREATE TABLE IF NOT EXISTS big AS SELECT g AS n FROM generate_series(1, 10000) g");
        Flux<Integer> streamed = dbSession(this.db).flatMapMany(s -> s.sql("INSERT INTO item VALUES (1)").execute()
                .thenMany(s.sql("SELECT n FROM big ORDER BY n").map(r -> r.get(0, Integer.class))));
        StepVerifier.create(UnitOfWork.inNewUnitOfWork(atomic(this.db).wrap(streamed)).count())
                .expectNext(10_000L)
                .verifyComplete();
        assertThat(rows()).containsExactly("1");
        Flux<Integer> failingMidStream = streamed.map(n -> {
            if (n == 5_000) {
                throw new IllegalStateException("mid-stream");
            }
            return n;
        });
        this.pg.execute("DELETE FROM item");
        StepVerifier.create(UnitOfWork.inNewUnitOfWork(atomic(this.db).wrap(failingMidStream)).count())
                .expectErrorMessage("mid-stream")
                .verify(TestDatabase.TIMEOUT);
        assertThat(rows()).isEmpty();
    }
}
