package io.github.contextr2dbc;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * {@link UnitOfWork#inNewUnitOfWork(Mono)} and {@link UnitOfWork#inNewUnitOfWork(Flux)}: run the work in a unit
 * of work of its own and end it through its {@link UnitOfWorkEnd} (the one mechanism the WebFilter uses too):
 * the work's completion commits, then closes; its error closes (rolling back); the caller's cancel closes. The
 * terminal signal goes on once the unit of work is closed; a {@code Mono}'s value goes on with it, a
 * {@code Flux}'s elements as they come.
 *
 * <p>They run once per request or job, so each is one subscriber rather than {@code usingWhen} and a chain of
 * operators. Who ends the unit of work is decided once, in the {@link UnitOfWorkEnd}: the first of the work's
 * outcome and the caller's cancel.
 *
 * <table>
 * <caption>Stages of either subscriber</caption>
 * <tr><th>stage</th><th>entered by</th><th>then</th></tr>
 * <tr><td>working</td><td>subscription</td><td>the work runs in the new unit of work</td></tr>
 * <tr><td>ending</td><td>the work's completion (commit, then close) or error (close), if it decided the
 * end</td><td>the outcome goes on once closed; if the caller has cancelled meanwhile, an error goes to
 * {@code onErrorDropped}, a value to {@code onDiscard}</td></tr>
 * <tr><td>cancelled</td><td>the caller's cancel</td><td>the work is cancelled; if the end was not decided,
 * the unit of work is closed (rolled back); nothing goes on</td></tr>
 * </table>
 */
final class NewUnitOfWork {

    private NewUnitOfWork() {
    }

    /** {@link UnitOfWork#inNewUnitOfWork(Mono)}. */
    static final class InMono<T> extends Mono<T> {

        private final Mono<T> work;

        InMono(Mono<T> work) {
            this.work = work;
        }

        @Override
        public void subscribe(CoreSubscriber<? super T> actual) {
            MonoRun<T> run = new MonoRun<>(actual, UnitOfWork.create());
            actual.onSubscribe(run);
            this.work.subscribe(run);
        }
    }

    /** {@link UnitOfWork#inNewUnitOfWork(Flux)}. */
    static final class InFlux<T> extends Flux<T> {

        private final Flux<T> work;

        InFlux(Flux<T> work) {
            this.work = work;
        }

        @Override
        public void subscribe(CoreSubscriber<? super T> actual) {
            FluxRun<T> run = new FluxRun<>(actual, UnitOfWork.create());
            actual.onSubscribe(run);
            this.work.subscribe(run);
        }
    }

    /** The work's error, with a failure to end the unit of work suppressed into it. */
    private static Throwable withSuppressed(Throwable error, @Nullable Throwable failure) {
        if (failure != null && failure != error) {
            error.addSuppressed(failure);
        }
        return error;
    }

    /** The subscriber of a {@code Mono} work, and the subscription of its caller. */
    private static final class MonoRun<T> extends Operators.MonoSubscriber<T, T> implements UnitOfWorkEnd.Waiter {

        @SuppressWarnings("rawtypes")
        private static final AtomicReferenceFieldUpdater<MonoRun, Subscription> UPSTREAM =
                AtomicReferenceFieldUpdater.newUpdater(MonoRun.class, Subscription.class, "upstream");

        private final UnitOfWorkEnd end;

        /** The subscriber's Context with this unit of work in it (replacing any): the work's Context. */
        private final Context context;

        @Nullable
        private volatile Subscription upstream;

        @Nullable
        private T received;

        /** The work's error, given on once the unit of work is closed. */
        @Nullable
        private Throwable failed;

        MonoRun(CoreSubscriber<? super T> actual, UnitOfWork unitOfWork) {
            super(actual);
            this.context = unitOfWork.bindReplacingCurrent().apply(actual.currentContext());
            this.end = new UnitOfWorkEnd(unitOfWork, null, actual.currentContext());
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
            this.failed = error;
            if (!this.end.decide(UnitOfWorkEnd.ROLLING_BACK, null, this)) {
                Operators.onErrorDropped(error, this.context); // cancelled first
            }
        }

        @Override
        public void onComplete() {
            this.end.decide(UnitOfWorkEnd.COMMITTING, null, this);
        }

        @Override
        public void cancel() {
            super.cancel();
            Operators.terminate(UPSTREAM, this);
            this.end.cancel(); // if the end is already under way, it goes on; its outcome is dropped
        }

        @Override
        public boolean ended(@Nullable Throwable error) {
            Throwable outcome = this.failed == null ? error : withSuppressed(this.failed, error);
            T value = this.received;
            this.received = null;
            if (isCancelled()) {
                if (value != null) {
                    Operators.onDiscard(value, this.context);
                }
                if (outcome != null && this.failed != null) {
                    Undeliverable.error("Finishing a unit of work", outcome, this.actual.currentContext());
                    return true;
                }
                return false; // the end reports its own failure
            }
            if (outcome != null) {
                this.actual.onError(outcome);
            } else if (value != null) {
                complete(value);
            } else {
                this.actual.onComplete();
            }
            return true;
        }
    }

    /** The subscriber of a {@code Flux} work, and the subscription of its caller: elements pass as they come. */
    private static final class FluxRun<T> implements CoreSubscriber<T>, Subscription, Scannable,
            UnitOfWorkEnd.Waiter {

        @SuppressWarnings("rawtypes")
        private static final AtomicReferenceFieldUpdater<FluxRun, Subscription> UPSTREAM =
                AtomicReferenceFieldUpdater.newUpdater(FluxRun.class, Subscription.class, "upstream");

        @SuppressWarnings("rawtypes")
        private static final AtomicLongFieldUpdater<FluxRun> REQUESTED =
                AtomicLongFieldUpdater.newUpdater(FluxRun.class, "requested");

        @SuppressWarnings("rawtypes")
        private static final AtomicIntegerFieldUpdater<FluxRun> CANCELLED =
                AtomicIntegerFieldUpdater.newUpdater(FluxRun.class, "cancelled");

        private final CoreSubscriber<? super T> actual;

        private final UnitOfWorkEnd end;

        private final Context context;

        @Nullable
        private volatile Subscription upstream;

        /** Demand stored before the work's subscription came. */
        private volatile long requested;

        private volatile int cancelled;

        /** Whether the outcome went on (TERMINATED). */
        private volatile boolean done;

        @Nullable
        private Throwable failed;

        FluxRun(CoreSubscriber<? super T> actual, UnitOfWork unitOfWork) {
            this.actual = actual;
            this.context = unitOfWork.bindReplacingCurrent().apply(actual.currentContext());
            this.end = new UnitOfWorkEnd(unitOfWork, null, actual.currentContext());
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
            if (key == Attr.ACTUAL) {
                return this.actual;
            }
            if (key == Attr.CANCELLED) {
                return this.cancelled == 1;
            }
            if (key == Attr.TERMINATED) {
                return this.done;
            }
            return null;
        }

        @Override
        public void onSubscribe(Subscription subscription) {
            if (Operators.setOnce(UPSTREAM, this, subscription)) {
                requestStored(subscription);
            }
        }

        /** The caller's demand: passed on, or stored until the work's subscription comes. */
        @Override
        public void request(long n) {
            if (!Operators.validate(n)) {
                return;
            }
            Subscription subscription = this.upstream;
            if (subscription != null) {
                subscription.request(n);
                return;
            }
            Operators.addCap(REQUESTED, this, n);
            subscription = this.upstream;
            if (subscription != null) {
                requestStored(subscription);
            }
        }

        /** Passes on the demand stored before the subscription came, exactly once (whoever takes it). */
        private void requestStored(Subscription subscription) {
            long stored = REQUESTED.getAndSet(this, 0L);
            if (stored != 0L) {
                subscription.request(stored);
            }
        }

        @Override
        public void onNext(T value) {
            this.actual.onNext(value);
        }

        @Override
        public void onError(Throwable error) {
            this.failed = error;
            if (!this.end.decide(UnitOfWorkEnd.ROLLING_BACK, null, this)) {
                Operators.onErrorDropped(error, this.context); // cancelled first
            }
        }

        @Override
        public void onComplete() {
            this.end.decide(UnitOfWorkEnd.COMMITTING, null, this);
        }

        @Override
        public void cancel() {
            if (CANCELLED.compareAndSet(this, 0, 1)) {
                Operators.terminate(UPSTREAM, this);
                this.end.cancel(); // if the end is already under way, it goes on; its outcome is dropped
            }
        }

        @Override
        public boolean ended(@Nullable Throwable error) {
            Throwable outcome = this.failed == null ? error : withSuppressed(this.failed, error);
            if (this.cancelled == 1) {
                if (outcome != null && this.failed != null) {
                    Undeliverable.error("Finishing a unit of work", outcome, this.actual.currentContext());
                    return true;
                }
                return false; // the end reports its own failure
            }
            this.done = true;
            if (outcome != null) {
                this.actual.onError(outcome);
            } else {
                this.actual.onComplete();
            }
            return true;
        }
    }
}
