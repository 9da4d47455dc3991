package io.github.contextr2dbc.launcher;

import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** Proves that every test JVM of the project runs with BlockHound installed. */
class BlockHoundInstalledTest {

    @Test
    void sleepingOnAParallelSchedulerThreadFailsWithBlockingOperationError() {
        Mono<Integer> blocking = Mono.fromCallable(() -> {
            Thread.sleep(10);
            return 1;
        }).subscribeOn(Schedulers.parallel());

        StepVerifier.create(blocking)
                .expectErrorMatches(e -> e instanceof BlockingOperationError
                        && e.getMessage().contains("java.lang.Thread.sleep"))
                .verify();
    }

    @Test
    void sleepingOnABoundedElasticThreadIsAllowed() {
        Mono<Integer> blocking = Mono.fromCallable(() -> {
            Thread.sleep(10);
            return 1;
        }).subscribeOn(Schedulers.boundedElastic());

        StepVerifier.create(blocking).expectNext(1).verifyComplete();
    }

    @Test
    void theThirdPartyAllowancesAreFoundByBlockHound() {
        org.assertj.core.api.Assertions.assertThat(java.util.ServiceLoader.load(
                        reactor.blockhound.integration.BlockHoundIntegration.class).stream()
                        .map(java.util.ServiceLoader.Provider::type))
                .contains(ThirdPartyBlockingAllowances.class);
    }
}
