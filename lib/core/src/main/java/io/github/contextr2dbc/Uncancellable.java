package io.github.contextr2dbc;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * Runs work that must finish once started — commit, rollback, releasing a connection — whatever the
 * subscriber does.
 *
 * <p>The work is subscribed by this class (with the subscriber's Context) and its outcome relayed to
 * the subscriber. Cancelling only detaches the subscriber: the work still runs to its end, so a
 * cancelled request can never leave a transaction open or a connection acquired. An error that nobody
 * is left to receive goes to {@link Undeliverable}, never dropped silently.
 *
 * <p>It sits on the path of every unit of work, so it is one small subscriber rather than a chain of
 * operators and a serialising sink.
 */
final class Uncancellable {

    private Uncancellable() {
    }

    /**
     * {@code work}, run to its end even if the returned {@link Mono} is cancelled; {@code action} and
     * {@code subject} name it in the log if it fails with nobody left to tell.
     *
     * @return a cold {@link Mono}: complete and error as {@code work}'s; cancel detaches the subscriber
     * and lets {@code work} finish (its value, if any, is then discarded, its error goes to
     * {@link Undeliverable})
     */
    static <T> Mono<T> run(String action, String subject, Mono<T> work) {
        return new Run<>(action, subject, work);
    }

    private static final class Run<T> extends Mono<T> {

        private final String action;

        private final String subject;

        private final Mono<T> work;

        Run(String action, String subject, Mono<T> work) {
            this.action = action;
            this.subject = subject;
            this.work = work;
        }

        @Override
        public void subscribe(CoreSubscriber<? super T> actual) {
            Relay<T> relay = new Relay<>(actual, this.action, this.subject);
            actual.onSubscribe(relay);
            this.work.subscribe(relay);
        }
    }

    /**
     * Subscribes the work (never cancelling it: the work's subscription is not kept) and relays its
     * outcome to the subscriber unless that one has cancelled. The subscriber's Context is the work's.
     */
    private static final class Relay<T> extends Operators.MonoSubscriber<T, T> {

        private final String action;

        private final String subject;

        @Nullable
        private T received;

        Relay(CoreSubscriber<? super T> actual, String action, String subject) {
            super(actual);
            this.action = action;
            this.subject = subject;
        }

        @Override
        public void onSubscribe(Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(T value) {
            this.received = value;
        }

        @Override
        public void onError(Throwable error) {
            if (isCancelled()) {
                Undeliverable.error(this.action + " " + this.subject, error, this.actual.currentContext());
                return;
            }
            this.actual.onError(error);
        }

        @Override
        public void onComplete() {
            T value = this.received;
            if (value != null) {
                this.received = null;
                complete(value); // discards the value if the subscriber has cancelled
            } else if (!isCancelled()) {
                this.actual.onComplete();
            }
        }
    }
}
