package io.github.contextr2dbc;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.R2dbcTimeoutException;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.context.Context;

/**
 * A connection acquisition that fails with an {@link R2dbcTimeoutException} (caused by a
 * {@link TimeoutException}, no SQLSTATE) when the pool has not handed out a connection in time.
 *
 * <p>Only an acquisition that has to wait is timed: when the pool hands out an idle connection during the
 * subscription (the common case), no timer is scheduled at all. r2dbc-pool's own {@code maxAcquireTime}
 * schedules and cancels a task on {@link Schedulers#parallel()} for every acquisition, which costs more
 * than the rest of the acquisition and wakes another thread each time.
 *
 * <p>A connection that arrives after the timeout (a race) is given back to the pool at once.
 */
final class AcquireTimeout extends Mono<Connection> {

    private static final Logger log = LoggerFactory.getLogger(AcquireTimeout.class);

    private final Mono<Connection> acquisition;

    private final Duration timeout;

    private final String database;

    private final Scheduler timer;

    AcquireTimeout(Mono<Connection> acquisition, Duration timeout, String database) {
        this(acquisition, timeout, database, Schedulers.parallel());
    }

    AcquireTimeout(Mono<Connection> acquisition, Duration timeout, String database, Scheduler timer) {
        this.acquisition = acquisition;
        this.timeout = timeout;
        this.database = database;
        this.timer = timer;
    }

    @Override
    public void subscribe(CoreSubscriber<? super Connection> actual) {
        Acquirer acquirer = new Acquirer(actual, this);
        actual.onSubscribe(acquirer);
        this.acquisition.subscribe(acquirer);
        acquirer.startTimerIfWaiting();
    }

    /**
     * The subscriber of the pool's acquisition and the timer's task.
     *
     * <table>
     * <caption>Phases (decided once, by compare-and-set)</caption>
     * <tr><th>phase</th><th>entered by</th><th>then</th></tr>
     * <tr><td>{@code WAITING}</td><td>subscription</td><td>a timer is scheduled only if no connection came
     * during the subscription</td></tr>
     * <tr><td>{@code DONE}</td><td>the pool's connection or error</td><td>relayed (a connection to a cancelled
     * subscriber goes back to the pool)</td></tr>
     * <tr><td>{@code TIMED_OUT}</td><td>the timer, or a refused timer</td><td>the acquisition is cancelled, a
     * connection arriving later is given back; the subscriber gets the timeout</td></tr>
     * </table>
     */
    private static final class Acquirer extends Operators.MonoSubscriber<Connection, Connection> implements Runnable {

        private static final int WAITING = 0;

        private static final int DONE = 1;

        private static final int TIMED_OUT = 2;

        private static final AtomicIntegerFieldUpdater<Acquirer> PHASE =
                AtomicIntegerFieldUpdater.newUpdater(Acquirer.class, "phase");

        private final AcquireTimeout parent;

        private volatile int phase;

        @Nullable
        private volatile Subscription upstream;

        @Nullable
        private volatile Disposable pendingTimer;

        Acquirer(CoreSubscriber<? super Connection> actual, AcquireTimeout parent) {
            super(actual);
            this.parent = parent;
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

        void startTimerIfWaiting() {
            if (this.phase != WAITING || isCancelled()) {
                return;
            }
            Disposable scheduled;
            try {
                scheduled = this.parent.timer.schedule(this, this.parent.timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException rejected) {
                if (PHASE.compareAndSet(this, WAITING, TIMED_OUT)) {
                    cancelUpstream();
                    this.actual.onError(new IllegalStateException("Cannot time the connection acquisition from "
                            + "database '" + this.parent.database + "': the timer scheduler refused it", rejected));
                }
                return;
            }
            this.pendingTimer = scheduled;
            if (this.phase != WAITING) {
                scheduled.dispose(); // the connection (or an error) came while the timer was being scheduled
            }
        }

        @Override
        public void onSubscribe(Subscription subscription) {
            if (Operators.validate(this.upstream, subscription)) {
                this.upstream = subscription;
                if (this.phase != WAITING) {
                    subscription.cancel(); // timed out or cancelled before the acquisition had started
                } else {
                    subscription.request(Long.MAX_VALUE);
                }
            }
        }

        @Override
        public void onNext(Connection connection) {
            if (PHASE.compareAndSet(this, WAITING, DONE)) {
                stopTimer();
                complete(connection); // gives nothing to a subscriber that has cancelled: see discard
                return;
            }
            giveBack(connection, "arrived after the acquire timeout");
        }

        @Override
        public void onError(Throwable error) {
            if (PHASE.compareAndSet(this, WAITING, DONE)) {
                stopTimer();
                this.actual.onError(error);
                return;
            }
            Operators.onErrorDropped(error, currentContext());
        }

        @Override
        public void onComplete() {
            if (PHASE.compareAndSet(this, WAITING, DONE)) {
                stopTimer();
                this.actual.onComplete();
            }
        }

        /** The timer fired. */
        @Override
        public void run() {
            if (PHASE.compareAndSet(this, WAITING, TIMED_OUT)) {
                cancelUpstream(); // the pool drops the waiting borrower, or takes a late connection back
                String after = this.parent.timeout.toMillis() > 0 ? this.parent.timeout.toMillis() + "ms"
                        : this.parent.timeout.toNanos() / 1000 + "us";
                this.actual.onError(new R2dbcTimeoutException("Connection acquisition from database '"
                        + this.parent.database + "' timed out after " + after + ": every connection of the pool was "
                        + "in use, or a new one could not be opened in time. Raise the pool's maxSize, keep units of "
                        + "work shorter, or raise acquireTimeout.",
                        new TimeoutException("no connection within " + after)));
            }
        }

        @Override
        public void cancel() {
            super.cancel();
            if (PHASE.compareAndSet(this, WAITING, DONE)) {
                stopTimer();
                cancelUpstream();
            }
        }

        /**
         * A connection handed to a subscriber that has cancelled goes back to the pool ({@code cancel()} calls
         * this with null when no connection was held).
         */
        @Override
        protected void discard(@Nullable Connection connection) {
            if (connection != null) {
                giveBack(connection, "arrived after its acquisition was cancelled");
            }
        }

        private void cancelUpstream() {
            Subscription subscription = this.upstream;
            if (subscription != null) {
                subscription.cancel();
            }
        }

        private void stopTimer() {
            Disposable scheduled = this.pendingTimer;
            if (scheduled != null) {
                scheduled.dispose();
            }
        }

        /**
         * Closes (gives back to the pool) a connection nobody is waiting for; nobody is left to tell of a
         * failure, so it is logged.
         */
        private void giveBack(Connection connection, String why) {
            String database = this.parent.database;
            Mono.from(connection.close()).subscribe(new OutcomeSubscriber(Context.empty()) {
                @Override
                public void onError(Throwable error) {
                    log.warn("Giving back a connection of database '{}' that {} failed", database, why, error);
                }

                @Override
                public void onComplete() {
                }
            });
        }
    }
}
