package io.github.contextr2dbc.data;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * The one row of {@code get()}: the element of {@code rows}, {@link ObjectNotFoundException} if there is none,
 * {@link MultipleObjectsReturnedException} (after cancelling {@code rows}) at the second. One subscriber
 * instead of {@code switchIfEmpty(...).single().onErrorMap(...)}: it is on the path of every point read.
 *
 * <p>Signals: the element, then complete; error: {@code rows}' error or one of the two above; cancel: cancels
 * {@code rows} (an element already read is discarded).
 */
final class GetOne<T> extends Mono<T> {

    private final Flux<T> rows;

    private final String entity;

    /** What the rows were selected by, for the messages (its {@code toString()}). */
    private final Object filters;

    GetOne(Flux<T> rows, String entity, Object filters) {
        this.rows = rows;
        this.entity = entity;
        this.filters = filters;
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        this.rows.subscribe(new One<>(actual, this));
    }

    private static final class One<T> extends Operators.MonoSubscriber<T, T> {

        private final GetOne<T> get;

        private @Nullable Subscription upstream;

        private @Nullable T first;

        private boolean done;

        One(CoreSubscriber<? super T> actual, GetOne<T> get) {
            super(actual);
            this.get = get;
        }

        @Override
        public void onSubscribe(Subscription subscription) {
            if (Operators.validate(this.upstream, subscription)) {
                this.upstream = subscription;
                this.actual.onSubscribe(this);
                subscription.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(T row) {
            if (this.done) {
                Operators.onNextDropped(row, this.actual.currentContext());
                return;
            }
            T known = this.first;
            if (known == null) {
                this.first = row;
                return;
            }
            this.done = true;
            this.first = null;
            this.upstream.cancel();
            Operators.onDiscard(row, this.actual.currentContext());
            Operators.onDiscard(known, this.actual.currentContext());
            this.actual.onError(new MultipleObjectsReturnedException("More than one " + this.get.entity + " matches "
                    + this.get.filters + ": add conditions that select one"));
        }

        @Override
        public void onError(Throwable error) {
            if (this.done) {
                Operators.onErrorDropped(error, this.actual.currentContext());
                return;
            }
            this.done = true;
            T known = this.first;
            if (known != null) {
                this.first = null;
                Operators.onDiscard(known, this.actual.currentContext());
            }
            this.actual.onError(error);
        }

        @Override
        public void onComplete() {
            if (this.done) {
                return;
            }
            this.done = true;
            T known = this.first;
            if (known == null) {
                this.actual.onError(new ObjectNotFoundException("No " + this.get.entity + " matches "
                        + this.get.filters));
                return;
            }
            this.first = null;
            complete(known); // discards it if the subscriber has cancelled
        }

        @Override
        public void cancel() {
            super.cancel();
            Subscription subscription = this.upstream;
            if (subscription != null) {
                subscription.cancel();
            }
        }
    }
}
