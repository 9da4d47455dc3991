package io.github.contextr2dbc.test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.contextr2dbc.Atomic;
import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.SessionOptions;
import io.github.contextr2dbc.launcher.DirectSql;
import io.github.contextr2dbc.launcher.PostgresPair;
import io.r2dbc.spi.R2dbcException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The extension without Spring: Database fields of the test class, a real PostgreSQL primary and replica. */
@RollbackPerTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RollbackPerTestIT {

    static final Duration TIMEOUT = Duration.ofSeconds(30);

    static final PostgresPair PAIR = PostgresPair.shared();

    static final String NAME = PAIR.createDatabase("rollback_per_test");

    static final DirectSql DIRECT = setUp(new DirectSql(PAIR.primaryUrl(NAME)));

    static final Database MAIN = Database.builder("main").url(PAIR.primaryUrl(NAME)).maxSize(4).build();

    @ReplicaOf("main")
    static final Database REPLICA = Database.builder("replica").url(PAIR.replicaUrl(NAME)).maxSize(2).build();

    private static DirectSql setUp(DirectSql direct) {
        direct.execute("CREATE TABLE item (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE)",
                "CREATE TABLE parent (id int PRIMARY KEY)",
                "CREATE TABLE child (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parent (id) "
                        + "DEFERRABLE INITIALLY DEFERRED)");
        return direct;
    }

    @AfterAll
    static void closeDatabases() {
        MAIN.close().then(REPLICA.close()).block(TIMEOUT);
    }

    static Mono<Long> insert(String name) {
        return dbSession(MAIN).flatMap(session -> session.sql("INSERT INTO item (name) VALUES ($1)").bind(0, name)
                .rowsUpdated());
    }

    static Mono<Long> count(Database db) {
        return dbSession(db).flatMap(session -> session.sql("SELECT count(*) FROM item")
                .one(row -> row.get(0, Long.class)));
    }

    static Mono<Long> update(String sql) {
        return dbSession(MAIN).flatMap(session -> session.sql(sql).rowsUpdated());
    }

    static List<String> names() {
        return TestUnitOfWork.committed(dbSession(MAIN).flatMapMany(session -> session
                .sql("SELECT name FROM item ORDER BY name").map(row -> row.get(0, String.class))).collectList())
                .block(TIMEOUT);
    }

    @Test
    @Order(1)
    void committedWritesAreSeenByLaterUnitsOfWorkButNeverCommitted() {
        TestUnitOfWork.committed(insert("a").then(insert("b"))).block(TIMEOUT);
        assertThat(TestUnitOfWork.committed(count(MAIN)).block(TIMEOUT)).isEqualTo(2);
        // no other connection sees them: they are in the test's transaction only
        assertThat(DIRECT.queryLong("SELECT count(*) FROM item")).isZero();
    }

    @Test
    @Order(2)
    void theNextTestStartsEmpty() {
        assertThat(TestUnitOfWork.committed(count(MAIN)).block(TIMEOUT)).isZero();
        assertThat(DIRECT.queryLong("SELECT count(*) FROM item")).isZero();
    }

    @Test
    @Order(3)
    void aFailedUnitOfWorkIsUndoneAtOnceAndTheCommittedOnesStay() {
        TestUnitOfWork.committed(insert("kept")).block(TIMEOUT);
        Mono<Long> failing = insert("undone").then(Mono.error(new IllegalStateException("boom")));
        assertThatThrownBy(() -> TestUnitOfWork.committed(failing).block(TIMEOUT)).hasMessageContaining("boom");
        // a failed statement aborts only its unit of work's savepoint, not the test's transaction
        assertThatThrownBy(() -> TestUnitOfWork.committed(insert("kept")).block(TIMEOUT))
                .isInstanceOf(R2dbcException.class);
        assertThat(names()).containsExactly("kept");
    }

    @Test
    @Order(4)
    void throwawayUnitsOfWorkAndAtomicBlocksRollBackTheirOwnWrites() {
        TestUnitOfWork.throwaway(insert("thrown away")).block(TIMEOUT);
        Mono<Void> work = Atomic.atomic(MAIN).wrap(insert("outer").then(Atomic.atomic(MAIN)
                .wrap(insert("inner").then(Mono.error(new IllegalStateException("inner fails"))))
                .onErrorResume(IllegalStateException.class, error -> Mono.empty()).then()));
        TestUnitOfWork.committed(work).block(TIMEOUT);
        TestUnitOfWork.committed(Atomic.atomic(MAIN).durable(true).wrap(insert("durable"))).block(TIMEOUT);
        assertThat(names()).containsExactly("durable", "outer");
    }

    @Test
    @Order(5)
    void parallelUnitsOfWorkTakeTheConnectionInTurn() {
        int count = 50;
        Flux.range(0, count)
                .flatMap(i -> TestUnitOfWork.committed(insert("parallel-" + i)), count)
                .then().block(TIMEOUT);
        assertThat(TestUnitOfWork.committed(count(MAIN)).block(TIMEOUT)).isEqualTo(count);
    }

    @Test
    @Order(6)
    void aReplicaReadsThePrimarysConnectionAndSoTheTestsWrites() {
        TestUnitOfWork.committed(insert("on primary")).block(TIMEOUT);
        assertThat(TestUnitOfWork.committed(count(REPLICA)).block(TIMEOUT)).isEqualTo(1);
    }

    @Test
    @Order(7)
    void deferredConstraintsAreCheckedAtEachSimulatedCommitAndStayDeferred() {
        Mono<Long> orphan = update("INSERT INTO child VALUES (1, 99)");
        assertThatThrownBy(() -> TestUnitOfWork.committed(orphan).block(TIMEOUT))
                .isInstanceOf(R2dbcException.class).hasMessageContaining("foreign key");
        // still deferred: the child first, its parent later, in one unit of work
        Mono<Long> childFirst = update("INSERT INTO child VALUES (2, 7)").then(update("INSERT INTO parent VALUES (7)"));
        TestUnitOfWork.committed(childFirst).block(TIMEOUT);
        assertThat(TestUnitOfWork.committed(dbSession(MAIN).flatMap(session -> session.sql("SELECT count(*) FROM child")
                .one(row -> row.get(0, Long.class)))).block(TIMEOUT)).isEqualTo(1);
    }

    @Test
    @Order(8)
    void sessionSettingsOfAUnitOfWorkEndWithIt() {
        SessionOptions readOnly = SessionOptions.builder().readOnly(true).statementTimeout(Duration.ofMillis(1234))
                .build();
        Mono<String> settings = dbSession(MAIN).flatMap(session -> session.options(readOnly).sql(
                "SELECT current_setting('transaction_read_only') || ' ' || current_setting('statement_timeout')")
                .one(row -> row.get(0, String.class)));
        assertThat(TestUnitOfWork.committed(settings).block(TIMEOUT)).isEqualTo("on 1234ms");
        Mono<String> after = dbSession(MAIN).flatMap(session -> session.sql(
                "SELECT current_setting('transaction_read_only') || ' ' || current_setting('statement_timeout')")
                .one(row -> row.get(0, String.class)));
        assertThat(TestUnitOfWork.committed(after).block(TIMEOUT)).isEqualTo("off 0");
        TestUnitOfWork.committed(insert("writable again")).block(TIMEOUT);
    }

    @Test
    @Order(9)
    void capturedHooksRunOnDemandAndRolledBackOnesAreNotCaptured() {
        AtomicInteger ran = new AtomicInteger();
        Mono<Void> hook = Mono.fromCallable(ran::incrementAndGet).flatMap(n -> insert("from hook " + n)).then();
        try (CapturedOnCommitHooks hooks = CapturedOnCommitHooks.capture(MAIN)) {
            TestUnitOfWork.committed(insert("x").then(Atomic.onCommit(MAIN, hook))).block(TIMEOUT);
            TestUnitOfWork.throwaway(insert("y").then(Atomic.onCommit(MAIN, hook))).block(TIMEOUT);
            assertThat(hooks.count()).isEqualTo(1);
            assertThat(ran).hasValue(0);
            hooks.run().block(TIMEOUT);
            assertThat(ran).hasValue(1);
            assertThat(hooks.count()).isZero();
        }
        assertThat(TestUnitOfWork.committed(count(MAIN)).block(TIMEOUT)).isEqualTo(2);
        // not captured any more: runs at the (simulated) commit, as in production
        TestUnitOfWork.committed(insert("z").then(Atomic.onCommit(MAIN, hook))).block(TIMEOUT);
        assertThat(ran).hasValue(2);
    }

    @Test
    @Order(10)
    void holdsOneConnectionPerPrimaryAndNoMore() {
        TestUnitOfWork.committed(insert("one")).block(TIMEOUT);
        TestUnitOfWork.committed(count(REPLICA)).block(TIMEOUT);
        // the test's own: units of work borrow it, the replica's pool is not used
        assertThat(MAIN.connectionsInUse()).isEqualTo(1);
        assertThat(REPLICA.connectionsInUse()).isZero();
        assertThat(DIRECT.queryLong("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + NAME
                + "' AND state LIKE 'idle in transaction%'")).isEqualTo(1);
    }

    @Test
    @Order(20)
    @CommitAndCleanUp
    void theOptOutReallyCommits() {
        TestUnitOfWork.committed(insert("really")).block(TIMEOUT);
        TestUnitOfWork.committed(update("INSERT INTO parent VALUES (1)")).block(TIMEOUT);
        assertThat(DIRECT.queryLong("SELECT count(*) FROM item")).isEqualTo(1);
        assertThat(DIRECT.queryLong("SELECT count(*) FROM parent")).isEqualTo(1);
    }

    @Test
    @Order(21)
    @CommitAndCleanUp
    void andCleansUpTheTablesItWrote() {
        assertThat(DIRECT.queryLong("SELECT count(*) FROM item")).isZero();
        assertThat(DIRECT.queryLong("SELECT count(*) FROM parent")).isZero();
        assertThat(DIRECT.queryLong("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + NAME
                + "' AND state LIKE 'idle in transaction%'")).isZero();
    }

    /** A unit of work started inside one that holds the connection. */
    @Nested
    @RollbackPerTest(turnTimeoutMillis = 300)
    class Nesting {

        @Test
        void aUnitOfWorkStartedInsideAnotherFailsWithAnErrorThatSaysWhatToDo() {
            Mono<Long> nested = insert("outer").then(TestUnitOfWork.committed(insert("inner")));
            assertThatThrownBy(() -> TestUnitOfWork.committed(nested).block(TIMEOUT))
                    .isInstanceOf(PinnedTurnTimeoutException.class)
                    .hasMessageContaining("started inside").hasMessageContaining("@CommitAndCleanUp");
            // and the test's connection is usable afterwards
            assertThat(TestUnitOfWork.committed(count(MAIN)).block(TIMEOUT)).isZero();
        }

        @Test
        void workRunAfterTheOuterUnitOfWorkEndsIsFine() {
            TestUnitOfWork.committed(insert("outer")).then(TestUnitOfWork.committed(insert("after"))).block(TIMEOUT);
            assertThat(TestUnitOfWork.committed(count(MAIN)).block(TIMEOUT)).isEqualTo(2);
        }
    }
}
