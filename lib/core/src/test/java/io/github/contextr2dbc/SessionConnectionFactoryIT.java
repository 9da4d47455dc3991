package io.github.contextr2dbc;

import java.util.List;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Result;
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

/** Plain R2DBC SPI code on the session-aware ConnectionFactory, inside and outside a unit of work. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SessionConnectionFactoryIT {

    private final TestDatabase pg = new TestDatabase("spi");

    private final Database db = this.pg.handle("main");

    private final Database legacy = this.pg.handle("legacy",
            builder -> builder.outsideUnitOfWork(OutsideUnitOfWork.AUTOCOMMIT));

    @BeforeEach
    void freshTable() {
        this.pg.execute("DROP TABLE IF EXISTS item", "CREATE TABLE item (id int PRIMARY KEY)");
    }

    @AfterAll
    void closeDatabases() {
        this.db.close().then(this.legacy.close()).block(TestDatabase.TIMEOUT);
    }

    /** What a plain SPI client does: create, run, close. */
    private static Mono<Long> spiInsert(ConnectionFactory factory, int id) {
        return Mono.usingWhen(Mono.from(factory.create()),
                connection -> Flux.from(connection.createStatement("INSERT INTO item VALUES ($1)")
                        .bind("$1", id).execute())
                        .concatMap(Result::getRowsUpdated).reduce(0L, Long::sum),
                Connection::close);
    }

    private static Mono<Long> spiTxid(ConnectionFactory factory) {
        return Mono.usingWhen(Mono.from(factory.create()),
                connection -> Flux.from(connection.createStatement("SELECT txid_current()").execute())
                        .concatMap(result -> result.map(row -> row.get(0, Long.class))).next(),
                Connection::close);
    }

    @Test
    void spiCodeRunsInTheSessionItsTransactionAndItsConnection() {
        long before = this.db.acquisitions();
        Mono<List<Long>> work = spiInsert(this.db.connectionFactory(), 1)
                .then(Mono.zip(spiTxid(this.db.connectionFactory()),
                        dbSession(this.db).flatMap(s -> s.sql("SELECT txid_current()").one(r -> r.get(0, Long.class)))))
                .map(t -> List.of(t.getT1(), t.getT2()))
                .flatMap(txids -> UnitOfWork.rollbackCurrent().thenReturn(txids))
                .contextWrite(UnitOfWork.create().bind());
        List<Long> txids = work.block(TestDatabase.TIMEOUT);
        assertThat(txids.get(0)).isEqualTo(txids.get(1));
        // closing the SPI connection did not release it: one acquisition for everything
        assertThat(this.db.acquisitions() - before).isEqualTo(1);
        // rolled back with the unit of work
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isZero();
        assertThat(this.db.connectionsInUse()).isZero();
    }

    @Test
    void creatingAConnectionOpensNothing() {
        long before = this.db.acquisitions();
        StepVerifier.create(inNewUnitOfWork(Mono.from(this.db.connectionFactory().create())
                        .flatMap(connection -> Mono.from(connection.close()).thenReturn(connection.isAutoCommit()))))
                .expectNext(false)
                .verifyComplete();
        assertThat(this.db.acquisitions()).isEqualTo(before);
    }

    @Test
    void spiCommitEndsTheSessionsTransactionEarly() {
        Mono<Void> work = Mono.usingWhen(Mono.from(this.db.connectionFactory().create()),
                connection -> Flux.from(connection.createStatement("INSERT INTO item VALUES (5)").execute())
                        .concatMap(Result::getRowsUpdated)
                        .then(Mono.from(connection.commitTransaction())),
                Connection::close)
                .then(UnitOfWork.rollbackCurrent())
                .contextWrite(UnitOfWork.create().bind());
        StepVerifier.create(work).verifyComplete();
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isEqualTo(1);
    }

    @Test
    void outsideAUnitOfWorkItFailsLoudlyWithTheRemedy() {
        StepVerifier.create(spiInsert(this.db.connectionFactory(), 1))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(NoUnitOfWorkException.class)
                        .hasMessageContaining("database 'main'")
                        .hasMessageContaining("UnitOfWork.inNewUnitOfWork"))
                .verify(TestDatabase.TIMEOUT);
        StepVerifier.create(dbSession(this.db))
                .expectError(NoUnitOfWorkException.class)
                .verify(TestDatabase.TIMEOUT);
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isZero();
    }

    @Test
    void outsideAUnitOfWorkALegacyDatabaseHandsOutAutoCommitConnections() {
        StepVerifier.create(spiInsert(this.legacy.connectionFactory(), 1)).expectNext(1L).verifyComplete();
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isEqualTo(1);
        assertThat(this.legacy.connectionsInUse()).isZero();
    }
}
