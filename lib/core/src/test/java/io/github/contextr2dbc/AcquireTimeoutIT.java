package io.github.contextr2dbc;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

import io.r2dbc.spi.R2dbcTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A statement that cannot get a connection in time fails with a timeout, and the pool is left clean. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AcquireTimeoutIT {

    private static final Duration ACQUIRE_TIMEOUT = Duration.ofMillis(300);

    private final TestDatabase pg = new TestDatabase("acquire");

    // one connection: a unit of work that holds it makes every other one wait
    private final Database db = this.pg.handle("main", builder -> builder.maxSize(1).acquireTimeout(ACQUIRE_TIMEOUT));

    // the same, for plain R2DBC code outside units of work: its acquisition is the caller's to cancel
    private final Database autocommit = this.pg.handle("autocommit", builder -> builder.maxSize(1)
            .acquireTimeout(ACQUIRE_TIMEOUT).outsideUnitOfWork(OutsideUnitOfWork.AUTOCOMMIT));

    // no acquire timeout: a statement waits as long as the pool makes it
    private final Database untimed = this.pg.handle("untimed", builder -> builder.maxSize(1).noAcquireTimeout());

    @AfterAll
    void closeDatabases() {
        this.db.close().then(this.autocommit.close()).then(this.untimed.close()).block(TestDatabase.TIMEOUT);
    }

    private Mono<Integer> selectOne() {
        return selectOne(this.db);
    }

    private static Mono<Integer> selectOne(Database database) {
        return dbSession(database).flatMap(session -> session.sql("SELECT 1").one(row -> row.get(0, Integer.class)));
    }

    /**
     * Waits until the pool has the released connection back: the close of a unit of work completes once the
     * connection is handed back, and r2dbc-pool makes it idle again on its own schedule (slow on a loaded
     * machine), so the next acquisition, timed at 300 ms, could otherwise race it.
     */
    private static void awaitIdle(Database database) {
        await().atMost(TestDatabase.TIMEOUT).untilAsserted(() -> assertThat(database.poolMetrics())
                .hasValueSatisfying(metrics -> assertThat(metrics.idleSize()).as("idle").isEqualTo(1)));
    }

    @Test
    void aStatementWaitingLongerThanTheAcquireTimeoutFailsAndThePoolRecovers() {
        UnitOfWork holder = UnitOfWork.create();
        StepVerifier.create(selectOne().contextWrite(holder.bind()))
                .expectNext(1)
                .expectComplete()
                .verify(TestDatabase.TIMEOUT);
        assertThat(this.db.connectionsInUse()).as("connections in use while the holder is open").isEqualTo(1);

        Duration waited = StepVerifier.create(inNewUnitOfWork(selectOne()))
                .expectErrorSatisfies(error -> {
                    assertThat(error).isExactlyInstanceOf(R2dbcTimeoutException.class)
                            .hasMessageContaining("'main'")
                            .hasCauseExactlyInstanceOf(TimeoutException.class);
                    assertThat(((R2dbcTimeoutException) error).getSqlState()).isNull();
                })
                .verify(TestDatabase.TIMEOUT);
        assertThat(waited).as("time to the timeout").isGreaterThanOrEqualTo(ACQUIRE_TIMEOUT)
                .isLessThan(Duration.ofSeconds(5));
        assertThat(this.db.connectionsInUse()).as("connections in use after the timeout").isEqualTo(1);
        assertThat(this.db.poolMetrics()).hasValueSatisfying(metrics -> {
            assertThat(metrics.acquiredSize()).as("acquired after the timeout").isEqualTo(1);
            assertThat(metrics.pendingAcquireSize()).as("pending after the timeout").isZero();
        });

        StepVerifier.create(holder.commit().then(holder.close())).expectComplete().verify(TestDatabase.TIMEOUT);
        awaitIdle(this.db);
        StepVerifier.create(inNewUnitOfWork(selectOne()))
                .expectNext(1)
                .expectComplete()
                .verify(TestDatabase.TIMEOUT);

        assertThat(this.db.connectionsInUse()).as("connections in use at the end").isZero();
        assertThat(this.db.poolMetrics()).hasValueSatisfying(metrics -> {
            assertThat(metrics.acquiredSize()).as("acquired at the end").isZero();
            assertThat(metrics.pendingAcquireSize()).as("pending at the end").isZero();
        });
    }

    @Test
    void cancellingAnAcquisitionThatWaitsLeavesNothingBehind() {
        UnitOfWork holder = UnitOfWork.create();
        StepVerifier.create(selectOne(this.autocommit).contextWrite(holder.bind()))
                .expectNext(1)
                .expectComplete()
                .verify(TestDatabase.TIMEOUT);

        StepVerifier.create(Mono.from(this.autocommit.connectionFactory().create()))
                .expectSubscription()
                .then(() -> assertThat(this.autocommit.poolMetrics()).hasValueSatisfying(metrics ->
                        assertThat(metrics.pendingAcquireSize()).as("pending while waiting").isEqualTo(1)))
                .thenCancel()
                .verify(TestDatabase.TIMEOUT);
        assertThat(this.autocommit.connectionsInUse()).as("connections in use after the cancel").isEqualTo(1);
        assertThat(this.autocommit.poolMetrics()).hasValueSatisfying(metrics -> {
            assertThat(metrics.acquiredSize()).as("acquired after the cancel").isEqualTo(1);
            assertThat(metrics.pendingAcquireSize()).as("pending after the cancel").isZero();
        });

        StepVerifier.create(holder.commit().then(holder.close())).expectComplete().verify(TestDatabase.TIMEOUT);
        awaitIdle(this.autocommit);
        StepVerifier.create(inNewUnitOfWork(selectOne(this.autocommit)))
                .expectNext(1)
                .expectComplete()
                .verify(TestDatabase.TIMEOUT);

        assertThat(this.autocommit.connectionsInUse()).as("connections in use at the end").isZero();
        assertThat(this.autocommit.poolMetrics()).hasValueSatisfying(metrics -> {
            assertThat(metrics.acquiredSize()).as("acquired at the end").isZero();
            assertThat(metrics.pendingAcquireSize()).as("pending at the end").isZero();
        });
    }

    @Test
    void withNoAcquireTimeoutAStatementWaitsUntilAConnectionIsReleased() {
        UnitOfWork holder = UnitOfWork.create();
        StepVerifier.create(selectOne(this.untimed).contextWrite(holder.bind()))
                .expectNext(1)
                .expectComplete()
                .verify(TestDatabase.TIMEOUT);

        StepVerifier.create(inNewUnitOfWork(selectOne(this.untimed)))
                .expectSubscription()
                // three times the timeout of the timed handles: no timeout fires
                .expectNoEvent(ACQUIRE_TIMEOUT.multipliedBy(3))
                .then(() -> assertThat(this.untimed.poolMetrics()).hasValueSatisfying(metrics ->
                        assertThat(metrics.pendingAcquireSize()).as("pending while waiting").isEqualTo(1)))
                .then(() -> holder.commit().then(holder.close()).block(TestDatabase.TIMEOUT))
                .expectNext(1)
                .expectComplete()
                .verify(TestDatabase.TIMEOUT);

        assertThat(this.untimed.connectionsInUse()).as("connections in use at the end").isZero();
    }
}
