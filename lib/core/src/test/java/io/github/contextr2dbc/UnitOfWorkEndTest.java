package io.github.contextr2dbc;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Hooks;
import reactor.test.StepVerifier;
import reactor.test.util.RaceTestUtils;
import reactor.util.context.Context;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link UnitOfWorkEnd} without a database (its sessions never connect): decided once whoever asks first, every
 * caller told the one outcome, the listener told once, before the callers.
 */
class UnitOfWorkEndTest {

    /** Records what the listener is told. */
    private static final class Recorder implements UnitOfWorkEnd.Listener {

        final List<String> told = new CopyOnWriteArrayList<>();

        @Override
        public void ending(UnitOfWork unitOfWork, UnitOfWorkEnd.Kind kind) {
            this.told.add("ending " + kind);
        }

        @Override
        public void ended(UnitOfWorkEnd.Kind kind, boolean committed, @Nullable Throwable error) {
            this.told.add("ended " + kind + " committed=" + committed + " error=" + error);
        }
    }

    @Test
    void theFirstAskDecidesAndLaterAsksGetItsOutcome() {
        Recorder recorder = new Recorder();
        UnitOfWorkEnd end = UnitOfWorkEnd.of(UnitOfWork.create(), recorder, Context.empty());
        assertThat(end.decided()).isNull();

        StepVerifier.create(end.commit(null)).expectComplete().verify();
        StepVerifier.create(end.rollback()).expectComplete().verify();
        StepVerifier.create(end.outcome()).expectComplete().verify();
        end.cancel();

        assertThat(end.decided()).isEqualTo(UnitOfWorkEnd.Kind.COMMIT);
        assertThat(end.unitOfWork().isEnded()).isTrue();
        assertThat(recorder.told).containsExactly("ending COMMIT", "ended COMMIT committed=true error=null");
    }

    @Test
    void anOutcomeAskedBeforeTheDecisionWaitsForIt() {
        Recorder recorder = new Recorder();
        UnitOfWorkEnd end = UnitOfWorkEnd.of(UnitOfWork.create(), recorder, Context.empty());
        AtomicInteger told = new AtomicInteger();
        Disposable waiting = end.outcome().subscribe(null, error -> told.incrementAndGet(), told::incrementAndGet);
        assertThat(told).hasValue(0);

        end.cancel();

        assertThat(told).hasValue(1);
        assertThat(waiting.isDisposed()).isTrue();
        assertThat(recorder.told).containsExactly("ending ROLLBACK", "ended ROLLBACK committed=false error=null");
    }

    @Test
    void aCallerThatCancelsIsNotToldButTheEndRunsOn() {
        UnitOfWorkEnd end = UnitOfWorkEnd.of(UnitOfWork.create(), null, Context.empty());
        AtomicInteger told = new AtomicInteger();
        end.outcome().subscribe(null, error -> told.incrementAndGet(), told::incrementAndGet).dispose();

        StepVerifier.create(end.rollback()).expectComplete().verify();

        assertThat(told).hasValue(0);
        assertThat(end.unitOfWork().isEnded()).isTrue();
    }

    @Test
    void racingCommitRollbackAndCancelEndTheUnitOfWorkExactlyOnce() {
        for (int round = 0; round < 2_000; round++) {
            Recorder recorder = new Recorder();
            UnitOfWorkEnd end = UnitOfWorkEnd.of(UnitOfWork.create(), recorder, Context.empty());
            AtomicInteger completed = new AtomicInteger();
            RaceTestUtils.race(
                    () -> end.commit(null).subscribe(null, null, completed::incrementAndGet),
                    () -> end.rollback().subscribe(null, null, completed::incrementAndGet),
                    end::cancel);
            assertThat(completed).as("callers told, round %d", round).hasValue(2);
            assertThat(recorder.told).as("round %d", round).hasSize(2);
            assertThat(recorder.told.get(0)).isEqualTo("ending " + end.decided());
            assertThat(end.unitOfWork().isEnded()).isTrue();
        }
    }

    @Test
    void anErrorNobodyReceivesGoesToOnErrorDropped() {
        List<Throwable> dropped = new CopyOnWriteArrayList<>();
        RuntimeException failing = new IllegalStateException("listener fails");
        UnitOfWorkEnd.Listener listener = (kind, committed, error) -> {
            throw failing;
        };
        Hooks.onErrorDropped(dropped::add);
        try {
            UnitOfWorkEnd end = UnitOfWorkEnd.of(UnitOfWork.create(), listener, Context.empty());
            StepVerifier.create(end.rollback()).expectComplete().verify();
            assertThat(dropped).containsExactly(failing);
            StepVerifier.create(end.outcome()).expectComplete().verify();
        } finally {
            Hooks.resetOnErrorDropped();
        }
    }
}
