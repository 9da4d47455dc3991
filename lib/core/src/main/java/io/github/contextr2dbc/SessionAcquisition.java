package io.github.contextr2dbc;

import io.r2dbc.spi.Connection;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * A session acquiring its connection, inside the turn of the statement that needs it: the acquisition is
 * subscribed and never cancelled; on its outcome the lease is stored in the session and the
 * {@linkplain SerialQueue#holdTurn() hold on the turn} dropped, then the connection (or error) is relayed to
 * the statement unless that has cancelled (a failure nobody is left to receive goes to
 * {@link Undeliverable}).
 *
 * <table>
 * <caption>States (those of {@link Operators.MonoSubscriber}; the hold is dropped exactly once)</caption>
 * <tr><th>state</th><th>on the acquisition's outcome</th></tr>
 * <tr><td>acquiring</td><td>lease stored, hold dropped, connection relayed</td></tr>
 * <tr><td>cancelled</td><td>lease stored, hold dropped, connection not relayed (the session releases
 * it when finished); a failure goes to {@link Undeliverable}</td></tr>
 * </table>
 */
final class SessionAcquisition extends Mono<Connection> {

    private final SessionTransaction session;

    private final SerialQueue.Hold hold;

    private final Mono<Lease> acquisition;

    SessionAcquisition(SessionTransaction session, SerialQueue.Hold hold, Mono<Lease> acquisition) {
        this.session = session;
        this.hold = hold;
        this.acquisition = acquisition;
    }

    @Override
    public void subscribe(CoreSubscriber<? super Connection> actual) {
        Connecting connecting = new Connecting(actual, this.session, this.hold);
        actual.onSubscribe(connecting);
        this.acquisition.subscribe(connecting);
    }

    private static final class Connecting extends Operators.MonoSubscriber<Lease, Connection> {

        private final SessionTransaction session;

        private final SerialQueue.Hold hold;

        private @Nullable Lease leased;

        Connecting(CoreSubscriber<? super Connection> actual, SessionTransaction session, SerialQueue.Hold hold) {
            super(actual);
            this.session = session;
            this.hold = hold;
        }

        @Override
        public void onSubscribe(Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Lease lease) {
            this.leased = lease;
        }

        @Override
        public void onError(Throwable error) {
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
            Lease lease = this.leased;
            if (lease == null) {
                this.hold.drop();
                this.actual.onError(new IllegalStateException("The pool of database '" + this.session.database.name()
                        + "' completed without a connection"));
                return;
            }
            this.session.acquired(lease);
            this.hold.drop();
            complete(lease.connection);
        }
    }
}
