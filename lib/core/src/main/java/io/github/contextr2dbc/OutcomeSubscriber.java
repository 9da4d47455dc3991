package io.github.contextr2dbc;

import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.util.context.Context;

/**
 * Runs a publisher of no values (a {@code BEGIN}, a commit, a close, a turn) to its end, never cancelling
 * it, and hands its outcome to {@link #onError(Throwable)} or {@link #onComplete()}: the one shape of the
 * small subscribers that finishing steps are started with.
 */
abstract class OutcomeSubscriber implements CoreSubscriber<Void> {

    private final Context context;

    /** A subscriber whose Context, as seen by the publisher, is {@code context}. */
    OutcomeSubscriber(Context context) {
        this.context = context;
    }

    @Override
    public final Context currentContext() {
        return this.context;
    }

    @Override
    public final void onSubscribe(Subscription subscription) {
        subscription.request(Long.MAX_VALUE);
    }

    @Override
    public final void onNext(Void ignored) {
    }
}
