package io.github.contextr2dbc;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * {@link UnitOfWork#inNewUnitOfWork(Mono)}: runs a {@link Mono} in a unit of work of its own, then commits
 * it (on a value or on completion) or closes it (rolling back) on error and on cancel, and closes it in
 * every case. The value is passed on once the unit of work is committed and closed.
 *
 * <p>It runs once per request or job, so it is one subscriber with three small steps rather than
 * {@code usingWhen} and a chain of operators. Who finishes the unit of work is decided once: the first of
 * the work's outcome and the subscriber's cancel.
 */
final class NewUnitOfWork<T> extends Mono<T> {

    private final Mono<T> work;

    NewUnitOfWork(Mono<T> work) {
        this.work = work;
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        Run<T> run = new Run<>(actual, UnitOfWork.create());
        actual.onSubscribe(run);
        this.work.subscribe(run);
    }

    /**
     * The subscriber of the work, and the subscription of the caller.
     *
     * <table>
     * <caption>Stages (decided once, by compare-and-set)</caption>
     * <tr><th>stage</th><th>entered by</th><th>then</th></tr>
     * <tr><td>{@code WORKING}</td><td>subscription</td><td>the work runs in the new unit of work</td></tr>
     * <tr><td>{@code FINISHING}</td><td>the work's completion (commit, then close) or error (close)</td><td>the
     * outcome goes on once closed (dropped if the caller has cancelled meanwhile)</td></tr>
     * <tr><td>{@code CANCELLED}</td><td>the caller's cancel while working</td><td>the work is cancelled and
     * the unit of work closed (rolled back); nothing goes on</td></tr>
     * </table>
     */
    private static final class Run<T> extends Operators.MonoSubscriber<T, T> {

        private static final int WORKING = 0;

        private static final int FINISHING = 1;

        private static final int CANCELLED = 2;

        @SuppressWarnings("rawtypes")
        private static final AtomicIntegerFieldUpdater<Run> STAGE = AtomicIntegerFieldUpdater.newUpdater(
                Run.class, "stage");

        @SuppressWarnings("rawtypes")
        private static final AtomicReferenceFieldUpdater<Run, Subscription> UPSTREAM =
                AtomicReferenceFieldUpdater.newUpdater(Run.class, Subscription.class, "upstream");

        private final UnitOfWork unitOfWork;

        /** The subscriber's Context with this unit of work in it (replacing any): the work's Context. */
        private final Context context;

        private volatile int stage;

        @Nullable
        private volatile Subscription upstream;

        @Nullable
        private T received;

        Run(CoreSubscriber<? super T> actual, UnitOfWork unitOfWork) {
            super(actual);
            this.unitOfWork = unitOfWork;
            this.context = unitOfWork.bindReplacingCurrent().apply(actual.currentContext());
        }

        @Override
        public Context currentContext() {
            return this.context;
        }

        @SuppressWarnings("rawtypes") // Scannable declares scanUnsafe(Attr) with the raw type
        @Override
        @Nullable
        public Object scanUnsafe(Attr key) {
            if (key == Attr.PARENT) {
                return this.upstream;
            }
            return super.scanUnsafe(key); // ACTUAL, CANCELLED, TERMINATED
        }

        @Override
        public void onSubscribe(Subscription subscription) {
            if (Operators.setOnce(UPSTREAM, this, subscription)) {
                subscription.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(T value) {
            this.received = value;
        }

        @Override
        public void onError(Throwable error) {
            if (STAGE.compareAndSet(this, WORKING, FINISHING)) {
                this.unitOfWork.close().subscribe(new Step(this, StepKind.CLOSE, error));
            } else {
                Operators.onErrorDropped(error, this.context);
            }
        }

        @Override
        public void onComplete() {
            if (STAGE.compareAndSet(this, WORKING, FINISHING)) {
                this.unitOfWork.commit().subscribe(new Step(this, StepKind.COMMIT, null));
            }
        }

        @Override
        public void cancel() {
            super.cancel();
            if (STAGE.compareAndSet(this, WORKING, CANCELLED)) {
                Operators.terminate(UPSTREAM, this);
                this.unitOfWork.close().subscribe(new Step(this, StepKind.CLOSE, null));
            }
            // FINISHING: the commit or close under way goes on (both are uncancellable); its outcome is dropped
        }

        /** The unit of work is committed (if it was to be) and closed: pass the outcome on. */
        void finished(@Nullable Throwable error) {
            if (isCancelled()) {
                if (error != null) {
                    Undeliverable.error("Finishing a unit of work", error, this.context);
                }
                T dropped = this.received;
                this.received = null;
                if (dropped != null) {
                    Operators.onDiscard(dropped, this.context);
                }
                return;
            }
            if (error != null) {
                this.received = null;
                this.actual.onError(error);
                return;
            }
            T value = this.received;
            if (value != null) {
                this.received = null;
                complete(value);
            } else {
                this.actual.onComplete();
            }
        }
    }

    /** The two steps that finish the unit of work: commit (followed by close), and close. */
    private enum StepKind {
        COMMIT,
        CLOSE
    }

    /**
     * Commit, then close; or close alone. A commit's failure is the outcome (the close that follows adds
     * its own failure as suppressed); so is the work's error given to a close.
     */
    private static final class Step extends OutcomeSubscriber {

        private final Run<?> run;

        private final StepKind kind;

        @Nullable
        private final Throwable earlier;

        Step(Run<?> run, StepKind kind, @Nullable Throwable earlier) {
            super(run.actual().currentContext());
            this.run = run;
            this.kind = kind;
            this.earlier = earlier;
        }

        @Override
        public void onError(Throwable error) {
            if (this.kind == StepKind.COMMIT) {
                this.run.unitOfWork.close().subscribe(new Step(this.run, StepKind.CLOSE, error));
                return;
            }
            Throwable outcome = error;
            if (this.earlier != null) {
                this.earlier.addSuppressed(error);
                outcome = this.earlier;
            }
            this.run.finished(outcome);
        }

        @Override
        public void onComplete() {
            if (this.kind == StepKind.COMMIT) {
                this.run.unitOfWork.close().subscribe(new Step(this.run, StepKind.CLOSE, null));
                return;
            }
            this.run.finished(this.earlier);
        }
    }
}
