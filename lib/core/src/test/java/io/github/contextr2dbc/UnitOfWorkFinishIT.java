package io.github.contextr2dbc;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.r2dbc.spi.R2dbcException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static org.assertj.core.api.Assertions.assertThat;

/** Finishing a unit of work that spans two databases: fixed order, veto, partial failure, error paths. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UnitOfWorkFinishIT {

    private final TestDatabase firstPg = new TestDatabase("first");

    private final TestDatabase secondPg = new TestDatabase("second");

    // built in this order: "first" always commits before "second"
    private final Database first = this.firstPg.handle("first");

    private final Database second = this.secondPg.handle("second");

    @BeforeEach
    void freshTables() {
        for (TestDatabase pg : List.of(this.firstPg, this.secondPg)) {
            pg.execute("DROP TABLE IF EXISTS item",
                    "CREATE TABLE item (id int, CONSTRAINT item_unique UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)");
        }
    }

    @AfterAll
    void closeDatabases() {
        this.first.close().then(this.second.close()).block(TestDatabase.TIMEOUT);
    }

    private static Mono<Long> insert(Database db, int id) {
        return dbSession(db).flatMap(session -> session.sql("INSERT INTO item (id) VALUES ($1)")
                .bind(0, id).rowsUpdated());
    }

    /** Touches "second" before "first", so only the fixed order explains what committed. */
    private Mono<Void> touchSecondThenFirst(boolean duplicateInFirst, boolean duplicateInSecond) {
        return insert(this.second, 1)
                .then(duplicateInSecond ? insert(this.second, 1) : Mono.empty())
                .then(insert(this.first, 1))
                .then(duplicateInFirst ? insert(this.first, 1) : Mono.empty())
                .then();
    }

    private Mono<Void> inUnitOfWork(Mono<Void> work, UnitOfWork unitOfWork,
            java.util.function.Function<UnitOfWork, Mono<Void>> finish) {
        return work.contextWrite(unitOfWork.bind()).then(Mono.defer(() -> finish.apply(unitOfWork)));
    }

    @Test
    void commitRunsBeforeCommitChecksInTheFixedOrderThenCommitsBoth() {
        List<String> checked = new CopyOnWriteArrayList<>();
        UnitOfWork unitOfWork = UnitOfWork.create();
        StepVerifier.create(inUnitOfWork(touchSecondThenFirst(false, false), unitOfWork,
                        uow -> uow.commit(session -> Mono.fromRunnable(() -> checked.add(session.database().name())))))
                .verifyComplete();
        assertThat(checked).containsExactly("first", "second");
        assertThat(unitOfWork.sessions()).extracting(s -> s.database().name()).containsExactly("first", "second");
        assertThat(this.firstPg.queryLong("SELECT count(*) FROM item")).isEqualTo(1);
        assertThat(this.secondPg.queryLong("SELECT count(*) FROM item")).isEqualTo(1);
        assertThat(this.first.connectionsInUse() + this.second.connectionsInUse()).isZero();
    }

    @Test
    void aVetoRollsBackEveryDatabaseAndIsTheError() {
        UnitOfWork unitOfWork = UnitOfWork.create();
        StepVerifier.create(inUnitOfWork(touchSecondThenFirst(false, false), unitOfWork,
                        uow -> uow.commit(session -> session.database() == this.second
                                ? Mono.error(new IllegalStateException("vetoed by a check"))
                                : Mono.empty())))
                .expectErrorMessage("vetoed by a check")
                .verify(TestDatabase.TIMEOUT);
        assertThat(this.firstPg.queryLong("SELECT count(*) FROM item")).isZero();
        assertThat(this.secondPg.queryLong("SELECT count(*) FROM item")).isZero();
        assertThat(this.first.connectionsInUse() + this.second.connectionsInUse()).isZero();
    }

    @Test
    void aCommitFailingAfterAnotherDatabaseCommittedIsReportedAsPartial() {
        // the deferred unique constraint of "second" fails at COMMIT, after "first" committed
        UnitOfWork unitOfWork = UnitOfWork.create();
        StepVerifier.create(inUnitOfWork(touchSecondThenFirst(false, true), unitOfWork, UnitOfWork::commit))
                .expectErrorSatisfies(error -> {
                    assertThat(error).isInstanceOf(PartialCommitException.class)
                            .hasMessageContaining("Committed [first]")
                            .hasMessageContaining("NOT committed (rolled back): [second]");
                    PartialCommitException partial = (PartialCommitException) error;
                    assertThat(partial.committed()).containsExactly(this.first);
                    assertThat(partial.notCommitted()).containsExactly(this.second);
                    assertThat(partial.getCause()).isInstanceOf(R2dbcException.class);
                    assertThat(((R2dbcException) partial.getCause()).getSqlState()).isEqualTo("23505");
                })
                .verify(TestDatabase.TIMEOUT);
        assertThat(this.firstPg.queryLong("SELECT count(*) FROM item")).isEqualTo(1);
        assertThat(this.secondPg.queryLong("SELECT count(*) FROM item")).isZero();
        assertThat(this.first.connectionsInUse() + this.second.connectionsInUse()).isZero();
    }

    @Test
    void aFailingFirstCommitPassesTheDriverErrorUnchangedAndRollsBackTheRest() {
        UnitOfWork unitOfWork = UnitOfWork.create();
        StepVerifier.create(inUnitOfWork(touchSecondThenFirst(true, false), unitOfWork, UnitOfWork::commit))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(R2dbcException.class)
                        .extracting(e -> ((R2dbcException) e).getSqlState()).isEqualTo("23505"))
                .verify(TestDatabase.TIMEOUT);
        assertThat(this.firstPg.queryLong("SELECT count(*) FROM item")).isZero();
        assertThat(this.secondPg.queryLong("SELECT count(*) FROM item")).isZero();
        assertThat(this.first.connectionsInUse() + this.second.connectionsInUse()).isZero();
    }

    @Test
    void rollbackCurrentAndCloseCurrentReleaseEverythingAndKeepNothing() {
        for (java.util.function.Function<UnitOfWork, Mono<Void>> finish :
                List.<java.util.function.Function<UnitOfWork, Mono<Void>>>of(UnitOfWork::rollback, UnitOfWork::close)) {
            StepVerifier.create(inUnitOfWork(touchSecondThenFirst(false, false), UnitOfWork.create(), finish))
                    .verifyComplete();
            assertThat(this.firstPg.queryLong("SELECT count(*) FROM item")).isZero();
            assertThat(this.secondPg.queryLong("SELECT count(*) FROM item")).isZero();
            assertThat(this.first.connectionsInUse() + this.second.connectionsInUse()).isZero();
        }
    }

    @Test
    void staticFinishersWorkOnTheUnitOfWorkOfTheContext() {
        StepVerifier.create(insert(this.first, 7).then(UnitOfWork.commitCurrent())
                .contextWrite(UnitOfWork.create().bind()))
                .verifyComplete();
        StepVerifier.create(insert(this.first, 8).then(UnitOfWork.rollbackCurrent())
                .contextWrite(UnitOfWork.create().bind()))
                .verifyComplete();
        StepVerifier.create(insert(this.first, 9).then(UnitOfWork.closeCurrent())
                .contextWrite(UnitOfWork.create().bind()))
                .verifyComplete();
        assertThat(this.firstPg.queryStrings("SELECT id FROM item")).containsExactly("7");
        StepVerifier.create(UnitOfWork.commitCurrent()).expectError(NoUnitOfWorkException.class).verify();
    }

    @Test
    void inNewUnitOfWorkCommitsOnCompleteRollsBackOnErrorAndLeavesTheOuterOneAlone() {
        UnitOfWork outer = UnitOfWork.create();
        Mono<Void> work = insert(this.first, 1)
                .then(UnitOfWork.inNewUnitOfWork(insert(this.first, 2)))
                .then(UnitOfWork.inNewUnitOfWork(insert(this.first, 3)
                        .then(Mono.error(new IllegalStateException("inner failed"))))
                        .onErrorResume(IllegalStateException.class, e -> Mono.empty()))
                .then(UnitOfWork.current().map(current -> current == outer))
                .doOnNext(same -> assertThat(same).isTrue())
                .then();
        StepVerifier.create(work.contextWrite(outer.bind()).then(outer.rollback())).verifyComplete();
        // 1 rolled back with the outer unit of work, 2 committed by its own, 3 rolled back by its own
        assertThat(this.firstPg.queryStrings("SELECT id FROM item")).containsExactly("2");
        assertThat(this.first.connectionsInUse()).isZero();
    }
}
