package io.github.contextr2dbc;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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

    private static final Logger log = LoggerFactory.getLogger(NewUnitOfWork.class);

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

    private static final class Run<T> extends Operators.MonoSubscriber<T, T> {

        private static final int WORKING = 0;

        private static final int FINISHING = 1;

        private static final int CANCELLED = 2;

        @SuppressWarnings("rawtypes")
        private static final AtomicIntegerFieldUpdater<Run> STAGE = AtomicIntegerFieldUpdater.newUpdater(Run.class, "stage");

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
                this.unitOfWork.close().subscribe(new Step(this, Step.CLOSE, error));
            } else {
                Operators.onErrorDropped(error, this.context);
            }
        }

        @Override
        public void onComplete() {
            if (STAGE.compareAndSet(this, WORKING, FINISHING)) {
                this.unitOfWork.commit().subscribe(new Step(this, Step.COMMIT, null));
            }
        }

        @Override
        public void cancel() {
            super.cancel();
            if (STAGE.compareAndSet(this, WORKING, CANCELLED)) {
                Operators.terminate(UPSTREAM, this);
                this.unitOfWork.close().subscribe(new Step(this, Step.CLOSE, null));
            }
            // FINISHING: the commit or close under way goes on (both are uncancellable); its outcome is dropped
        }

        /** The unit of work is committed (if it was to be) and closed: pass the outcome on. */
        void finished(@Nullable Throwable error) {
            if (isCancelled()) {
                if (error != null) {
                    log.warn("A unit of work ended with a failure after its subscriber had cancelled", error);
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

    /**
     * Commit, then close; or close alone. A commit's failure is the outcome (the close that follows adds
     * its own failure as suppressed); so is the work's error given to a close.
     */
    private static final class Step extends OutcomeSubscriber {

        static final int COMMIT = 0;

        static final int CLOSE = 1;

        private final Run<?> run;

        private final int kind;

        @Nullable
        private final Throwable earlier;

        Step(Run<?> run, int kind, @Nullable Throwable earlier) {
            super(run.actual().currentContext());
            this.run = run;
            this.kind = kind;
            this.earlier = earlier;
        }

        @Override
        public void onError(Throwable error) {
            if (this.kind == COMMIT) {
                this.run.unitOfWork.close().subscribe(new Step(this.run, CLOSE, error));
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
            if (this.kind == COMMIT) {
                this.run.unitOfWork.close().subscribe(new Step(this.run, CLOSE, null));
                return;
            }
            this.run.finished(this.earlier);
        }
    }
}
