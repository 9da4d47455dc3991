package io.github.contextr2dbc.test;

import io.github.contextr2dbc.UnitOfWork;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Units of work for service-level tests, without HTTP: run the code under test as a request would run it.
 *
 * <pre>{@code
 * Item saved = TestUnitOfWork.committed(service.create("pen")).block();
 * Long count = TestUnitOfWork.throwaway(service.count()).block();
 * }</pre>
 */
public final class TestUnitOfWork {

    private TestUnitOfWork() {
    }

    /**
     * Runs {@code work} in a unit of work of its own (replacing any in the Context), committed when it
     * completes, as a request's. Under {@link RollbackPerTest} the commit is simulated: later units of work
     * of the test see the writes, and the test's rollback undoes them.
     *
     * @return a cold {@link Mono}: {@code work}'s value once committed; error: {@code work}'s error (rolled
     * back) or the commit's; cancel: rolls back
     */
    public static <T> Mono<T> committed(Mono<T> work) {
        return UnitOfWork.inNewUnitOfWork(work);
    }

    /** {@link #committed(Mono)} for a {@link Flux}. */
    public static <T> Flux<T> committed(Flux<T> work) {
        return UnitOfWork.inNewUnitOfWork(work);
    }

    /**
     * Runs {@code work} in a throwaway unit of work of its own (replacing any in the Context): whatever it
     * wrote is rolled back when it ends, whether it completes, fails or is cancelled.
     *
     * @return a cold {@link Mono}: {@code work}'s value once rolled back; error: {@code work}'s error (a
     * failed rollback suppressed into it) or the rollback's; cancel: rolls back
     */
    public static <T> Mono<T> throwaway(Mono<T> work) {
        return throwaway(work.flux()).next();
    }

    /** {@link #throwaway(Mono)} for a {@link Flux}. */
    public static <T> Flux<T> throwaway(Flux<T> work) {
        return Flux.usingWhen(
                Mono.fromSupplier(UnitOfWork::create),
                unitOfWork -> work.contextWrite(unitOfWork.bindReplacingCurrent()),
                UnitOfWork::close,
                (unitOfWork, error) -> unitOfWork.close(),
                UnitOfWork::close);
    }
}
