package io.github.contextr2dbc;

import java.time.Duration;
import java.util.List;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.publisher.PublisherProbe;

import static io.github.contextr2dbc.Atomic.atomic;
import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The exact statements a session sends for its transaction and its atomic blocks, without PostgreSQL: the
 * connection is {@link ScriptedConnection}, which records them. The integration tests check what the server
 * does with them; these pin the sequence itself (BEGIN pipelined with the first statement, SAVEPOINT with the
 * block's first statement, RELEASE / ROLLBACK TO on the block's end, one COMMIT or ROLLBACK at the end).
 */
class TransactionStatementSequenceTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final ScriptedConnection connection = new ScriptedConnection();

    private final Database db = Database.builder("scripted").connectionFactory(this.connection.factory())
            .maxSize(1).build();

    @AfterEach
    void closeDatabase() {
        this.db.close().block(TIMEOUT);
    }

    private Mono<Long> statement(String sql) {
        return dbSession(this.db).flatMap(session -> session.sql(sql).rowsUpdated());
    }

    private void run(Mono<?> work) {
        inNewUnitOfWork(work.then()).block(TIMEOUT);
    }

    private List<String> sent() {
        return this.connection.sent();
    }

    @Test
    void aUnitOfWorkWithoutStatementsSendsNothing() {
        run(dbSession(this.db));
        assertThat(sent()).isEmpty();
        assertThat(this.db.acquisitions()).isZero();
    }

    @Test
    void oneStatementIsBeginTheStatementAndCommit() {
        run(statement("INSERT 1"));
        assertThat(sent()).containsExactly("BEGIN", "INSERT 1", "COMMIT");
        assertThat(this.db.connectionsInUse()).isZero();
    }

    @Test
    void aNestedBlockIsASavepointSentWithItsFirstStatementAndReleasedWhenItCompletes() {
        run(atomic(this.db).wrap(statement("INSERT 1")
                .then(atomic(this.db).wrap(statement("INSERT 2")))
                .then(atomic(this.db).wrap(Mono.just(1))))); // a block that ran nothing sends nothing
        assertThat(sent()).containsExactly("BEGIN", "INSERT 1", "SAVEPOINT sp", "INSERT 2", "RELEASE SAVEPOINT sp",
                "COMMIT");
    }

    @Test
    void aFailedNestedBlockRollsBackToItsSavepointAndTheOuterBlockCommits() {
        run(atomic(this.db).wrap(statement("INSERT 1")
                .then(atomic(this.db).wrap(statement("INSERT 2").then(Mono.error(new IllegalStateException("no")))))
                .onErrorResume(IllegalStateException.class, e -> Mono.empty())));
        assertThat(sent()).containsExactly("BEGIN", "INSERT 1", "SAVEPOINT sp", "INSERT 2",
                "ROLLBACK TO SAVEPOINT sp", "RELEASE SAVEPOINT sp", "COMMIT");
    }

    @Test
    void aNestedBlockWithoutSavepointThatFailsMarksTheOuterBlockWhichRollsBack() {
        // as Django's needs_rollback: the outermost block rolls back when it ends, without an error of its own
        run(atomic(this.db).wrap(statement("INSERT 1")
                .then(atomic(this.db).savepoint(false).wrap(statement("INSERT 2").then(Mono.error(
                        new IllegalStateException("no")))))
                .onErrorResume(IllegalStateException.class, e -> Mono.empty())));
        assertThat(sent()).containsExactly("BEGIN", "INSERT 1", "INSERT 2", "ROLLBACK");
    }

    @Test
    void rollbackOnlyInANestedBlockRollsBackToItsSavepointOnly() {
        run(atomic(this.db).wrap(statement("INSERT 1")
                .then(atomic(this.db).wrap(statement("INSERT 2").then(Atomic.setRollbackOnly(this.db))))));
        assertThat(sent()).containsExactly("BEGIN", "INSERT 1", "SAVEPOINT sp", "INSERT 2",
                "ROLLBACK TO SAVEPOINT sp", "RELEASE SAVEPOINT sp", "COMMIT");
    }

    @Test
    void rollbackOnlyInTheOutermostBlockRollsBackWithoutAnError() {
        run(atomic(this.db).wrap(statement("INSERT 1").then(Atomic.setRollbackOnly(this.db))));
        assertThat(sent()).containsExactly("BEGIN", "INSERT 1", "ROLLBACK");
    }

    @Test
    void aVetoRollsBackAndItsOnCommitHookNeverRuns() {
        PublisherProbe<Void> afterCommit = PublisherProbe.empty();
        IllegalStateException veto = new IllegalStateException("veto");
        assertThatThrownBy(() -> run(atomic(this.db).wrap(statement("INSERT 1")
                .then(Atomic.beforeCommit(this.db, Mono.error(veto)))
                .then(Atomic.onCommit(this.db, afterCommit.mono())))))
                .isSameAs(veto);
        assertThat(sent()).containsExactly("BEGIN", "INSERT 1", "ROLLBACK");
        afterCommit.assertWasNotSubscribed();
    }

    @Test
    void theOnCommitHookRunsAfterTheCommitOnly() {
        PublisherProbe<Void> beforeCommit = PublisherProbe.empty();
        PublisherProbe<Void> afterCommit = PublisherProbe.empty();
        run(atomic(this.db).wrap(statement("INSERT 1")
                .then(Atomic.beforeCommit(this.db, beforeCommit.mono()))
                .then(Atomic.onCommit(this.db, afterCommit.mono()))));
        assertThat(sent()).containsExactly("BEGIN", "INSERT 1", "COMMIT");
        beforeCommit.assertWasSubscribed();
        afterCommit.assertWasSubscribed();
    }

    @Test
    void existingCommitCommitsTheOpenTransactionBeforeTheBlock() {
        run(statement("INSERT 1").then(atomic(this.db).existing(Atomic.Existing.COMMIT).wrap(statement("INSERT 2"))));
        assertThat(sent()).containsExactly("BEGIN", "INSERT 1", "COMMIT", "BEGIN", "INSERT 2", "COMMIT");
    }

    @Test
    void existingRollbackRollsBackTheOpenTransactionBeforeTheBlock() {
        run(statement("INSERT 1")
                .then(atomic(this.db).existing(Atomic.Existing.ROLLBACK).wrap(statement("INSERT 2"))));
        assertThat(sent()).containsExactly("BEGIN", "INSERT 1", "ROLLBACK", "BEGIN", "INSERT 2", "COMMIT");
    }

    @Test
    void existingJoinRunsTheBlockInTheOpenTransaction() {
        run(statement("INSERT 1").then(atomic(this.db).existing(Atomic.Existing.JOIN).wrap(statement("INSERT 2"))));
        assertThat(sent()).containsExactly("BEGIN", "INSERT 1", "INSERT 2", "COMMIT");
    }

    @Test
    void existingFailRefusesTheBlockAndTheUnitOfWorkRollsBack() {
        assertThatThrownBy(() -> run(statement("INSERT 1")
                .then(atomic(this.db).existing(Atomic.Existing.FAIL).wrap(statement("INSERT 2")))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already open");
        assertThat(sent()).containsExactly("BEGIN", "INSERT 1", "ROLLBACK");
    }

    @Test
    void aFailedStatementAbortsTheTransactionTheCommitRollsBack() {
        this.connection.fail("INSERT 2");
        assertThatThrownBy(() -> run(statement("INSERT 1")
                .then(statement("INSERT 2").onErrorResume(e -> Mono.empty()))))
                .isInstanceOf(TransactionAbortedException.class);
        assertThat(sent()).containsExactly("BEGIN", "INSERT 1", "INSERT 2", "ROLLBACK");
    }

    @Test
    void aCancelledStatementIsRolledBackAndTheConnectionReleased() {
        this.connection.answer("SELECT pg_sleep", sql -> Flux.never());
        Disposable running = inNewUnitOfWork(statement("INSERT 1").then(statement("SELECT pg_sleep(60)"))).subscribe();
        Awaitility.await().atMost(TIMEOUT).until(() -> sent().size() == 3);
        running.dispose();
        Awaitility.await().atMost(TIMEOUT).until(() -> this.db.connectionsInUse() == 0);
        assertThat(sent()).containsExactly("BEGIN", "INSERT 1", "SELECT pg_sleep(60)", "ROLLBACK");
    }

    @Test
    void aCancelledBlockRollsBackToItsSavepointThenTheUnitOfWorkRollsBack() {
        this.connection.answer("SELECT pg_sleep", sql -> Flux.never());
        Disposable running = inNewUnitOfWork(atomic(this.db).wrap(statement("INSERT 1")
                .then(atomic(this.db).wrap(statement("SELECT pg_sleep(60)"))))).subscribe();
        Awaitility.await().atMost(TIMEOUT).until(() -> sent().size() == 4);
        running.dispose();
        Awaitility.await().atMost(TIMEOUT).until(() -> this.db.connectionsInUse() == 0);
        assertThat(sent()).containsExactly("BEGIN", "INSERT 1", "SAVEPOINT sp", "SELECT pg_sleep(60)",
                "ROLLBACK TO SAVEPOINT sp", "RELEASE SAVEPOINT sp", "ROLLBACK");
    }
}
