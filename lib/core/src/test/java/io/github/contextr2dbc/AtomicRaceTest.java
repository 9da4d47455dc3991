package io.github.contextr2dbc;

import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import reactor.test.util.RaceTestUtils;

import static io.github.contextr2dbc.Atomic.atomic;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An atomic block's entry and exit raced with its subscriber's cancel, thousands of times. A block that
 * runs no statement touches no connection, so every step here is synchronous: once both racers have
 * returned, the session must show no block running and let the next block in.
 */
class AtomicRaceTest {

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

    private void assertNoBlockRunning(UnitOfWork unitOfWork, int iteration) {
        DbSession session = unitOfWork.session(this.db);
        assertThat(session.toString()).as("iteration %d", iteration).doesNotContain("atomic block");
        StepVerifier.create(atomic(this.db).wrap(Mono.just("next")).contextWrite(unitOfWork.bind()))
                .expectNext("next")
                .verifyComplete();
    }

    @Test
    void cancelRacingTheEntryOfABlockNeverLeavesItRunning() {
        for (int i = 0; i < 20_000; i++) {
            UnitOfWork unitOfWork = UnitOfWork.create();
            Mono<Object> block = atomic(this.db).wrap(Mono.never()).contextWrite(unitOfWork.bind());
            BaseSubscriber<Object> subscriber = new BaseSubscriber<>() {
            };
            RaceTestUtils.race(() -> block.subscribe(subscriber), subscriber::dispose);
            assertNoBlockRunning(unitOfWork, i);
        }
    }

    @Test
    void cancelRacingTheExitOfANestedBlockLeavesEveryLevelExactlyOnce() {
        for (int i = 0; i < 20_000; i++) {
            UnitOfWork unitOfWork = UnitOfWork.create();
            Sinks.One<Integer> end = Sinks.one();
            java.util.List<String> signals = new java.util.concurrent.CopyOnWriteArrayList<>();
            BaseSubscriber<Integer> subscriber = new BaseSubscriber<>() {
                @Override
                protected void hookOnNext(Integer value) {
                    signals.add("next");
                }

                @Override
                protected void hookOnComplete() {
                    signals.add("complete");
                }

                @Override
                protected void hookOnError(Throwable error) {
                    signals.add("error " + error);
                }
            };
            atomic(this.db).wrap(atomic(this.db).wrap(end.asMono())).contextWrite(unitOfWork.bind())
                    .subscribe(subscriber);
            int value = i;
            RaceTestUtils.race(() -> end.tryEmitValue(value), subscriber::dispose);
            // the cancel may come between the value and the completion; never an error, never a signal twice
            assertThat(signals).as("iteration %d", i)
                    .isIn(java.util.List.of(), java.util.List.of("next"), java.util.List.of("next", "complete"));
            assertNoBlockRunning(unitOfWork, i);
        }
    }
}
