package io.github.contextr2dbc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * The one policy for an error nobody can receive (its subscriber has cancelled, and the work went on to its
 * end): Reactor's {@link Operators#onErrorDropped} hook, which logs it by default and which an application
 * or a test can replace ({@code Hooks.onErrorDropped}). What failed is logged at debug level first.
 */
final class Undeliverable {

    private static final Logger log = LoggerFactory.getLogger(Undeliverable.class);

    private Undeliverable() {
    }

    /** {@code error}, of {@code what} (e.g. "Commit on main"), after its subscriber had cancelled. */
    static void error(String what, Throwable error, Context context) {
        if (log.isDebugEnabled()) {
            log.debug("{} failed after its subscriber had cancelled: the error goes to onErrorDropped", what);
        }
        Operators.onErrorDropped(error, context);
    }
}
