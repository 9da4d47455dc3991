package io.github.contextr2dbc.spring;

import io.github.contextr2dbc.UnitOfWorkEnd;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * The response's {@code beforeCommit} action, subscribed when the response commits: finish by status (the
 * commit done before the status is sent), unless the body is streamed or the end was decided elsewhere.
 */
final class ResponseCommit extends Mono<Void> {

    private final RequestUnitOfWork request;

    ResponseCommit(RequestUnitOfWork request) {
        this.request = request;
    }

    @Override
    public void subscribe(CoreSubscriber<? super Void> actual) {
        RequestUnitOfWork request = this.request;
        UnitOfWorkEnd end = request.end;
        boolean decidedElsewhere = end.decided() != null;
        if (!decidedElsewhere && request.streaming) {
            Operators.complete(actual);
            return;
        }
        Told told = new Told(actual, decidedElsewhere);
        actual.onSubscribe(told);
        if (decidedElsewhere) {
            end.await(told);
        } else if (request.commits()) {
            end.commit(request.vetoable(), told);
        } else {
            request.rollingBackByStatus();
            end.rollback(told);
        }
    }

    /** One subscriber of a {@code ResponseCommit} told the outcome; its cancel only detaches it. */
    private static final class Told implements Subscription, UnitOfWorkEnd.Waiter {

        private final CoreSubscriber<? super Void> actual;

        /** The end was decided by another path, which reports its failure: complete whatever the outcome. */
        private final boolean quiet;

        private volatile boolean cancelled;

        Told(CoreSubscriber<? super Void> actual, boolean quiet) {
            this.actual = actual;
            this.quiet = quiet;
        }

        @Override
        public void request(long n) {
        }

        @Override
        public void cancel() {
            this.cancelled = true;
        }

        @Override
        public boolean ended(@Nullable Throwable error) {
            if (this.cancelled) {
                return false;
            }
            if (error != null && !this.quiet) {
                this.actual.onError(error);
            } else {
                this.actual.onComplete();
            }
            return true;
        }
    }
}
