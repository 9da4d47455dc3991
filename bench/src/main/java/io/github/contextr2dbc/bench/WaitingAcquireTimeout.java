package io.github.contextr2dbc.bench;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.R2dbcTimeoutException;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Schedulers;

/**
 * The acquire timeout context-r2dbc's {@code Database} gives its own pool, for the r2dbc-pool variants: only an
 * acquisition that has to wait is timed. When the pool hands out an idle connection during the subscription
 * (the common case) no timer is scheduled; otherwise one task on {@link Schedulers#parallel()} fails the
 * acquisition with an {@link R2dbcTimeoutException} (caused by a {@link TimeoutException}) after the timeout,
 * and a connection that arrives after that is closed (given back to the pool). One subscriber per acquisition,
 * as in the library, so that every variant pays the same for the same behaviour
 * ({@link BenchSettings.AcquireTimeoutMode#WAITING}).
 */
final class WaitingAcquireTimeout extends Mono<Connection> {

    private final Mono<Connection> acquisition;

    private final long timeoutNanos;

    WaitingAcquireTimeout(Mono<Connection> acquisition, Duration timeout) {
        this.acquisition = acquisition;
        this.timeoutNanos = timeout.toNanos();
    }

    @Override
    public void subscribe(CoreSubscriber<? super Connection> actual) {
        Acquirer acquirer = new Acquirer(actual, this.timeoutNanos);
        actual.onSubscribe(acquirer);
        this.acquisition.subscribe(acquirer);
        acquirer.startTimerIfWaiting();
    }

    private static final class Acquirer extends Operators.MonoSubscriber<Connection, Connection> implements Runnable {

        private static final int WAITING = 0;

        private static final int DONE = 1;

        private static final AtomicIntegerFieldUpdater<Acquirer> PHASE =
                AtomicIntegerFieldUpdater.newUpdater(Acquirer.class, "phase");

        private final long timeoutNanos;

        private volatile int phase;

        private volatile Subscription upstream;

        private volatile Disposable timer;

        Acquirer(CoreSubscriber<? super Connection> actual, long timeoutNanos) {
            super(actual);
            this.timeoutNanos = timeoutNanos;
        }

        void startTimerIfWaiting() {
            if (this.phase != WAITING) {
                return;
            }
            Disposable scheduled = Schedulers.parallel().schedule(this, this.timeoutNanos, TimeUnit.NANOSECONDS);
            this.timer = scheduled;
            if (this.phase != WAITING) {
                scheduled.dispose();
            }
        }

        @Override
        public void onSubscribe(Subscription subscription) {
            if (Operators.validate(this.upstream, subscription)) {
                this.upstream = subscription;
                if (this.phase == WAITING) {
                    subscription.request(Long.MAX_VALUE);
                } else {
                    subscription.cancel();
                }
            }
        }

        @Override
        public void onNext(Connection connection) {
            if (PHASE.compareAndSet(this, WAITING, DONE)) {
                disposeTimer();
                complete(connection);
            } else {
                Mono.from(connection.close()).subscribe(); // timed out or cancelled meanwhile: back to the pool
            }
        }

        @Override
        public void onError(Throwable error) {
            if (PHASE.compareAndSet(this, WAITING, DONE)) {
                disposeTimer();
                this.actual.onError(error);
            } else {
                Operators.onErrorDropped(error, currentContext());
            }
        }

        @Override
        public void onComplete() {
            if (PHASE.compareAndSet(this, WAITING, DONE)) {
                disposeTimer();
                this.actual.onComplete();
            }
        }

        /** The timer: fails the acquisition if it is still waiting. */
        @Override
        public void run() {
            if (PHASE.compareAndSet(this, WAITING, DONE)) {
                cancelUpstream();
                this.actual.onError(new R2dbcTimeoutException("No connection within "
                        + Duration.ofNanos(this.timeoutNanos), new TimeoutException()));
            }
        }

        @Override
        public void cancel() {
            super.cancel();
            if (PHASE.compareAndSet(this, WAITING, DONE)) {
                disposeTimer();
                cancelUpstream();
            }
        }

        private void cancelUpstream() {
            Subscription subscription = this.upstream;
            if (subscription != null) {
                subscription.cancel();
            }
        }

        private void disposeTimer() {
            Disposable scheduled = this.timer;
            if (scheduled != null) {
                scheduled.dispose();
            }
        }
    }
}
