package io.github.contextr2dbc;

import java.util.function.Function;
import java.util.function.Supplier;

import reactor.core.publisher.Mono;

/**
 * Keeps a primary error the error when cleanup after it fails too: the cleanup's failure is added to it
 * as suppressed, never lost, never in its place.
 */
final class SuppressedFailure {

    private SuppressedFailure() {
    }

    /**
     * An {@code onErrorResume} function adding the failure to {@code primary} (unless it is {@code primary}) and
     * completing.
     */
    static <T> Function<Throwable, Mono<T>> into(Throwable primary) {
        return failure -> {
            if (failure != primary) {
                primary.addSuppressed(failure);
            }
            return Mono.empty();
        };
    }

    /**
     * {@code first}, then {@code after} whatever {@code first} did. {@code first}'s error wins, with a
     * failure of {@code after} suppressed into it.
     */
    static <T> Mono<T> always(Mono<T> first, Supplier<Mono<Void>> after) {
        return first
                .onErrorResume(error -> after.get()
                        .onErrorResume(SuppressedFailure.into(error))
                        .then(Mono.error(error)))
                .flatMap(value -> after.get().thenReturn(value))
                .switchIfEmpty(Mono.defer(() -> after.get().then(Mono.empty())));
    }
}
