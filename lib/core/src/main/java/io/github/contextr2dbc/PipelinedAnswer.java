package io.github.contextr2dbc;

import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * The subscribers of the control statements a session pipelines ahead of a statement ({@code BEGIN},
 * {@code SAVEPOINT}): they never cancel it (it runs to its end whatever happens to the statement behind it)
 * and hand its outcome to the session.
 */
final class PipelinedAnswer {

    private PipelinedAnswer() {
    }

    /** The subscriber of a {@code BEGIN}: notes its failure, and completes {@link #answered()} when it is answered. */
    static final class Begin extends OutcomeSubscriber {

        private final SessionTransaction transaction;

        private final Sinks.Empty<Void> answered = Sinks.unsafe().empty(); // one emitter: this subscriber

        Begin(SessionTransaction transaction, ContextView context) {
            super(Context.of(context));
            this.transaction = transaction;
        }

        /** Completes when the {@code BEGIN} has been answered, whatever the answer. */
        Mono<Void> answered() {
            return this.answered.asMono();
        }

        @Override
        public void onError(Throwable error) {
            this.transaction.beginAnswered(error);
            this.answered.tryEmitEmpty();
        }

        @Override
        public void onComplete() {
            this.transaction.beginAnswered(null);
            this.answered.tryEmitEmpty();
        }
    }

    /** The subscriber of a {@code SAVEPOINT}: notes its failure (the transaction is then aborted). */
    static final class Savepoint extends OutcomeSubscriber {

        private final SessionTransaction transaction;

        Savepoint(SessionTransaction transaction, Context context) {
            super(context);
            this.transaction = transaction;
        }

        @Override
        public void onError(Throwable error) {
            this.transaction.noteError(error);
        }

        @Override
        public void onComplete() {
        }
    }
}
