package io.github.contextr2dbc;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import reactor.test.subscriber.TestSubscriber;
import reactor.test.util.RaceTestUtils;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link SessionAcquisition}: the one subscriber that runs the {@code beforeSession} hook, acquires (entering
 * the pool generation), stores the lease, drops the hold on the turn and then relays the statement. No
 * database: the connection is a {@link ScriptedConnection}, its arrival gated through the database's
 * connection source.
 */
class SessionAcquisitionTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final ScriptedConnection connection = new ScriptedConnection();

    private final AtomicBoolean hookFails = new AtomicBoolean();

    private final Database db = Database.builder("scripted").connectionFactory(this.connection.factory())
            .maxSize(1)
            .beforeSession(database -> this.hookFails.get()
                    ? Mono.error(new IllegalStateException("scripted hook failure")) : Mono.empty())
            .build();

    @AfterEach
    void closeDatabase() {
        this.db.close().block(TIMEOUT);
    }

    private Mono<Long> statement(UnitOfWork unitOfWork) {
        return dbSession(this.db).flatMap(session -> session.sql("SELECT 1").rowsUpdated())
                .contextWrite(unitOfWork.bind());
    }

    private int inUse() {
        return this.db.runtime().inUseCounter().get();
    }

    /**
     * The connection's arrival races the statement's cancel: either the statement runs and its outcome is
     * relayed, or nothing is relayed; in both cases the lease is stored in the session (released by its
     * close) and the hold on the turn dropped exactly once (the next statement runs; the queue ends idle).
     */
    @Test
    void connectionArrivingWhileTheStatementCancelsHasOneOutcome() {
        AtomicReference<Sinks.Empty<Void>> gate = new AtomicReference<>();
        this.db.connectionSource(acquisition -> Mono.defer(() -> gate.get().asMono()).then(acquisition));
        for (int i = 0; i < 500; i++) {
            gate.set(Sinks.empty());
            UnitOfWork unitOfWork = UnitOfWork.create();
            TestSubscriber<Long> subscriber = TestSubscriber.create();
            statement(unitOfWork).subscribe(subscriber);
            ContextSession session = unitOfWork.contextSession(this.db);
            assertThat(session.lease).isNull();
            assertThat(session.queue.isIdle()).isFalse(); // the statement's turn, held while it acquires

            RaceTestUtils.race(() -> gate.get().tryEmitEmpty(), subscriber::cancel);

            assertThat(subscriber.getReceivedOnNext()).as("relayed values").hasSizeLessThanOrEqualTo(1);
            if (subscriber.isTerminated()) {
                assertThat(subscriber.isTerminatedComplete()).isTrue();
                assertThat(subscriber.getReceivedOnNext()).containsExactly(0L);
            } else {
                assertThat(subscriber.getReceivedOnNext()).isEmpty();
            }
            // the next statement waits for the turn (a hold never dropped: it would time out), then finds the
            // lease stored whoever won (one acquisition, one connection in use; the pool has one)
            StepVerifier.create(statement(unitOfWork)).expectNext(0L).expectComplete().verify(TIMEOUT);
            assertThat(session.lease).isNotNull();
            assertThat(inUse()).isEqualTo(1);
            assertThat(this.db.acquisitions()).isEqualTo(i + 1);
            assertThat(session.queue.isIdle()).isTrue();
            StepVerifier.create(unitOfWork.close()).expectComplete().verify(TIMEOUT);
            assertThat(inUse()).isZero();
        }
        assertThat(this.db.acquisitions()).isEqualTo(500);
    }

    /** A statement requests before its connection exists: the request is kept for the statement. */
    @Test
    void requestsMadeWhileAcquiringGoToTheStatement() {
        Sinks.Empty<Void> gate = Sinks.empty();
        this.db.connectionSource(acquisition -> gate.asMono().then(acquisition));
        UnitOfWork unitOfWork = UnitOfWork.create();
        StepVerifier.create(statement(unitOfWork))
                .then(() -> gate.tryEmitEmpty())
                .expectNext(0L)
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(this.connection.sent()).containsExactly("BEGIN", "SELECT 1");
        StepVerifier.create(unitOfWork.close()).expectComplete().verify(TIMEOUT);
        assertThat(inUse()).isZero();
    }

    /** The hook's failure is the statement's error; nothing was acquired, and the next statement works. */
    @Test
    void beforeSessionFailureIsTheStatementsErrorAndHoldsNothing() {
        this.hookFails.set(true);
        UnitOfWork unitOfWork = UnitOfWork.create();
        StepVerifier.create(statement(unitOfWork))
                .expectErrorMessage("scripted hook failure")
                .verify(TIMEOUT);
        ContextSession session = unitOfWork.contextSession(this.db);
        assertThat(session.lease).isNull();
        assertThat(session.queue.isIdle()).isTrue();
        assertThat(this.db.acquisitions()).isZero();
        assertThat(inUse()).isZero();

        this.hookFails.set(false);
        StepVerifier.create(statement(unitOfWork)).expectNext(0L).expectComplete().verify(TIMEOUT);
        StepVerifier.create(unitOfWork.close()).expectComplete().verify(TIMEOUT);
        assertThat(inUse()).isZero();
    }

    /** A failed acquisition leaves the pool generation it entered before its error goes on. */
    @Test
    void failedAcquisitionLeavesTheGenerationThenFails() {
        this.db.connectionSource(acquisition -> Mono.error(new IllegalStateException("scripted pool failure")));
        UnitOfWork unitOfWork = UnitOfWork.create();
        StepVerifier.create(statement(unitOfWork))
                .expectErrorMessage("scripted pool failure")
                .verify(TIMEOUT);
        assertThat(inUse()).isZero();
        assertThat(unitOfWork.contextSession(this.db).queue.isIdle()).isTrue();

        this.db.connectionSource(acquisition -> Mono.empty());
        StepVerifier.create(statement(unitOfWork))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("completed without a connection"))
                .verify(TIMEOUT);
        assertThat(inUse()).isZero();
        StepVerifier.create(unitOfWork.close()).expectComplete().verify(TIMEOUT);
    }

    /** A closed database refuses at once, entering nothing. */
    @Test
    void closedDatabaseRefuses() {
        this.db.close().block(TIMEOUT);
        UnitOfWork unitOfWork = UnitOfWork.create();
        StepVerifier.create(statement(unitOfWork))
                .expectErrorSatisfies(error -> assertThat(error).hasMessageContaining("is closed"))
                .verify(TIMEOUT);
        assertThat(inUse()).isZero();
    }
}
