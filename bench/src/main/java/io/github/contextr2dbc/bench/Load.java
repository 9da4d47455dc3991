package io.github.contextr2dbc.bench;

import java.time.Duration;
import java.util.function.IntFunction;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Runs units of work with a fixed number in flight: a bounded {@code flatMap} over a range, waited for by
 * the calling (JMH) thread.
 *
 * <p>Why not JMH threads: the code under test is non-blocking, and a WebFlux service runs many requests
 * on a few event-loop threads. Sixty-four JMH threads each blocking on one unit of work would measure 64
 * parked platform threads and their context switches on a 2-core machine, not the library. A bounded
 * {@code flatMap} keeps exactly {@code concurrency} units of work in flight on the driver's event loops
 * (concurrency 1 is a plain sequence), and the one JMH thread only waits for the batch.
 */
final class Load {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    private Load() {
    }

    /**
     * Runs {@code count} units of work, {@code concurrency} at a time, and waits for the last.
     *
     * @return the last unit of work's value (for the JMH black hole)
     */
    static Object run(int count, int concurrency, IntFunction<? extends Mono<?>> unitOfWork) {
        return Flux.range(0, count)
                .flatMap(unitOfWork::apply, concurrency, 1)
                .blockLast(TIMEOUT);
    }
}
