package io.github.contextr2dbc;

import java.util.function.Function;

import io.r2dbc.spi.Connection;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * A session acquiring its connection, inside the turn of the statement that needs it, then running that
 * statement on it: one subscriber ({@link Connecting}) is first the acquisition's, then the statement's
 * (what {@code acquisition.flatMapMany(connection -> onConnection(...))} did with three objects: it is what a
 * unit of work keeps while it waits for its connection). The acquisition is subscribed and never cancelled;
 * on its outcome the lease is stored in the session and the {@linkplain SerialQueue#holdTurn() hold on the
 * turn} dropped, then, unless the statement has been cancelled, the statement is made on the connection
 * ({@link SessionTransaction#onConnection}) and its signals relayed (a failure nobody is left to receive
 * goes to {@link Undeliverable}).
 *
 * <table>
 * <caption>States (the hold is dropped exactly once, on the acquisition's outcome)</caption>
 * <tr><th>state</th><th>entered by</th><th>on the acquisition's outcome / then</th></tr>
 * <tr><td>acquiring</td><td>subscription</td><td>lease stored, hold dropped, statement subscribed
 * (connected); a failure goes on</td></tr>
 * <tr><td>cancelled while acquiring</td><td>a cancel</td><td>lease stored, hold dropped, no statement (the
 * session releases the connection when finished); a failure goes to {@link Undeliverable}</td></tr>
 * <tr><td>connected</td><td>the lease</td><td>the statement's signals relayed, requests and cancel passed
 * to it ({@link Operators.DeferredSubscription}: requests made while acquiring are kept for it)</td></tr>
 * </table>
 */
final class SessionAcquisition<T> extends Flux<T> {

    private final SessionTransaction session;

    private final SerialQueue.Hold hold;

    private final Publisher<Lease> acquisition;

    private final Function<? super Connection, ? extends Publisher<T>> work;

    SessionAcquisition(SessionTransaction session, SerialQueue.Hold hold, Publisher<Lease> acquisition,
            Function<? super Connection, ? extends Publisher<T>> work) {
        this.session = session;
        this.hold = hold;
        this.acquisition = acquisition;
        this.work = work;
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        Connecting<T> connecting = new Connecting<>(actual, this.session, this.hold, this.work);
        actual.onSubscribe(connecting);
        this.acquisition.subscribe(connecting);
    }

    /**
     * Subscriber of the acquisition (signals of a {@link Lease}) until the lease arrives, then of the
     * statement (signals of {@code T}): {@code connected} tells the two apart, set before the statement is
     * subscribed and after the acquisition has ended.
     */
    private static final class Connecting<T> extends Operators.DeferredSubscription implements CoreSubscriber<Object> {

        private final CoreSubscriber<? super T> actual;

        private final SessionTransaction session;

        private final SerialQueue.Hold hold;

        private final Function<? super Connection, ? extends Publisher<T>> work;

        /** The acquisition's lease, until its completion. */
        private @Nullable Lease leased;

        /** The acquisition has ended with a lease: signals from now on are the statement's. */
        private boolean connected;

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

        @Override
        public void onSubscribe(Subscription subscription) {
            if (this.connected) {
                set(subscription); // requests kept so far go to the statement; cancelled meanwhile: cancels it
            } else {
                subscription.request(Long.MAX_VALUE); // the acquisition: never cancelled, never kept
            }
        }

        @Override
        @SuppressWarnings("unchecked")
        public void onNext(Object value) {
            if (this.connected) {
                this.actual.onNext((T) value);
            } else {
                this.leased = (Lease) value;
            }
        }

        @Override
        public void onError(Throwable error) {
            if (this.connected) {
                this.actual.onError(error);
                return;
            }
            this.hold.drop();
            if (isCancelled()) {
                Undeliverable.error("Connecting a session of " + this.session.database.name(), error,
                        this.actual.currentContext());
                return;
            }
            this.actual.onError(error);
        }

        @Override
        public void onComplete() {
            if (this.connected) {
                this.actual.onComplete();
                return;
            }
            Lease lease = this.leased;
            if (lease == null) {
                this.hold.drop();
                this.actual.onError(new IllegalStateException("The pool of database '" + this.session.database.name()
                        + "' completed without a connection"));
                return;
            }
            this.leased = null;
            this.session.acquired(lease);
            this.hold.drop();
            if (isCancelled()) {
                return; // the session releases the connection when it finishes
            }
            this.connected = true;
            Publisher<T> statement;
            try {
                statement = this.session.onConnection(lease.connection, this.work, this.actual.currentContext());
            } catch (Throwable failure) {
                this.actual.onError(Operators.onOperatorError(failure, this.actual.currentContext()));
                return;
            }
            statement.subscribe(this);
        }
    }
}
