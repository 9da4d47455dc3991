package io.github.contextr2dbc;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.util.RaceTestUtils;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The unit of work in the Reactor Context: pure logic, no database (the factory is never asked for a connection). */
class UnitOfWorkContextTest {

    private static final ConnectionFactory NEVER_USED = new ConnectionFactory() {
        @Override
        public Mono<io.r2dbc.spi.Connection> create() {
            return Mono.error(new AssertionError("no connection must be opened"));
        }

        @Override
        public ConnectionFactoryMetadata getMetadata() {
            return () -> "stub";
        }
    };

    private final Database db = Database.builder("stub").connectionFactory(NEVER_USED).build();

    @Test
    void dbSessionWithoutAUnitOfWorkFailsWithTheRemedy() {
        StepVerifier.create(dbSession(this.db))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(NoUnitOfWorkException.class)
                        .hasMessageContaining("dbSession(stub)")
                        .hasMessageContaining("inNewUnitOfWork"))
                .verify();
        StepVerifier.create(UnitOfWork.isPresent()).expectNext(false).verifyComplete();
    }

    @Test
    void bindingASecondUnitOfWorkFailsUnlessReplacingIsAskedFor() {
        UnitOfWork outer = UnitOfWork.create();
        UnitOfWork inner = UnitOfWork.create();
        StepVerifier.create(UnitOfWork.current().contextWrite(inner.bind()).contextWrite(outer.bind()))
                .expectError(UnitOfWorkAlreadyPresentException.class)
                .verify();
        StepVerifier.create(UnitOfWork.current().contextWrite(inner.bindReplacingCurrent()).contextWrite(outer.bind()))
                .expectNext(inner)
                .verifyComplete();
        StepVerifier.create(UnitOfWork.isPresent().contextWrite(outer.bind())).expectNext(true).verifyComplete();
    }

    @Test
    void concurrentInnerPublishersGetOneSessionAndOpenNothing() {
        Set<DbSession> seen = ConcurrentHashMap.newKeySet();
        UnitOfWork unitOfWork = UnitOfWork.create();
        StepVerifier.create(Flux.range(0, 200)
                        .flatMap(i -> dbSession(this.db).subscribeOn(Schedulers.parallel()).doOnNext(seen::add))
                        .then()
                        .contextWrite(unitOfWork.bind()))
                .verifyComplete();
        assertThat(seen).hasSize(1);
        assertThat(unitOfWork.sessions()).hasSize(1);
        assertThat(this.db.acquisitions()).isZero();
        assertThat(this.db.poolMetrics()).isEmpty();
        // finishing a unit of work whose sessions never connected touches nothing either
        StepVerifier.create(unitOfWork.commit().then(unitOfWork.rollback())).verifyComplete();
        assertThat(this.db.acquisitions()).isZero();
    }

    /**
     * The sessions array is replaced by compare-and-set (a field updater): racing first requests for two
     * databases both land, racing requests for one database get one session, and a session created while
     * the unit of work closes is either refused or seen by the close (never created behind its back).
     */
    @Test
    void racingSessionRequestsAndCloseHaveOneWinner() {
        Database other = Database.builder("other").connectionFactory(NEVER_USED).build();
        for (int i = 0; i < 2_000; i++) {
            UnitOfWork unitOfWork = UnitOfWork.create();
            AtomicReference<DbSession> first = new AtomicReference<>();
            AtomicReference<DbSession> second = new AtomicReference<>();
            AtomicReference<DbSession> third = new AtomicReference<>();
            RaceTestUtils.race(() -> first.set(unitOfWork.session(this.db)),
                    () -> second.set(unitOfWork.session(this.db)), () -> third.set(unitOfWork.session(other)));
            assertThat(first.get()).isSameAs(second.get());
            assertThat(unitOfWork.sessions()).containsExactly(first.get(), third.get());

            UnitOfWork closing = UnitOfWork.create();
            AtomicReference<DbSession> created = new AtomicReference<>();
            RaceTestUtils.race(() -> {
                try {
                    created.set(closing.session(this.db));
                } catch (IllegalStateException refused) {
                    assertThat(refused).hasMessageContaining("has ended");
                }
            }, () -> closing.close().subscribe());
            assertThat(closing.isEnded()).isTrue();
            if (created.get() != null) {
                assertThat(closing.sessionsEvenEnded()).containsExactly((ContextSession) created.get());
            } else {
                assertThat(closing.sessionsEvenEnded()).isEmpty();
            }
        }
        assertThat(this.db.acquisitions()).isZero();
    }

    @Test
    void sessionsAreFinishedInTheOrderTheirDatabasesWereBuilt() {
        Database later = Database.builder("later").connectionFactory(NEVER_USED).build();
        UnitOfWork unitOfWork = UnitOfWork.create();
        unitOfWork.session(later);
        unitOfWork.session(this.db);
        assertThat(unitOfWork.sessions()).extracting(DbSession::database).containsExactly(this.db, later);
    }

    @Test
    void badBuilderInputIsRefusedWithTheRemedy() {
        assertThatThrownBy(() -> Database.builder(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Database.builder("x").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("call url(...)");
        assertThatThrownBy(() -> Database.builder("x").url("postgres://nope"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("r2dbc:postgresql://");
        assertThatThrownBy(() -> Database.builder("x").maxSize(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
    }
}
