package io.github.contextr2dbc;

import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.context.ContextView;

/**
 * Runs work that must finish once started — commit, rollback, releasing a connection — whatever the
 * subscriber does.
 *
 * <p>The work is subscribed by this class (with the subscriber's Context) and its outcome relayed to
 * the subscriber. Cancelling only detaches the subscriber: the work still runs to its end, so a
 * cancelled request can never leave a transaction open or a connection acquired. An error that nobody
 * is left to receive is logged, never dropped silently.
 */
final class Uncancellable {

    private static final Logger log = LoggerFactory.getLogger(Uncancellable.class);

    private Uncancellable() {
    }

    /**
     * {@code work}, run to its end even if the returned {@link Mono} is cancelled; {@code action} and
     * {@code subject} name it in the log if it fails with nobody left to tell.
     *
     * @return a cold {@link Mono}: complete and error as {@code work}'s; cancel detaches the subscriber
     * and lets {@code work} finish (its error, if any, is then logged)
     */
    static <T> Mono<T> run(String action, String subject, Mono<T> work) {
        return Mono.deferContextual(context -> {
            Sinks.One<T> outcome = Sinks.one();
            AtomicBoolean detached = new AtomicBoolean();
            work.contextWrite(context).subscribe(
                    outcome::tryEmitValue,
                    error -> {
                        if (detached.get()) {
                            log.warn("{} {} failed after its subscriber had cancelled", action, subject, error);
                        }
                        outcome.tryEmitError(error);
                    },
                    outcome::tryEmitEmpty);
            return outcome.asMono().doOnCancel(() -> detached.set(true));
        });
    }

    /**
     * Starts {@code work} now, with {@code context}, and returns its outcome, which any number of
     * subscribers may read later (it is kept). Cancelling one of them does not stop {@code work}.
     */
    static <T> Mono<T> start(Mono<T> work, ContextView context) {
        Sinks.One<T> outcome = Sinks.one();
        work.contextWrite(context).subscribe(outcome::tryEmitValue, outcome::tryEmitError, outcome::tryEmitEmpty);
        return outcome.asMono();
    }
}
