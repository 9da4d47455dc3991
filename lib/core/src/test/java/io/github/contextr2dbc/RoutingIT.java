package io.github.contextr2dbc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import io.github.contextr2dbc.launcher.PostgresReplica;
import io.r2dbc.spi.R2dbcException;
import org.awaitility.Awaitility;
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

/** Routing against the real primary and two streaming replicas. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RoutingIT {

    private static final String PORT = "SELECT inet_server_port()";

    private final PostgresReplica second = TestDatabase.secondReplica();

    private final TestDatabase pg = new TestDatabase("routing");

    private final Database main = this.pg.handle("main");

    private final Database r1 = Database.builder("r1").url(this.pg.pair.replicaUrl(this.pg.name)).maxSize(4)
            .replicaOf(this.main).build();

    private final Database r2 = Database.builder("r2").url(this.second.url(this.pg.name)).maxSize(4)
            .replicaOf(this.main).build();

    private final Database other = this.pg.handle("other");

    @BeforeEach
    void freshTable() {
        this.pg.execute("DROP TABLE IF EXISTS item", "CREATE TABLE item (id int PRIMARY KEY, name text NOT NULL)",
                "CREATE SEQUENCE IF NOT EXISTS item_seq");
        this.pg.pair.awaitReplicaCaughtUp();
    }

    @AfterAll
    void closeDatabases() {
        Flux.just(this.main, this.r1, this.r2, this.other).concatMap(Database::close).blockLast(TestDatabase.TIMEOUT);
    }

    private Routing.Builder routing() {
        return Routing.builder(this.main).databases(this.r1, this.r2, this.other);
    }

    private static Mono<Integer> port(DbSession session) {
        return session.sql(PORT).one(row -> row.get(0, Integer.class));
    }

    private static Mono<Long> insert(DbSession session, int id) {
        return session.sql("INSERT INTO item (id, name) VALUES ($1, 'x')").bind(0, id).rowsUpdated();
    }

    private static Mono<Long> count(DbSession session) {
        return session.sql("SELECT count(*) FROM item").one(row -> row.get(0, Long.class));
    }

    private int mainPort() {
        return this.pg.pair.primaryPort();
    }

    private long acquisitions() {
        return this.main.acquisitions() + this.r1.acquisitions() + this.r2.acquisitions() + this.other.acquisitions();
    }

    @Test
    void routingWithoutAStatementTakesNoConnectionOnAnyDatabase() {
        Routing routing = routing().build();
        long before = acquisitions();
        Mono<Boolean> work = Mono.zip(routing.readSession(), routing.readSession(RoutingHint.of(String.class)),
                        routing.writeSession(), Routing.using(this.other, routing.readSession()))
                .map(sessions -> !sessions.getT1().isConnected() && !sessions.getT3().isConnected());
        StepVerifier.create(inNewUnitOfWork(work)).expectNext(true).verifyComplete();
        assertThat(acquisitions()).isEqualTo(before);
    }

    @Test
    void readsGoToBothReplicasInTurnAndWritesToThePrimary() {
        Routing routing = routing().build();
        Set<Integer> readPorts = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            readPorts.add(inNewUnitOfWork(routing.readSession().flatMap(RoutingIT::port)).block(TestDatabase.TIMEOUT));
        }
        assertThat(readPorts).containsExactlyInAnyOrder(this.pg.pair.replicaPort(), this.second.port());
        assertThat(inNewUnitOfWork(routing.writeSession().flatMap(RoutingIT::port)).block(TestDatabase.TIMEOUT))
                .isEqualTo(mainPort());
        assertThat(routing.decisions(RoutingDecision.REPLICA)).isEqualTo(4);
    }

    @Test
    void replicaSessionsBeginReadOnly() {
        String readOnly = inNewUnitOfWork(dbSession(this.r1).flatMap(session -> session
                .sql("SHOW transaction_read_only").one(row -> row.get(0, String.class)))).block(TestDatabase.TIMEOUT);
        assertThat(readOnly).isEqualTo("on");
        assertThat(this.r1.sessionOptions().readOnly()).isTrue();
    }

    @Test
    void aWriteOnAReplicaSessionIsRefusedBeforeItReachesTheServer() {
        long before = this.r1.acquisitions();
        StepVerifier.create(inNewUnitOfWork(dbSession(this.r1).flatMap(session -> insert(session, 1))))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(ReplicaWriteRefusedException.class)
                        .hasMessageContaining("replica 'r1' of 'main'").hasMessageContaining("INSERT INTO item"))
                .verify(TestDatabase.TIMEOUT);
        // the SPI path (Spring Data, DatabaseClient) too
        StepVerifier.create(inNewUnitOfWork(Mono.from(this.r1.connectionFactory().create())
                        .flatMapMany(connection -> connection
                                .createStatement("WITH x AS (DELETE FROM item RETURNING id) SELECT count(*) FROM x")
                                .execute())
                        .then()))
                .expectError(ReplicaWriteRefusedException.class)
                .verify(TestDatabase.TIMEOUT);
        assertThat(this.r1.acquisitions()).isEqualTo(before);
    }

    @Test
    void aWriteTheClassifierCannotSeeIsRefusedByTheServerAsReadOnly() {
        StepVerifier.create(inNewUnitOfWork(dbSession(this.r1).flatMap(session -> session
                        .sql("SELECT nextval('item_seq')").one(row -> row.get(0)))))
                .expectErrorSatisfies(error -> assertThat(((R2dbcException) error).getSqlState()).isEqualTo("25006"))
                .verify(TestDatabase.TIMEOUT);
    }

    @Test
    void afterAWriteRoutedReadsInTheSameUnitOfWorkUseThePrimarySession() {
        Routing routing = routing().build();
        Mono<List<Object>> work = routing.readSession().flatMap(RoutingIT::port)
                .flatMap(before -> routing.writeSession().flatMap(primary -> insert(primary, 7)
                        .then(routing.readSession())
                        .flatMap(after -> count(after).zipWith(port(after))
                                .map(seen -> List.<Object>of(before, after == primary, seen.getT1(), seen.getT2())))));
        List<Object> seen = inNewUnitOfWork(work).block(TestDatabase.TIMEOUT);
        assertThat(seen.get(0)).isNotEqualTo(mainPort());
        assertThat(seen.subList(1, 4)).containsExactly(true, 1L, mainPort());
        assertThat(routing.decisions(RoutingDecision.PRIMARY_AFTER_WRITE)).isEqualTo(1);
    }

    @Test
    void aReadOnlyTransactionOnThePrimaryDoesNotPinReadsThere() {
        Routing routing = routing().build();
        Integer port = inNewUnitOfWork(routing.writeSession().flatMap(RoutingIT::count)
                .then(routing.readSession()).flatMap(RoutingIT::port)).block(TestDatabase.TIMEOUT);
        assertThat(port).isNotEqualTo(mainPort());
    }

    @Test
    void readFromPrimaryInTheContextSendsReadsToThePrimary() {
        Routing routing = routing().build();
        Integer port = inNewUnitOfWork(routing.readSession().flatMap(RoutingIT::port)
                .contextWrite(Routing.readFromPrimary())).block(TestDatabase.TIMEOUT);
        assertThat(port).isEqualTo(mainPort());
    }

    @Test
    void usingForcesTheDatabasePerBlockAndPerCall() {
        Routing routing = routing().build();
        Mono<List<Integer>> work = Mono.zip(
                Routing.using(this.main, routing.readSession().flatMap(RoutingIT::port)),
                routing.readSession(RoutingHint.NONE.using(this.r2)).flatMap(RoutingIT::port))
                .map(both -> List.of(both.getT1(), both.getT2()));
        assertThat(inNewUnitOfWork(work).block(TestDatabase.TIMEOUT)).containsExactly(mainPort(), this.second.port());
        assertThat(routing.decisions(RoutingDecision.USING)).isEqualTo(2);
    }

    @Test
    void routersAreAskedInOrderAndNoOpinionFallsThrough() {
        List<String> asked = new ArrayList<>();
        Router silent = new Router() {
            @Override
            public Database dbForRead(RoutingHint hint) {
                asked.add("silent");
                return null;
            }
        };
        Router byName = new Router() {
            @Override
            public Database dbForRead(RoutingHint hint) {
                asked.add("byName");
                return "reports".equals(hint.name()) ? RoutingIT.this.r2 : null;
            }

            @Override
            public Database dbForWrite(RoutingHint hint) {
                return "reports".equals(hint.name()) ? RoutingIT.this.r2 : null;
            }
        };
        Routing routing = routing().router(silent).router(byName).build();
        Integer port = inNewUnitOfWork(routing.readSession(RoutingHint.named("reports")).flatMap(RoutingIT::port))
                .block(TestDatabase.TIMEOUT);
        assertThat(port).isEqualTo(this.second.port());
        assertThat(asked).containsExactly("silent", "byName");
        // a router naming a replica for a write gets its primary
        assertThat(routing.dbForWrite(RoutingHint.named("reports"))).isSameAs(this.main);
        assertThat(routing.dbForWrite(RoutingHint.NONE)).isSameAs(this.main);
    }

    @Test
    void aCommitAfterAWriteReportsItsWalPositionAndAReadOnlyOneDoesNot() {
        UnitOfWork writing = UnitOfWork.create();
        dbSession(this.main).flatMap(session -> insert(session, 1)).contextWrite(writing.bind())
                .then(writing.commit()).then(writing.close()).block(TestDatabase.TIMEOUT);
        String lsn = Routing.commitLsn(writing).orElseThrow();
        String now = this.pg.queryStrings("SELECT pg_current_wal_insert_lsn()::text").get(0);
        assertThat(Routing.lsnAtOrPast(now, lsn)).isTrue();

        UnitOfWork reading = UnitOfWork.create();
        dbSession(this.main).flatMap(RoutingIT::count).contextWrite(reading.bind())
                .then(reading.commit()).then(reading.close()).block(TestDatabase.TIMEOUT);
        assertThat(Routing.commitLsn(reading)).isEmpty();
        // a database without replicas never asks
        UnitOfWork elsewhere = UnitOfWork.create();
        dbSession(this.other).flatMap(session -> insert(session, 2)).contextWrite(elsewhere.bind())
                .then(elsewhere.commit()).block(TestDatabase.TIMEOUT);
        assertThat(Routing.commitLsn(elsewhere)).isEmpty();
    }

    @Test
    void aCommitThatFailsWithItsPositionReadFailsAsBeforeAndReportsNoPosition() {
        this.pg.execute("DROP TABLE IF EXISTS deferred",
                "CREATE TABLE deferred (id int, CONSTRAINT unique_id UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)");
        UnitOfWork unitOfWork = UnitOfWork.create();
        Mono<Void> work = dbSession(this.main).flatMap(session -> session
                        .sql("INSERT INTO deferred VALUES (1), (1)").rowsUpdated())
                .contextWrite(unitOfWork.bind())
                .then(unitOfWork.commit());
        StepVerifier.create(work)
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(R2dbcException.class)
                        .hasMessageContaining("unique_id"))
                .verify(TestDatabase.TIMEOUT);
        unitOfWork.close().block(TestDatabase.TIMEOUT);
        assertThat(Routing.commitLsn(unitOfWork)).isEmpty();
        assertThat(this.pg.queryLong("SELECT count(*) FROM deferred")).isZero();
        assertThat(this.main.connectionsInUse()).isZero();
    }

    @Test
    void aTokenReadsFromTheReplicaOnceReplayedAndFromThePrimaryWhileReplayIsPaused() {
        Routing routing = routing().replayWait(Duration.ofMillis(100)).build();
        this.pg.pair.pauseReplay();
        this.second.pauseReplay();
        try {
            UnitOfWork writing = UnitOfWork.create();
            dbSession(this.main).flatMap(session -> insert(session, 3)).contextWrite(writing.bind())
                    .then(writing.commit()).then(writing.close()).block(TestDatabase.TIMEOUT);
            String lsn = Routing.commitLsn(writing).orElseThrow();

            long started = System.nanoTime();
            List<Object> paused = inNewUnitOfWork(routing.readSession().flatMap(s -> count(s).zipWith(port(s)))
                    .map(seen -> List.<Object>of(seen.getT1(), seen.getT2()))
                    .contextWrite(Routing.readAfter(lsn))).block(TestDatabase.TIMEOUT);
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertThat(paused).containsExactly(1L, mainPort());
            assertThat(routing.decisions(RoutingDecision.FALLBACK_LAGGING)).isEqualTo(1);
            assertThat(took).isLessThan(Duration.ofSeconds(5));
            // without the token the replica answers, and does not have the row yet
            assertThat(inNewUnitOfWork(routing.readSession().flatMap(RoutingIT::count)).block(TestDatabase.TIMEOUT))
                    .isZero();
        } finally {
            this.pg.pair.resumeReplay();
            this.second.resumeReplay();
        }
        this.pg.pair.awaitReplicaCaughtUp();
        UnitOfWork writing = UnitOfWork.create();
        dbSession(this.main).flatMap(session -> insert(session, 4)).contextWrite(writing.bind())
                .then(writing.commit()).then(writing.close()).block(TestDatabase.TIMEOUT);
        String lsn = Routing.commitLsn(writing).orElseThrow();
        List<Object> replayed = inNewUnitOfWork(routing.readSession().flatMap(s -> count(s).zipWith(port(s)))
                .map(seen -> List.<Object>of(seen.getT1(), seen.getT2()))
                .contextWrite(Routing.readAfter(lsn))).block(TestDatabase.TIMEOUT);
        // within the 100 ms wait, or after it: the replica if it caught up, the primary otherwise; the row is there
        assertThat(replayed.get(0)).isEqualTo(2L);
    }

    @Test
    void aReplicaLaggingBeyondTheLimitLeavesTheRotationAndComesBack() throws InterruptedException {
        Routing routing = routing().maxLagBytes(1024).build();
        routing.checkReplicas().block(TestDatabase.TIMEOUT);
        assertThat(routing.replicas()).allMatch(ReplicaStatus::inRotation);
        this.second.pauseReplay();
        try {
            this.pg.execute("INSERT INTO item SELECT g, repeat('x', 200) FROM generate_series(1000, 1200) g");
            // r1 replays on; checks until it is back under the limit (r2 cannot be: it is paused)
            long deadline = System.nanoTime() + TestDatabase.TIMEOUT.toNanos();
            do {
                routing.checkReplicas().block(TestDatabase.TIMEOUT);
            } while (!routing.replicas().get(0).inRotation() && System.nanoTime() < deadline);
            assertThat(routing.replicas().get(0).inRotation()).isTrue();
            ReplicaStatus r2Status = routing.replicas().get(1);
            assertThat(r2Status.replica()).isSameAs(this.r2);
            assertThat(r2Status.inRotation()).isFalse();
            assertThat(r2Status.lagBytes()).isGreaterThan(1024);
            assertThat(r2Status.reason()).contains("lags by");
            Set<Integer> ports = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                ports.add(inNewUnitOfWork(routing.readSession().flatMap(RoutingIT::port)).block(TestDatabase.TIMEOUT));
            }
            assertThat(ports).containsExactly(this.pg.pair.replicaPort());
        } finally {
            this.second.resumeReplay();
        }
        this.second.awaitCaughtUp();
        routing.checkReplicas().block(TestDatabase.TIMEOUT);
        assertThat(routing.replicas()).allMatch(ReplicaStatus::inRotation);
    }

    @Test
    void aReplicaThatCannotBeReachedLeavesTheRotationAndReadsFallBackToThePrimary() {
        Database gone = Database.builder("gone").url("r2dbc:postgresql://postgres@127.0.0.1:1/postgres")
                .acquireTimeout(Duration.ofSeconds(1)).replicaOf(this.other).build();
        try {
            Routing routing = Routing.builder(this.other).databases(gone).checkTimeout(Duration.ofSeconds(3)).build();
            routing.checkReplicas().block(TestDatabase.TIMEOUT);
            assertThat(routing.replicas().get(0).inRotation()).isFalse();
            assertThat(routing.replicas().get(0).reason()).startsWith("check failed");
            assertThat(inNewUnitOfWork(routing.readSession().flatMap(RoutingIT::port)).block(TestDatabase.TIMEOUT))
                    .isEqualTo(mainPort());
            assertThat(routing.decisions(RoutingDecision.FALLBACK_NO_REPLICA)).isEqualTo(1);
        } finally {
            gone.close().block(TestDatabase.TIMEOUT);
        }
    }

    @Test
    void backgroundChecksRunAndStop() throws InterruptedException {
        Routing routing = routing().checkInterval(Duration.ofMillis(50)).build();
        AtomicReference<reactor.core.Disposable> checks = new AtomicReference<>(routing.startChecks());
        try {
            Awaitility.await().atMost(TestDatabase.TIMEOUT).pollInterval(Duration.ofMillis(10))
                    .until(() -> routing.replicas().get(1).checkedAt() != null);
            assertThat(routing.replicas()).allMatch(status -> status.checkedAt() != null && status.replayLsn() != null);
        } finally {
            checks.get().dispose();
        }
    }

    private String committedWrite(int id) {
        UnitOfWork writing = UnitOfWork.create();
        dbSession(this.main).flatMap(session -> insert(session, id)).contextWrite(writing.bind())
                .then(writing.commit()).then(writing.close()).block(TestDatabase.TIMEOUT);
        return Routing.commitLsn(writing).orElseThrow();
    }

    @Test
    void fiftyRequestsWaitingOnLaggingReplicasShareTheirProbesAndAllFallBackInTime() throws InterruptedException {
        Routing routing = routing().replayWait(Duration.ofMillis(200)).build();
        this.pg.pair.pauseReplay();
        this.second.pauseReplay();
        try {
            String lsn = committedWrite(5);
            long replicaAcquisitions = this.r1.acquisitions() + this.r2.acquisitions();
            List<Integer> ports = Flux.range(0, 50)
                    .flatMap(i -> inNewUnitOfWork(routing.readSession().flatMap(RoutingIT::port)
                            .contextWrite(Routing.readAfter(lsn))), 50)
                    .collectList()
                    .block(TestDatabase.TIMEOUT);
            assertThat(ports).hasSize(50).allMatch(port -> port == mainPort());
            assertThat(routing.decisions(RoutingDecision.FALLBACK_LAGGING)).isEqualTo(50);
            // one probe per replica every few ms, shared: unshared, 50 requests would make thousands
            assertThat(this.r1.acquisitions() + this.r2.acquisitions() - replicaAcquisitions).isLessThan(200);
        } finally {
            this.pg.pair.resumeReplay();
            this.second.resumeReplay();
        }
        for (Database db : List.of(this.main, this.r1, this.r2)) {
            TestDatabase.awaitNoConnectionsInUse(db);
            assertThat(db.connectionsInUse()).isZero();
        }
        this.pg.pair.awaitReplicaCaughtUp();
    }

    @Test
    void cancellingARequestWaitingForAReplicaToReplayLeavesNoConnectionBehind() throws InterruptedException {
        Routing routing = routing().replayWait(Duration.ofSeconds(5)).build();
        this.pg.pair.pauseReplay();
        this.second.pauseReplay();
        try {
            String lsn = committedWrite(6);
            StepVerifier.create(inNewUnitOfWork(routing.readSession().flatMap(RoutingIT::port)
                            .contextWrite(Routing.readAfter(lsn))))
                    .thenAwait(Duration.ofMillis(100))
                    .thenCancel()
                    .verify(TestDatabase.TIMEOUT);
        } finally {
            this.pg.pair.resumeReplay();
            this.second.resumeReplay();
        }
        for (Database db : List.of(this.main, this.r1, this.r2)) {
            TestDatabase.awaitNoConnectionsInUse(db);
            assertThat(db.connectionsInUse()).isZero();
        }
        assertThat(routing.decisions(RoutingDecision.REPLICA) + routing.decisions(RoutingDecision.FALLBACK_LAGGING))
                .isZero();
        this.pg.pair.awaitReplicaCaughtUp();
    }
}
