package io.github.contextr2dbc;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.R2dbcException;
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

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DbSessionIT {

    private final TestDatabase pg = new TestDatabase("session");

    private final Database db = this.pg.handle("main");

    @BeforeEach
    void freshTable() {
        this.pg.execute("DROP TABLE IF EXISTS item", "CREATE TABLE item (id int PRIMARY KEY, name text NOT NULL)");
    }

    @AfterAll
    void closeDatabase() {
        this.db.close().block(TestDatabase.TIMEOUT);
    }

    private static Mono<Long> txid(DbSession session) {
        return session.sql("SELECT txid_current()").one(row -> row.get(0, Long.class));
    }

    private static Mono<Integer> backendPid(DbSession session) {
        return session.sql("SELECT pg_backend_pid()").one(row -> row.get(0, Integer.class));
    }

    private static Mono<Long> insert(DbSession session, int id) {
        return session.sql("INSERT INTO item (id, name) VALUES ($1, $2)").bind(0, id).bind(1, "item "
                + id).rowsUpdated();
    }

    @Test
    void unitOfWorkThatRunsNoStatementAcquiresNoConnection() {
        long before = this.db.acquisitions();
        StepVerifier.create(inNewUnitOfWork(dbSession(this.db).flatMap(session -> dbSession(this.db)
                        .map(again -> again == session && !session.isConnected() && !session.inTransaction()))))
                .expectNext(true)
                .verifyComplete();
        assertThat(this.db.acquisitions()).isEqualTo(before);
        assertThat(this.db.connectionsInUse()).isZero();
    }

    @Test
    void fiftyConcurrentInnerPublishersShareOneConnectionAndOneTransaction() {
        long before = this.db.acquisitions();
        Mono<List<Long>> work = Flux.range(0, 50)
                .flatMap(i -> dbSession(this.db).flatMap(session -> insert(session, i).then(txid(session))), 50)
                .collectList();
        List<Long> txids = inNewUnitOfWork(work).block(TestDatabase.TIMEOUT);
        assertThat(txids).hasSize(50);
        assertThat(Set.copyOf(txids)).hasSize(1);
        assertThat(this.db.acquisitions() - before).isEqualTo(1);
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isEqualTo(50);
    }

    @Test
    void earlyCommitKeepsTheConnectionAndTheNextStatementOpensANewTransaction() {
        long before = this.db.acquisitions();
        Mono<List<Object>> work = dbSession(this.db).flatMap(session -> insert(session, 1)
                .then(Mono.zip(txid(session), backendPid(session)))
                .flatMap(first -> session.commit()
                        .then(Mono.fromCallable(session::inTransaction))
                        .flatMap(inTransactionAfterCommit -> insert(session, 2)
                                .then(Mono.zip(txid(session), backendPid(session)))
                                .map(second -> List.<Object>of(first.getT1(), first.getT2(), inTransactionAfterCommit,
                                        second.getT1(), second.getT2())))))
                // the unit of work rolls back: only the early-committed row stays
                .flatMap(result -> UnitOfWork.rollbackCurrent().thenReturn(result));
        List<Object> result = Mono.defer(() -> work).contextWrite(UnitOfWork.create().bind())
                .block(TestDatabase.TIMEOUT);
        assertThat(result.get(2)).isEqualTo(false);
        assertThat(result.get(3)).isNotEqualTo(result.get(0));
        assertThat(result.get(4)).isEqualTo(result.get(1));
        assertThat(this.db.acquisitions() - before).isEqualTo(1);
        assertThat(this.pg.queryStrings("SELECT id FROM item ORDER BY id")).containsExactly("1");
        assertThat(this.db.connectionsInUse()).isZero();
    }

    @Test
    void earlyRollbackDropsTheWorkAndKeepsTheConnection() {
        Mono<Boolean> work = dbSession(this.db).flatMap(session -> insert(session, 1)
                .then(session.rollback())
                .then(insert(session, 2))
                .then(Mono.fromCallable(session::isConnected)));
        assertThat(inNewUnitOfWork(work).block(TestDatabase.TIMEOUT)).isTrue();
        assertThat(this.pg.queryStrings("SELECT id FROM item ORDER BY id")).containsExactly("2");
    }

    @Test
    void earlyCloseReleasesTheConnectionAndTheNextStatementAcquiresANewOne() {
        long before = this.db.acquisitions();
        Mono<List<Boolean>> work = dbSession(this.db).flatMap(session -> insert(session, 1)
                .then(Mono.fromCallable(session::isConnected))
                .flatMap(connectedBefore -> session.close()
                        .then(Mono.fromCallable(session::isConnected))
                        .flatMap(connectedAfterClose -> insert(session, 2)
                                .thenReturn(List.of(connectedBefore, connectedAfterClose)))));
        assertThat(inNewUnitOfWork(work).block(TestDatabase.TIMEOUT)).containsExactly(true, false);
        assertThat(this.db.acquisitions() - before).isEqualTo(2);
        // close rolled the first transaction back; the unit of work committed the second
        assertThat(this.pg.queryStrings("SELECT id FROM item ORDER BY id")).containsExactly("2");
    }

    @Test
    void statementsOnOneSessionRunOneAtATimeInSubscriptionOrder() {
        Mono<List<String>> work = dbSession(this.db).flatMap(session -> Flux.range(0, 20)
                .flatMap(i -> session.sql("SELECT pg_sleep($1::float8 / 1000), $2::int")
                        .bind(0, (double) (20 - i))
                        .bind(1, i)
                        .one(row -> row.get(1, Integer.class)), 20)
                .map(String::valueOf)
                .collectList());
        List<String> order = inNewUnitOfWork(work).block(TestDatabase.TIMEOUT);
        // the first statements sleep longest: only strict one-at-a-time keeps the order
        assertThat(order).containsExactlyElementsOf(
                Flux.range(0, 20).map(String::valueOf).collectList().block());
    }

    @Test
    void sessionOptionsApplyToTheTransactionAndDoNotOutliveIt() {
        Database single = this.pg.handle("single", builder -> builder.maxSize(1));
        SessionOptions options = SessionOptions.builder()
                .isolationLevel(IsolationLevel.SERIALIZABLE)
                .readOnly(true)
                .statementTimeout(Duration.ofSeconds(3))
                .lockTimeout(Duration.ofMillis(1500))
                .build();
        Mono<List<String>> configured = dbSession(single).flatMap(session -> Flux.concat(
                        session.options(options).sql("SHOW transaction_isolation").one(row -> row.get(0, String.class)),
                        session.sql("SHOW transaction_read_only").one(row -> row.get(0, String.class)),
                        session.sql("SHOW statement_timeout").one(row -> row.get(0, String.class)),
                        session.sql("SHOW lock_timeout").one(row -> row.get(0, String.class)))
                .collectList());
        assertThat(inNewUnitOfWork(configured).block(TestDatabase.TIMEOUT))
                .containsExactly("serializable", "on", "3s", "1500ms");

        Mono<List<String>> later = dbSession(single).flatMap(session -> Flux.concat(
                        session.sql("SHOW transaction_isolation").one(row -> row.get(0, String.class)),
                        session.sql("SHOW transaction_read_only").one(row -> row.get(0, String.class)),
                        session.sql("SHOW statement_timeout").one(row -> row.get(0, String.class)))
                .collectList());
        // same physical connection (pool of one), back to the server's defaults
        assertThat(inNewUnitOfWork(later).block(TestDatabase.TIMEOUT)).containsExactly("read committed", "off", "0");
        single.close().block(TestDatabase.TIMEOUT);
    }

    @Test
    void readOnlySessionRejectsWritesWithTheServersError() {
        Mono<Long> work = dbSession(this.db)
                .flatMap(session -> insert(session.options(SessionOptions.builder().readOnly(true).build()), 1));
        StepVerifier.create(inNewUnitOfWork(work))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(R2dbcException.class)
                        .extracting(e -> ((R2dbcException) e).getSqlState()).isEqualTo("25006"))
                .verify(TestDatabase.TIMEOUT);
    }

    @Test
    void optionsCannotChangeInsideAnOpenTransaction() {
        Mono<Object> work = dbSession(this.db).flatMap(session -> insert(session, 1)
                .then(Mono.fromCallable(() -> session.options(SessionOptions.builder().readOnly(true).build()))));
        StepVerifier.create(inNewUnitOfWork(work))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("commit/roll back first"))
                .verify(TestDatabase.TIMEOUT);
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isZero();
    }

    @Test
    void commitOfATransactionAbortedByASwallowedErrorFailsAndKeepsNothing() {
        Mono<Long> work = dbSession(this.db).flatMap(session -> insert(session, 1)
                .then(insert(session, 1).onErrorResume(R2dbcException.class, duplicate -> Mono.just(0L))));
        StepVerifier.create(inNewUnitOfWork(work))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(TransactionAbortedException.class)
                        .hasMessageContaining("rolled back")
                        .cause().isInstanceOf(R2dbcException.class))
                .verify(TestDatabase.TIMEOUT);
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isZero();
        assertThat(this.db.connectionsInUse()).isZero();
    }

    @Test
    void rowsAreMappedAndStreamed() {
        this.pg.execute("INSERT INTO item SELECT g, 'n' || g FROM generate_series(1, 1000) g");
        Mono<List<Object>> work = dbSession(this.db).flatMap(session -> Mono.zip(
                session.sql("SELECT id, name FROM item WHERE id <= $1 ORDER BY id").bind(0, 3).rows().collectList(),
                session.sql("SELECT id FROM item").map(row -> row.get(0, Integer.class)).count(),
                session.sql("UPDATE item SET name = 'x' WHERE id > $1").bind(0, 900).rowsUpdated(),
                session.sql("SELECT name FROM item WHERE id = $1").bind(0, 99999).one(row -> row.get(0, String.class))
                        .defaultIfEmpty("none"))
                .map(t -> List.<Object>of(t.getT1(), t.getT2(), t.getT3(), t.getT4())));
        List<Object> result = inNewUnitOfWork(work).block(TestDatabase.TIMEOUT);
        assertThat(result.get(0).toString()).isEqualTo("[{id=1, name=n1}, {id=2, name=n2}, {id=3, name=n3}]");
        assertThat(result.subList(1, 4)).containsExactly(1000L, 100L, "none");
    }

    @Test
    void singleFindsExactlyOneRowOrSaysWhy() {
        this.pg.execute("INSERT INTO item VALUES (1, 'a'), (2, 'b')");
        StepVerifier.create(inNewUnitOfWork(dbSession(this.db).flatMap(s -> s.sql("SELECT name FROM item WHERE id = $1")
                        .bind(0, 2).single(row -> row.get(0, String.class)))))
                .expectNext("b")
                .verifyComplete();
        StepVerifier.create(inNewUnitOfWork(dbSession(this.db).flatMap(s -> s.sql("SELECT name FROM item WHERE id = $1")
                        .bind(0, 3).single(row -> row.get(0, String.class)))))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(RowNotFoundException.class)
                        .hasMessage("No row found by: SELECT name FROM item WHERE id = $1"))
                .verify(TestDatabase.TIMEOUT);
        StepVerifier.create(inNewUnitOfWork(dbSession(this.db).flatMap(s -> s.sql("SELECT name FROM item")
                        .single(row -> row.get(0, String.class)))))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("found more"))
                .verify(TestDatabase.TIMEOUT);
    }

    @Test
    void nullBindsAreRefusedWithTheRemedy() {
        Mono<DbSession> session = inNewUnitOfWork(dbSession(this.db));
        DbSession detached = session.block(TestDatabase.TIMEOUT);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> detached.sql("SELECT $1").bind(0, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bindNull(0, Type.class)");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> detached.sql(" "))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void inSessionCommitsOnCompleteAndRollsBackOnErrorOutsideAnyUnitOfWork() {
        StepVerifier.create(this.db.inSession(session -> insert(session, 1))).expectNext(1L).verifyComplete();
        StepVerifier.create(this.db.inSession(session -> insert(session, 2)
                .then(Mono.error(new IllegalStateException("boom")))))
                .expectErrorMessage("boom")
                .verify(TestDatabase.TIMEOUT);
        assertThat(this.pg.queryStrings("SELECT id FROM item ORDER BY id")).containsExactly("1");
        // the non-context session is not visible to dbSession()
        StepVerifier.create(this.db.inSession(session -> dbSession(this.db)))
                .expectError(NoUnitOfWorkException.class)
                .verify(TestDatabase.TIMEOUT);
        assertThat(this.db.connectionsInUse()).isZero();
    }

    @Test
    void parallelBranchesInNewUnitsOfWorkGetTheirOwnConnections() {
        Mono<Set<Integer>> pids = inNewUnitOfWork(dbSession(this.db).flatMap(outer -> backendPid(outer)
                .flatMap(outerPid -> Flux.range(0, 3)
                        .flatMap(i -> inNewUnitOfWork(dbSession(this.db)
                                .flatMap(inner -> insert(inner, i).then(backendPid(inner))
                                        .delayElement(Duration.ofMillis(50)))))
                        .collect(Collectors.toSet())
                        .map(inner -> {
                            inner.add(outerPid);
                            return inner;
                        }))));
        assertThat(pids.block(TestDatabase.TIMEOUT)).hasSize(4);
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isEqualTo(3);
    }
}
