package io.github.contextr2dbc;

import java.util.function.Function;

import io.r2dbc.spi.Connection;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * A session acquiring its connection, inside the turn of the statement that needs it, then running that
 * statement on it, with one subscriber ({@link Connecting}): first of the database's {@code beforeSession}
 * hook (if any), then of the pool acquisition (entering the current pool generation and making the
 * connection a counted {@link Lease}, what {@code DatabaseRuntime.acquire} does), then of the statement. It
 * is what a unit of work keeps while it waits for its connection: before, the same was
 * {@code acquisition.flatMapMany(connection -> onConnection(...))} with a lease subscriber under it, four
 * objects. The acquisition is subscribed and never cancelled; once it has ended the lease is stored in the
 * session and the {@linkplain SerialQueue#holdTurn() hold on the turn} dropped, then, unless the statement
 * has been cancelled, the statement is made on the connection ({@link SessionTransaction#onConnection}) and
 * its signals relayed (a failure nobody is left to receive goes to {@link Undeliverable}).
 *
 * <table>
 * <caption>Phases ({@code phase}, moved forward by the one signal sequence it is subscribed to; the hold
 * is dropped exactly once, when the acquisition has ended)</caption>
 * <tr><th>phase</th><th>subscribed to</th><th>then</th></tr>
 * <tr><td>{@code BEFORE}</td><td>the {@code beforeSession} hook</td><td>complete: acquiring; error: hold
 * dropped, the error goes on</td></tr>
 * <tr><td>{@code ACQUIRING}</td><td>the pool, in the generation entered (fails at once if the database is
 * closed)</td><td>the connection: leased, stored in the session; an error or no connection: the generation
 * left, then hold dropped and the error goes on</td></tr>
 * <tr><td>{@code LEASED}</td><td>(the pool's completion)</td><td>hold dropped; cancelled meanwhile: done (the
 * session releases the connection when finished), else connected</td></tr>
 * <tr><td>{@code CONNECTED}</td><td>the statement</td><td>its signals relayed, requests and cancel passed to
 * it ({@link Operators.DeferredSubscription}: requests made before are kept for it)</td></tr>
 * </table>
 * A cancel before {@code CONNECTED} cancels nothing upstream: it only means the outcome is not relayed.
 */
final class SessionAcquisition<T> extends Flux<T> {

    private final SessionTransaction session;

    private final SerialQueue.Hold hold;

    private final Function<? super Connection, ? extends Publisher<T>> work;

    SessionAcquisition(SessionTransaction session, SerialQueue.Hold hold,
            Function<? super Connection, ? extends Publisher<T>> work) {
        this.session = session;
        this.hold = hold;
        this.work = work;
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        Connecting<T> connecting = new Connecting<>(actual, this.session, this.hold, this.work);
        actual.onSubscribe(connecting);
        Database database = this.session.database;
        Function<? super Database, ? extends Mono<Void>> beforeSession = database.settings().beforeSession;
        if (beforeSession == null) {
            connecting.acquire();
            return;
        }
        Mono<Void> before;
        try {
            before = beforeSession.apply(database);
        } catch (Throwable error) {
            connecting.failed(Operators.onOperatorError(error, actual.currentContext()));
            return;
        }
        before.subscribe(connecting);
    }

    /**
     * Subscriber of the {@code beforeSession} hook, then of the acquisition, then of the statement: the
     * phase tells whose signals these are.
     */
    private static final class Connecting<T> extends Operators.DeferredSubscription implements CoreSubscriber<Object> {

        static final int BEFORE = 0;

        static final int ACQUIRING = 1;

        static final int LEASED = 2;

        static final int CONNECTED = 3;

        private final CoreSubscriber<? super T> actual;

        private final SessionTransaction session;

        private final SerialQueue.Hold hold;

        private final Function<? super Connection, ? extends Publisher<T>> work;

        /** The pool generation entered for the acquisition (set when acquiring starts). */
        private @Nullable PoolGeneration entered;

        /**
         * Written by the signal sequence being received only (each phase's signals follow the previous
         * phase's on the thread that ends it, or after it: a happens-before chain, as in any operator).
         */
        private int phase = BEFORE;

        Connecting(CoreSubscriber<? super T> actual, SessionTransaction session, SerialQueue.Hold hold,
                Function<? super Connection, ? extends Publisher<T>> work) {
            this.actual = actual;
            this.session = session;
            this.hold = hold;
            this.work = work;
        }

        @Override
        public Context currentContext() {
            return this.actual.currentContext();
        }

        @Override
        @Nullable
        @SuppressWarnings("rawtypes") // Scannable declares scanUnsafe(Attr) with the raw type
        public Object scanUnsafe(Attr key) {
            return key == Attr.ACTUAL ? this.actual : super.scanUnsafe(key);
        }

        /** Enters the current pool generation and subscribes its acquisition. */
        void acquire() {
            DatabaseRuntime runtime = this.session.database.runtime();
            if (runtime.isClosed()) {
                failed(runtime.closedError());
                return;
            }
            PoolGeneration generation = runtime.enterCurrent();
            this.entered = generation;
            this.phase = ACQUIRING;
            Mono<Connection> connection;
            try {
                connection = this.session.database.acquireThroughSource(generation);
            } catch (Throwable error) {
                leaveThenFail(Operators.onOperatorError(error, this.actual.currentContext()));
                return;
            }
            connection.subscribe(this);
        }

        @Override
        public void onSubscribe(Subscription subscription) {
            if (this.phase == CONNECTED) {
                set(subscription); // requests kept so far go to the statement; cancelled meanwhile: cancels it
            } else {
                subscription.request(Long.MAX_VALUE); // the hook or the acquisition: never cancelled, never kept
            }
        }

        @Override
        @SuppressWarnings("unchecked")
        public void onNext(Object value) {
            int current = this.phase;
            if (current == CONNECTED) {
                this.actual.onNext((T) value);
            } else if (current == ACQUIRING) {
                PoolGeneration generation = this.entered;
                this.session.acquired(this.session.database.runtime().leased((Connection) value, generation));
                this.phase = LEASED;
            } else {
                Operators.onNextDropped(value, this.actual.currentContext()); // not reached: Monos
            }
        }

        @Override
        public void onError(Throwable error) {
            int current = this.phase;
            if (current == CONNECTED) {
                this.actual.onError(error);
            } else if (current == ACQUIRING) {
                leaveThenFail(error);
            } else {
                failed(error); // the hook's (LEASED: not reached, a Mono's error comes instead of its value)
            }
        }

        @Override
        public void onComplete() {
            int current = this.phase;
            if (current == CONNECTED) {
                this.actual.onComplete();
            } else if (current == BEFORE) {
                acquire();
            } else if (current == ACQUIRING) {
                leaveThenFail(new IllegalStateException("The pool of database '" + this.session.database.name()
                        + "' completed without a connection"));
            } else {
                connected();
            }
        }

        /** The lease is stored: drops the hold, then runs the statement unless it was cancelled. */
        private void connected() {
            Lease lease = this.session.lease; // stored by this acquisition, read before the turn can move on
            this.hold.drop();
            if (isCancelled() || lease == null) {
                return; // the session releases the connection when it finishes
            }
            this.phase = CONNECTED;
            Publisher<T> statement;
            try {
                statement = this.session.onConnection(lease.connection, this.work, this.actual.currentContext());
            } catch (Throwable failure) {
                this.actual.onError(Operators.onOperatorError(failure, this.actual.currentContext()));
                return;
            }
            statement.subscribe(this);
        }

        /** The acquisition failed: the generation is left first, then {@link #failed} (with the leave's failure). */
        private void leaveThenFail(Throwable error) {
            PoolGeneration generation = this.entered;
            generation.leave().subscribe(new OutcomeSubscriber(this.actual.currentContext()) {
                @Override
                public void onError(Throwable leaveFailure) {
                    failed(leaveFailure);
                }

                @Override
                public void onComplete() {
                    failed(error);
                }
            });
        }

        /** No connection: the hold is dropped, the error relayed (or undeliverable, after a cancel). */
        void failed(Throwable error) {
            this.hold.drop();
            if (isCancelled()) {
                Undeliverable.error("Connecting a session of " + this.session.database.name(), error,
                        this.actual.currentContext());
                return;
            }
            this.actual.onError(error);
        }
    }
}
