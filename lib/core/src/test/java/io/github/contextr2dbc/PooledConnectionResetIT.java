package io.github.contextr2dbc;

import java.util.function.Function;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.ValidationDepth;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A plain pooled connection given back inside a transaction is reset before the next borrower gets it, as
 * HikariCP does; with a pool of one, the next borrower is always that connection. A session's connection
 * (committed or rolled back before release) costs no reset.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PooledConnectionResetIT {

    private final TestDatabase pg = new TestDatabase("reset");

    private final Database db = this.pg.handle("legacy",
            builder -> builder.maxSize(1).outsideUnitOfWork(OutsideUnitOfWork.AUTOCOMMIT));

    @BeforeEach
    void freshTable() {
        this.pg.execute("DROP TABLE IF EXISTS item", "CREATE TABLE item (id int PRIMARY KEY)");
    }

    @AfterAll
    void closeDatabase() {
        this.db.close().block(TestDatabase.TIMEOUT);
    }

    private static Mono<Void> run(Connection connection, String sql) {
        return Flux.from(connection.createStatement(sql).execute()).concatMap(Result::getRowsUpdated).then();
    }

    /** An AUTOCOMMIT-path connection: {@code dirty} runs on it, then it is closed (given back to the pool). */
    private void borrowAndClose(Function<Connection, Mono<Void>> dirty) {
        Mono.usingWhen(Mono.from(this.db.connectionFactory().create()), dirty, Connection::close)
                .block(TestDatabase.TIMEOUT);
    }

    /** The next borrower: a unit of work's session inserting 2 and committing. */
    private void nextBorrowerCommits() {
        inNewUnitOfWork(dbSession(this.db).flatMap(session -> session.sql("INSERT INTO item VALUES (2)").rowsUpdated()))
                .block(TestDatabase.TIMEOUT);
    }

    @Test
    void aConnectionClosedAfterBeginAndSavepointIsRolledBackBeforeTheNextBorrower() {
        borrowAndClose(connection -> Mono.from(connection.beginTransaction())
                .then(run(connection, "INSERT INTO item VALUES (1)"))
                .then(Mono.from(connection.createSavepoint("sp1"))));
        assertThat(this.pg.idleInTransaction()).isZero();
        nextBorrowerCommits();
        // the leftover insert was rolled back, not committed by the next borrower's COMMIT
        assertThat(this.pg.queryStrings("SELECT id FROM item ORDER BY id")).containsExactly("2");
    }

    @Test
    void aConnectionClosedAfterASavepointAloneIsRolledBack() {
        // createSavepoint in auto-commit mode opens a transaction without beginTransaction()
        borrowAndClose(connection -> Mono.from(connection.createSavepoint("sp1"))
                .then(run(connection, "INSERT INTO item VALUES (1)")));
        assertThat(this.pg.idleInTransaction()).isZero();
        nextBorrowerCommits();
        assertThat(this.pg.queryStrings("SELECT id FROM item ORDER BY id")).containsExactly("2");
    }

    @Test
    void aConnectionClosedAfterABeginStatementIsRolledBack() {
        borrowAndClose(connection -> run(connection, "BEGIN").then(run(connection, "INSERT INTO item VALUES (1)")));
        assertThat(this.pg.idleInTransaction()).isZero();
        nextBorrowerCommits();
        assertThat(this.pg.queryStrings("SELECT id FROM item ORDER BY id")).containsExactly("2");
    }

    @Test
    void aConnectionClosedWithAutoCommitOffGoesBackInAutoCommitMode() {
        borrowAndClose(connection -> Mono.from(connection.setAutoCommit(false))
                .then(run(connection, "INSERT INTO item VALUES (1)")));
        assertThat(this.pg.idleInTransaction()).isZero();
        Boolean autoCommit = Mono.usingWhen(Mono.from(this.db.connectionFactory().create()),
                connection -> Mono.just(connection.isAutoCommit()), Connection::close).block(TestDatabase.TIMEOUT);
        assertThat(autoCommit).isTrue();
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isZero();
    }

    @Test
    void aConnectionWhoseResetFailsIsDiscardedNotHandedOut() {
        // the server ends the backend while the connection is inside a transaction: the ROLLBACK cannot run
        long resetsBefore = this.db.connectionResets();
        Mono<Void> dirtyAndBroken = Mono.usingWhen(Mono.from(this.db.connectionFactory().create()),
                connection -> Mono.from(connection.beginTransaction())
                        .then(Flux.from(connection.createStatement("SELECT pg_backend_pid()").execute())
                                .concatMap(result -> result.map(row -> row.get(0, Integer.class))).next())
                        .doOnNext(pid -> this.pg.execute("SELECT pg_terminate_backend(" + pid + ")"))
                        .then(),
                Connection::close);
        dirtyAndBroken.onErrorResume(closeFailed -> Mono.empty()).block(TestDatabase.TIMEOUT);
        assertThat(this.db.connectionsInUse()).isZero();
        nextBorrowerCommits();
        assertThat(this.pg.queryStrings("SELECT id FROM item ORDER BY id")).containsExactly("2");
        assertThat(this.db.connectionResets()).isGreaterThan(resetsBefore);
    }

    @Test
    void cancellingTheCloseOfADirtyConnectionStillResetsAndGivesItBack() throws InterruptedException {
        for (int i = 0; i < 20; i++) {
            Connection connection = Mono.from(this.db.connectionFactory().create()).block(TestDatabase.TIMEOUT);
            run(connection, "BEGIN").then(run(connection, "INSERT INTO item VALUES (1)")).block(TestDatabase.TIMEOUT);
            // the subscriber leaves at once, while the ROLLBACK is in flight
            Mono.from(connection.close()).subscribe().dispose();
            TestDatabase.awaitNoConnectionsInUse(this.db);
            assertThat(this.db.connectionsInUse()).isZero();
        }
        nextBorrowerCommits();
        assertThat(this.pg.queryStrings("SELECT id FROM item ORDER BY id")).containsExactly("2");
        assertThat(this.pg.idleInTransaction()).isZero();
    }

    @Test
    void aClosedConnectionNoLongerValidates() {
        Connection connection = Mono.from(this.db.connectionFactory().create()).block(TestDatabase.TIMEOUT);
        assertThat(Mono.from(connection.validate(ValidationDepth.REMOTE)).block(TestDatabase.TIMEOUT)).isTrue();
        Mono.from(connection.close()).block(TestDatabase.TIMEOUT);
        assertThat(Mono.from(connection.validate(ValidationDepth.LOCAL)).block(TestDatabase.TIMEOUT)).isFalse();
        assertThat(Mono.from(connection.validate(ValidationDepth.REMOTE)).block(TestDatabase.TIMEOUT)).isFalse();
    }

    @Test
    void sessionsAndCleanConnectionsCostNoReset() {
        long before = this.db.connectionResets();
        for (int i = 0; i < 50; i++) {
            int id = 100 + i;
            inNewUnitOfWork(dbSession(this.db).flatMap(session -> session.sql("INSERT INTO item VALUES ($1)").bind(0,
                    id)
                    .rowsUpdated())).block(TestDatabase.TIMEOUT);
            inNewUnitOfWork(dbSession(this.db).flatMap(session -> session.sql("SELECT 1").rowsUpdated()
                    .then(UnitOfWork.rollbackCurrent()))).block(TestDatabase.TIMEOUT);
            borrowAndClose(connection -> run(connection, "SELECT 1"));
            borrowAndClose(connection -> Mono.from(connection.beginTransaction())
                    .then(Mono.from(connection.commitTransaction())));
        }
        assertThat(this.db.connectionResets() - before).isZero();
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isEqualTo(50);
    }
}
