package io.github.contextr2dbc;

import java.util.function.Function;

import reactor.core.publisher.Mono;

/**
 * Keeps a primary error the error when cleanup after it fails too: the cleanup's failure is added to it
 * as suppressed, never lost, never in its place.
 */
final class SuppressedFailure {

    private SuppressedFailure() {
    }

    /** An {@code onErrorResume} function adding the failure to {@code primary} (unless it is {@code primary}) and completing. */
    static <T> Function<Throwable, Mono<T>> into(Throwable primary) {
        return failure -> {
            if (failure != primary) {
                primary.addSuppressed(failure);
            }
            return Mono.empty();
        };
    }
}
