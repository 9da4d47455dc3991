package io.github.contextr2dbc;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;

class ChangeHostIT {

    private final TestDatabase pg = new TestDatabase("hosts");

    @Test
    void switchingHostWhileTwoHundredUnitsOfWorkAreInFlightFailsNone() throws Exception {
        this.pg.execute("CREATE TABLE item (id int PRIMARY KEY)");
        Database db = this.pg.handle("main", builder -> builder.maxSize(20));
        int port = this.pg.pair.primaryPort();
        assertThat(db.host()).isEqualTo("127.0.0.1:" + port);

        Flux<Integer> inFlight = Flux.range(0, 200)
                .flatMap(i -> inNewUnitOfWork(dbSession(db)
                        .flatMap(session -> session.sql("INSERT INTO item VALUES ($1)")
                        .bind(0, i).rowsUpdated()
                        .then(Mono.delay(Duration.ofMillis(20)))
                        .then(session.sql("SELECT id FROM item WHERE id = $1").bind(0, i).one(row -> row.get(0,
                                Integer.class))))), 200);
        Mono<Void> switchMidway = Mono.delay(Duration.ofMillis(60)).then(db.changeHost("localhost:" + port));

        List<Integer> done = Flux.merge(inFlight, switchMidway.then(Mono.<Integer>empty())).collectList()
                .block(TestDatabase.TIMEOUT);
        assertThat(done).hasSize(200);
        assertThat(db.host()).isEqualTo("localhost:" + port);
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isEqualTo(200);
        TestDatabase.awaitNoConnectionsInUse(db);
        assertThat(db.connectionsInUse()).isZero();

        // new sessions use the new pool; the old one was disposed after its last connection came back
        StepVerifier.create(inNewUnitOfWork(dbSession(db).flatMap(s -> s.sql("SELECT 1")
                .one(r -> r.get(0, Integer.class)))))
                .expectNext(1)
                .verifyComplete();
        assertThat(db.poolMetrics()).isPresent();
        StepVerifier.create(db.changeHost("localhost:" + port)).verifyComplete(); // same host: nothing to do
        db.close().block(TestDatabase.TIMEOUT);
        StepVerifier.create(inNewUnitOfWork(dbSession(db).flatMap(s -> s.sql("SELECT 1").execute())))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("is closed"))
                .verify(TestDatabase.TIMEOUT);
        StepVerifier.create(db.close()).verifyComplete(); // idempotent
    }

    @Test
    void theBeforeSessionHookRunsBeforeEachSessionConnectsAndMaySwitchTheHost() {
        int port = this.pg.pair.primaryPort();
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        Database db = this.pg.handle("hooked", builder -> builder.beforeSession(database -> Mono.defer(() -> {
            calls.incrementAndGet();
            return database.changeHost("localhost:" + port); // "ask who the primary is now"
        })));
        Mono<Integer> statement = dbSession(db).flatMap(s -> s.sql("SELECT 1").one(r -> r.get(0, Integer.class))
                .then(s.sql("SELECT 2").one(r -> r.get(0, Integer.class))));
        StepVerifier.create(Flux.range(0, 3).concatMap(i -> inNewUnitOfWork(statement))).expectNext(2, 2,
                2).verifyComplete();
        StepVerifier.create(inNewUnitOfWork(dbSession(db))).expectNextCount(1).verifyComplete(); // never connects
        assertThat(calls).hasValue(3);
        assertThat(db.host()).isEqualTo("localhost:" + port);

        Database failing = this.pg.handle("failing", builder -> builder.beforeSession(database ->
                Mono.error(new IllegalStateException("no primary found"))));
        StepVerifier.create(inNewUnitOfWork(dbSession(failing).flatMap(s -> s.sql("SELECT 1").execute())))
                .expectErrorMessage("no primary found")
                .verify(TestDatabase.TIMEOUT);
        assertThat(failing.acquisitions()).isZero();
        db.close().then(failing.close()).block(TestDatabase.TIMEOUT);
    }

    @Test
    void aDatabaseOnAFixedConnectionFactoryRefusesToChangeHost() {
        Database fixed = Database.builder("fixed").connectionFactory(this.pg.pair.primaryConnectionFactory()).build();
        StepVerifier.create(fixed.changeHost("elsewhere"))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("cannot change host"))
                .verify();
        StepVerifier.create(fixed.changeHost(" ")).expectError(IllegalArgumentException.class).verify();
    }
}
