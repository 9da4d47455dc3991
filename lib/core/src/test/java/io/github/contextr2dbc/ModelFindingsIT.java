package io.github.contextr2dbc;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;

import io.r2dbc.spi.R2dbcException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static io.github.contextr2dbc.Atomic.atomic;
import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Defects found by the randomized model test ({@code model.SessionMachineModelIT}), each reduced to a
 * program small enough to read, against the real primary: where a rollback-only mark belongs, what a
 * partial commit still owes to the database that committed, and what {@code DbSession.close()} may do
 * inside a block.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelFindingsIT {

    private final TestDatabase pg = new TestDatabase("findings");

    private final TestDatabase otherPg = new TestDatabase("findings_other");

    // built in this order: "main" commits before "other"
    private final Database db = this.pg.handle("main");

    private final Database other = this.otherPg.handle("other");

    private final List<String> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void freshTables() {
        for (TestDatabase database : List.of(this.pg, this.otherPg)) {
            database.execute("DROP TABLE IF EXISTS item, late CASCADE",
                    "CREATE TABLE item (id int PRIMARY KEY)",
                    // a row in "late" is refused when its transaction commits, by a deferred constraint trigger
                    "CREATE TABLE late (id int)",
                    "CREATE OR REPLACE FUNCTION late_refused() RETURNS trigger LANGUAGE plpgsql AS "
                            + "$$ BEGIN RAISE EXCEPTION 'a late row is refused at commit'; END $$",
                    "CREATE CONSTRAINT TRIGGER late_check AFTER INSERT ON late DEFERRABLE INITIALLY DEFERRED "
                            + "FOR EACH ROW EXECUTE FUNCTION late_refused()");
        }
        this.events.clear();
    }

    @AfterEach
    void nothingLeaks() throws InterruptedException {
        for (Database database : List.of(this.db, this.other)) {
            TestDatabase.awaitNoConnectionsInUse(database);
            assertThat(database.connectionsInUse()).isZero();
        }
        assertThat(this.pg.idleInTransaction()).isZero();
        assertThat(this.otherPg.idleInTransaction()).isZero();
    }

    @AfterAll
    void closeDatabases() {
        this.db.close().then(this.other.close()).block(TestDatabase.TIMEOUT);
    }

    private Mono<Void> insert(int id) {
        return insert(this.db, id);
    }

    private static Mono<Void> insert(Database database, int id) {
        return dbSession(database).flatMap(s -> s.sql("INSERT INTO item VALUES ($1)").bind(0, id).execute());
    }

    private Mono<Void> sql(String sql) {
        return dbSession(this.db).flatMap(s -> s.sql(sql).execute());
    }

    private <T> Mono<T> block(Mono<T> body) {
        return body.transform(atomic(this.db)::wrap);
    }

    private Mono<Void> setRollbackOnly() {
        return Atomic.setRollbackOnly(this.db);
    }

    private Mono<Void> record(String event) {
        return Mono.fromRunnable(() -> this.events.add(event));
    }

    private List<String> rows() {
        return this.pg.queryStrings("SELECT * FROM item ORDER BY 1");
    }

    private void run(Mono<?> work) {
        inNewUnitOfWork(work.then()).block(TestDatabase.TIMEOUT);
    }

    private static <T> Mono<T> swallowTimeout(Mono<T> work, long millis) {
        return work.timeout(Duration.ofMillis(millis)).onErrorResume(TimeoutException.class, timeout -> Mono.empty());
    }

    // ---- a rollback-only mark ends with the block it was set in ----

    @Test
    void aMarkOnAnOutermostBlockThatRanNoStatementEndsWithTheBlock() {
        run(block(setRollbackOnly()).then(insert(1)));
        assertThat(rows()).as("the statement after the marked block runs in a transaction of its own")
                .containsExactly("1");

        // the same block left by a cancel
        run(swallowTimeout(block(setRollbackOnly().then(Mono.never())), 100).then(insert(2)));
        assertThat(rows()).containsExactly("1", "2");

        // the next block commits, and its before-commit hook runs
        run(block(setRollbackOnly())
                .then(block(insert(3).then(Atomic.beforeCommit(this.db, record("before 3")))
                        .then(Atomic.onCommit(this.db, record("after 3"))))));
        assertThat(rows()).containsExactly("1", "2", "3");
        assertThat(this.events).containsExactly("before 3", "after 3");
    }

    @Test
    void aNestedBlockEnteredAfterTheMarkDoesNotEraseIt() {
        run(block(setRollbackOnly().then(block(Mono.empty())).then(insert(4))));
        assertThat(rows()).as("the marked block rolls back").isEmpty();

        StepVerifier.create(inNewUnitOfWork(block(setRollbackOnly()
                        .then(block(Atomic.isRollbackOnly(this.db)))
                        .zipWith(Atomic.isRollbackOnly(this.db)))))
                .assertNext(inAndAfter -> {
                    assertThat(inAndAfter.getT1()).as("inside the nested block: its work will be rolled back").isTrue();
                    assertThat(inAndAfter.getT2()).as("after it: the outer block is still marked").isTrue();
                })
                .verifyComplete();

        // a nested block with a statement of its own, and one without a savepoint
        run(block(setRollbackOnly().then(block(insert(5))).then(atomic(this.db).savepoint(false).wrap(insert(6)))
                .then(insert(7))));
        assertThat(rows()).isEmpty();

        // a mark set in a nested block still ends with that block (Django: the innermost block rolls back)
        run(block(insert(8).then(block(insert(9).then(setRollbackOnly()))).then(insert(10))));
        assertThat(rows()).containsExactly("8", "10");
    }

    @Test
    void aMarkSetWhileACancelledNestedBlockIsStillBeingLeftIsKept() {
        // the nested block is cancelled while it waits behind the pg_sleep; the mark is set right after the
        // cancel, before that block's entry-and-exit runs in the session's queue
        run(block(insert(1).then(Mono.when(
                sql("SELECT pg_sleep(1)"),
                swallowTimeout(block(insert(2).then(Mono.never())), 100).then(setRollbackOnly())))));
        assertThat(rows()).as("the outer block was marked after its nested block was cancelled").isEmpty();

        // the nested block runs, and is cancelled while a statement of the outer block holds the session
        run(block(insert(3).then(Mono.when(
                Mono.delay(Duration.ofMillis(50)).then(sql("SELECT pg_sleep(1)")),
                swallowTimeout(block(insert(4).then(Mono.never())), 300).then(setRollbackOnly())))));
        assertThat(rows()).isEmpty();
    }

    @Test
    void aBlockEnteredInsideAMarkedBlockHasNoSavepointSoAFailureInItIsNotForgotten() {
        // as in Django: the transaction rolls back anyway, so the failure stays the enclosing block's
        StepVerifier.create(inNewUnitOfWork(block(setRollbackOnly()
                        .then(block(sql("SELECT 1/0").onErrorResume(R2dbcException.class, e -> Mono.empty())))
                        .then(insert(6)))))
                .expectError(TransactionAbortedException.class)
                .verify(TestDatabase.TIMEOUT);
        assertThat(rows()).isEmpty();

        // not marked: the nested block rolls back to its savepoint and the enclosing block goes on
        run(block(block(sql("SELECT 1/0").onErrorResume(R2dbcException.class, e -> Mono.empty())).then(insert(7))));
        assertThat(rows()).containsExactly("7");
    }

    // ---- hooks registered outside blocks ----

    @Test
    void aHookRegisteredWhileACancelledBlockIsStillRollingBackRunsAtOnce() {
        // the outer block is cancelled while the rollback of its cancelled nested block waits behind the
        // pg_sleep: its own rollback is queued, not done, when the hooks are registered right after
        Mono<Void> blocks = swallowTimeout(block(swallowTimeout(block(sql("SELECT pg_sleep(0.5)")), 100)
                .then(Mono.never())), 200);
        run(blocks.then(Atomic.beforeCommit(this.db, record("before"))).then(Atomic.onCommit(this.db, record("after")))
                .then(record("next")));
        assertThat(this.events).as("no transaction is open once the cancelled blocks are left: the hooks ran at once")
                .containsExactly("before", "after", "next");

        // and a failure after them cannot take them back
        this.events.clear();
        StepVerifier.create(inNewUnitOfWork(blocks.then(Atomic.beforeCommit(this.db, record("before")))
                        .then(Atomic.onCommit(this.db, record("after")))
                                .then(Mono.error(new IllegalStateException("next")))))
                .expectErrorMessage("next")
                .verify(TestDatabase.TIMEOUT);
        assertThat(this.events).containsExactly("before", "after");
    }

    // ---- a partial commit ----

    @Test
    void aPartialCommitStillRunsTheOnCommitHooksOfTheDatabaseThatCommitted() {
        Mono<Void> work = insert(this.db, 1)
                .then(Atomic.onCommit(this.db, record("main committed")))
                .then(dbSession(this.other).flatMap(s -> s.sql("INSERT INTO late VALUES (1)").execute()))
                .then(Atomic.onCommit(this.other, record("other committed")));
        StepVerifier.create(inNewUnitOfWork(work))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(PartialCommitException.class))
                .verify(TestDatabase.TIMEOUT);
        assertThat(rows()).containsExactly("1");
        assertThat(this.events).containsExactly("main committed");
    }

    // ---- a nested unit of work inside a block ----

    @Test
    void aNestedUnitOfWorkInsideABlockHasNoBlockOfItsOwn() {
        StepVerifier.create(inNewUnitOfWork(block(insert(1)
                        .then(inNewUnitOfWork(Atomic.isRollbackOnly(this.db)
                                .zipWith(setRollbackOnly().thenReturn("marked")
                                        .onErrorResume(IllegalStateException.class, e -> Mono.just("refused"))))))))
                .assertNext(answers -> {
                    assertThat(answers.getT1()).isFalse();
                    assertThat(answers.getT2()).as("no block is running in the nested unit of work")
                            .isEqualTo("refused");
                })
                .verifyComplete();
        assertThat(rows()).containsExactly("1");
    }

    // ---- close() inside a block ----

    @Test
    void closeIsRefusedInsideABlockLikeCommitAndRollback() {
        run(dbSession(this.db).flatMap(s -> block(insert(1).then(s.close()).then(insert(2)))
                .onErrorResume(IllegalStateException.class, refused -> record(refused.getMessage()))
                .then(insert(3))));
        assertThat(rows()).as("the block failed with the refusal and rolled back").containsExactly("3");
        assertThat(this.events).singleElement().asString()
                .contains("close() is refused inside an atomic block on database 'main'");

        run(dbSession(this.db).flatMap(s -> insert(4).then(s.close()).then(insert(5))));
        assertThat(rows()).as("outside a block, close() ends the transaction (rolled back) and releases")
                .containsExactly("3", "5");
    }
}
