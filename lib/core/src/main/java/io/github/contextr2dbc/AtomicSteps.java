package io.github.contextr2dbc;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.util.context.Context;

/**
 * The two steps of an {@link AtomicRun} that it subscribes and never cancels: entering the block, and leaving
 * it (the exit). Each relays its outcome to the run.
 */
final class AtomicSteps {

    private AtomicSteps() {
    }

    /** Subscribes to the entering step (never cancelling it). */
    static final class Entering implements CoreSubscriber<AtomicFrame> {

        private final AtomicRun<?> run;

        @Nullable
        private AtomicFrame entered;

        Entering(AtomicRun<?> run) {
            this.run = run;
        }

        @Override
        public Context currentContext() {
            return this.run.actual.currentContext();
        }

        @Override
        public void onSubscribe(Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(AtomicFrame frame) {
            this.entered = frame;
        }

        @Override
        public void onError(Throwable error) {
            this.run.enterFailed(error);
        }

        @Override
        public void onComplete() {
            this.run.entered(this.entered);
        }
    }

    /**
     * Subscribes to the leaving step (never cancelling it). The body's error, if any, is the outcome, with a
     * failure of the rollback added to it as suppressed.
     */
    static final class Exit extends OutcomeSubscriber {

        private final AtomicRun<?> run;

        @Nullable
        private final Throwable earlier;

        private final boolean afterCancel;

        Exit(AtomicRun<?> run, @Nullable Throwable earlier, boolean afterCancel) {
            super(run.actual.currentContext());
            this.run = run;
            this.earlier = earlier;
            this.afterCancel = afterCancel;
        }

        @Override
        public void onError(Throwable error) {
            Throwable outcome = error;
            if (this.earlier != null) {
                if (error != this.earlier) {
                    this.earlier.addSuppressed(error);
                }
                outcome = this.earlier;
            }
            this.run.exited(outcome, this.afterCancel);
        }

        @Override
        public void onComplete() {
            this.run.exited(this.earlier, this.afterCancel);
        }
    }
}
