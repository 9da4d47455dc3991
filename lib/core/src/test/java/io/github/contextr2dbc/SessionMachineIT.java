package io.github.contextr2dbc;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import io.r2dbc.spi.R2dbcException;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import reactor.test.util.RaceTestUtils;

import static io.github.contextr2dbc.Atomic.atomic;
import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The session machine tried the way a user's code stresses it, against the real primary: statements
 * cancelled while savepoints are in flight, thousands of statements queued behind a failing one, failures
 * raced by {@code zip}, subscribers leaving during a commit or while a block is being entered, and on-commit
 * hooks that use the database. Each test reproduces a defect that was found this way.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SessionMachineIT {

    private final TestDatabase pg = new TestDatabase("machine");

    private final Database db = this.pg.handle("main");

    private final List<String> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void freshTables() {
        this.pg.execute("DROP TABLE IF EXISTS item, audit, slow_commit CASCADE",
                "CREATE TABLE item (id int PRIMARY KEY)",
                "CREATE TABLE audit (note text)",
                // a table whose COMMIT takes half a second: a deferred constraint trigger sleeps when the commit runs
                // it
                "CREATE TABLE slow_commit (id int)",
                "CREATE OR REPLACE FUNCTION sleep_at_commit() RETURNS trigger LANGUAGE plpgsql AS "
                        + "'BEGIN PERFORM pg_sleep(0.5); RETURN NULL; END'",
                "CREATE CONSTRAINT TRIGGER sleep_at_commit AFTER INSERT ON slow_commit DEFERRABLE INITIALLY DEFERRED "
                        + "FOR EACH ROW EXECUTE FUNCTION sleep_at_commit()");
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

    private Mono<Void> audit(String note) {
        return dbSession(this.db).flatMap(s -> s.sql("INSERT INTO audit VALUES ($1)").bind(0, note).execute());
    }

    private Mono<Void> sql(String sql) {
        return dbSession(this.db).flatMap(s -> s.sql(sql).execute());
    }

    private <T> Mono<T> block(Mono<T> body) {
        return body.transform(atomic(this.db)::wrap);
    }

    private static <T> Mono<T> fail(String message) {
        return Mono.error(new IllegalStateException(message));
    }

    private Mono<Void> record(String event) {
        return Mono.fromRunnable(() -> this.events.add(event));
    }

    private List<String> rows(String table) {
        return this.pg.queryStrings("SELECT * FROM " + table + " ORDER BY 1");
    }

    private void run(Mono<?> work) {
        inNewUnitOfWork(work.then()).block(TestDatabase.TIMEOUT);
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

    private static <T> Mono<T> swallowTimeout(Mono<T> work, long millis) {
        return work.timeout(Duration.ofMillis(millis)).onErrorResume(TimeoutException.class, timeout -> Mono.empty());
    }

    // ---- savepoints ----

    @Test
    void aFailedInnerBlockIsRolledBackEvenIfItsSavepointsWereInterruptedByACancel() {
        // the connection stays busy with the cancelled pg_sleep, so the SAVEPOINTs that the next statement sends
        // for the two blocks entered without a statement between them wait behind it; that statement is then
        // cancelled with the first SAVEPOINT sent and the second not yet
        Mono<Void> inner = swallowTimeout(sql("SELECT 1"), 100)
                .then(Mono.delay(Duration.ofMillis(1500)))
                .then(insert(2))
                .then(fail("inner"));
        run(block(insert(1)
                .then(swallowTimeout(sql("SELECT pg_sleep(1)"), 100))
                .then(block(block(inner).onErrorResume(IllegalStateException.class, e -> Mono.empty())))));
        assertThat(rows("item")).as("the failed inner block's write is never committed").containsExactly("1");
    }

    // ---- failures queued behind a failure ----

    @Test
    void tenThousandStatementsQueuedBehindAFailingOneAreEachRefusedWithTheOriginalAsCause() {
        int queued = 10_000;
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        AtomicReference<Throwable> original = new AtomicReference<>();
        Mono<Void> work = dbSession(this.db).flatMap(s -> Flux.range(0, queued + 1)
                .flatMap(i -> (i == 0 ? s.sql("SELECT 1/0") : s.sql("SELECT 1")).execute()
                        .onErrorResume(error -> {
                            String kind = error.getClass().getSimpleName();
                            if (i == 0) {
                                original.set(error);
                            } else if (error instanceof TransactionAbortedException
                                    && error.getCause() instanceof R2dbcException) {
                                kind = "refused with the original as cause";
                            }
                            outcomes.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
                            return Mono.empty();
                        }), queued + 1)
                .then());
        StepVerifier.create(inNewUnitOfWork(work))
                .expectErrorSatisfies(error -> assertThat(error)
                        .as("the commit is refused: the transaction was aborted")
                        .isInstanceOf(TransactionAbortedException.class))
                .verify(TestDatabase.TIMEOUT);
        assertThat(original.get()).isInstanceOf(R2dbcException.class).hasMessageContaining("division by zero");
        assertThat(outcomes).containsOnlyKeys(original.get().getClass().getSimpleName(),
                "refused with the original as cause");
        assertThat(outcomes.get("refused with the original as cause")).hasValue(queued);
    }

    @Test
    void zipAndWhenFailWithTheOriginalFailureNotWithAStatementRefusedBecauseOfIt() {
        for (int i = 0; i < 20; i++) {
            StepVerifier.create(inNewUnitOfWork(dbSession(this.db).flatMap(s -> Mono.zip(
                            s.sql("SELECT 1/0").rowsUpdated(), s.sql("SELECT 1").rowsUpdated()))))
                    .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(R2dbcException.class)
                            .hasMessageContaining("division by zero"))
                    .verify(TestDatabase.TIMEOUT);
            StepVerifier.create(inNewUnitOfWork(dbSession(this.db).flatMap(s -> Mono.when(
                            s.sql("SELECT 1/0").execute(), s.sql("SELECT 1").execute(), s.sql("SELECT 2").execute()))
                            .onErrorResume(R2dbcException.class, e -> Mono.empty())))
                    .as("the original failure can be caught by its type; the unit of work then refuses to commit")
                    .expectError(TransactionAbortedException.class)
                    .verify(TestDatabase.TIMEOUT);
        }
        StepVerifier.create(inNewUnitOfWork(dbSession(this.db).flatMap(s -> s.sql("SELECT 1/0").execute()
                        .onErrorResume(R2dbcException.class, e -> Mono.empty())
                        .then(s.sql("SELECT 1").execute()))))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(TransactionAbortedException.class)
                        .cause().isInstanceOf(R2dbcException.class).hasMessageContaining("division by zero"))
                .verify(TestDatabase.TIMEOUT);
    }

    // ---- hooks ----

    @Test
    void anAtomicBlocksOnCommitHooksRunWhenItsSubscriberLeavesDuringTheCommit() throws InterruptedException {
        Mono<Void> body = sql("INSERT INTO slow_commit VALUES (1)").then(Atomic.onCommit(this.db, record("hook")));
        StepVerifier.create(inNewUnitOfWork(block(body)).timeout(Duration.ofMillis(200)))
                .expectError(TimeoutException.class)
                .verify(TestDatabase.TIMEOUT);
        awaitTrue(() -> !this.events.isEmpty());
        assertThat(rows("slow_commit")).containsExactly("1");
        assertThat(this.events).as("the hook of a commit that went through").containsExactly("hook");
    }

    @Test
    void aUnitOfWorksOnCommitHookRunsInAUnitOfWorkOfItsOwnAndCanUseTheDatabase() {
        StepVerifier.create(inNewUnitOfWork(insert(1).then(Atomic.onCommit(this.db, audit("after 1")))))
                .verifyComplete();
        assertThat(rows("item")).containsExactly("1");
        assertThat(rows("audit")).containsExactly("after 1");
    }

    @Test
    void anAtomicBlocksOnCommitHookRunsInAUnitOfWorkOfItsOwnTooAndOutlivesTheEnclosingOne() {
        // the hook's work is committed by its own unit of work: the enclosing one rolling back later keeps it
        run(block(insert(1).then(Atomic.onCommit(this.db, audit("after 1")))).then(UnitOfWork.rollbackCurrent()));
        assertThat(rows("item")).containsExactly("1");
        assertThat(rows("audit")).containsExactly("after 1");
    }

    @Test
    void aNestedUnitOfWorksHooksNeverRunInTheOuterOne() {
        StepVerifier.create(inNewUnitOfWork(insert(1)
                        .then(inNewUnitOfWork(insert(2).then(Atomic.onCommit(this.db, audit("after 2")))))
                        .then(fail("outer"))))
                .expectErrorMessage("outer")
                .verify(TestDatabase.TIMEOUT);
        assertThat(rows("item")).containsExactly("2");
        assertThat(rows("audit")).as("the hook ran in a unit of work of its own, not in the outer one")
                .containsExactly("after 2");
    }

    @Test
    void aNestedUnitOfWorkInsideAnOuterBlockKeepsItsHooksToItself() {
        StepVerifier.create(inNewUnitOfWork(block(insert(1)
                        .then(inNewUnitOfWork(block(insert(2).then(Atomic.onCommit(this.db,
                                record("inner block hook"))))
                                .then(Atomic.onCommit(this.db, record("inner hook")))
                                .then(atomic(this.db).durable(true).wrap(insert(3)))))
                        .then(fail("outer")))))
                .expectErrorMessage("outer")
                .verify(TestDatabase.TIMEOUT);
        assertThat(rows("item")).containsExactly("2", "3");
        assertThat(this.events).containsExactly("inner block hook", "inner hook");
    }

    // ---- races ----

    /**
     * A block whose timeout fires while it is being entered (behind a short statement) must be left again:
     * before the fix, about 1 in 10,000 stayed "running" and the next block was refused. Raise the count
     * with {@code -Dcontext-r2dbc.race.iterations=10000} to reproduce such a rare race.
     */
    @Test
    void aBlockCancelledWhileItIsEnteredNeverStaysRunning() {
        int iterations = Integer.getInteger("context-r2dbc.race.iterations", 2000);
        AtomicInteger refused = new AtomicInteger();
        AtomicInteger next = new AtomicInteger();
        Flux.range(0, iterations)
                .flatMap(i -> inNewUnitOfWork(dbSession(this.db).flatMap(s -> Mono.when(
                                s.sql("SELECT pg_sleep(0.001)").execute(),
                                block(insert(next.incrementAndGet()))
                                        .timeout(Duration.ofNanos(ThreadLocalRandom.current().nextLong(3_000_000)))
                                        .onErrorResume(TimeoutException.class, e -> Mono.empty())))
                        .then(block(insert(-next.incrementAndGet())))
                        .then(dbSession(this.db)).flatMap(DbSession::commit))
                        .onErrorResume(error -> {
                            refused.incrementAndGet();
                            this.events.add(String.valueOf(error));
                            return Mono.empty();
                        }), 4)
                .blockLast(Duration.ofMinutes(3));
        assertThat(this.events).as("refusals").isEmpty();
        assertThat(refused).hasValue(0);
        assertThat(this.pg.queryLong("SELECT count(*) FROM item WHERE id < 0")).isEqualTo(iterations);
    }

    @Test
    void cancelRacingTheStartOfABlockLeavesTheSessionUsable() {
        for (int i = 0; i < 300; i++) {
            int id = i;
            UnitOfWork unitOfWork = UnitOfWork.create();
            Mono<Void> entered = block(insert(id)).contextWrite(unitOfWork.bind());
            reactor.core.publisher.BaseSubscriber<Void> subscriber = new reactor.core.publisher.BaseSubscriber<>() {
            };
            RaceTestUtils.race(() -> entered.subscribe(subscriber), subscriber::dispose);
            // whatever the race did, the session runs the next block and finishes cleanly
            StepVerifier.create(block(insert(100_000 + id)).then(unitOfWork.commit()).then(unitOfWork.close())
                            .contextWrite(unitOfWork.bind()))
                    .verifyComplete();
        }
        assertThat(this.pg.queryLong("SELECT count(*) FROM item WHERE id >= 100000")).isEqualTo(300);
    }

    @Test
    void cancelRacingTheEndOfABlockLeavesTheSessionUsable() {
        for (int i = 0; i < 300; i++) {
            int id = i;
            UnitOfWork unitOfWork = UnitOfWork.create();
            Sinks.One<Integer> end = Sinks.one();
            Mono<Integer> body = insert(id).then(end.asMono());
            reactor.core.publisher.BaseSubscriber<Integer> subscriber = new reactor.core.publisher.BaseSubscriber<>() {
            };
            block(body).contextWrite(unitOfWork.bind()).subscribe(subscriber);
            awaitUntil(() -> end.currentSubscriberCount() > 0);
            RaceTestUtils.race(() -> end.tryEmitValue(id), subscriber::dispose);
            StepVerifier.create(block(insert(100_000 + id)).then(unitOfWork.commit()).then(unitOfWork.close())
                            .contextWrite(unitOfWork.bind()))
                    .verifyComplete();
        }
        assertThat(this.pg.queryLong("SELECT count(*) FROM item WHERE id >= 100000")).isEqualTo(300);
    }

    private static void awaitUntil(BooleanSupplier condition) {
        try {
            awaitTrue(condition);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(interrupted);
        }
        assertThat(condition.getAsBoolean()).isTrue();
    }
}
