package io.github.contextr2dbc;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import reactor.test.util.RaceTestUtils;

import static org.assertj.core.api.Assertions.assertThat;

class SerialQueueTest {

    private final SerialQueue queue = new SerialQueue();

    @Test
    void operationsRunOneAtATimeInSubscriptionOrder() {
        List<String> events = new CopyOnWriteArrayList<>();
        AtomicInteger running = new AtomicInteger();
        Flux<Integer> all = Flux.range(0, 50).flatMap(i -> this.queue.run(() -> Mono.fromRunnable(() -> {
                    assertThat(running.incrementAndGet()).isEqualTo(1);
                    events.add("start " + i);
                })
                .then(Mono.delay(Duration.ofMillis(50 - i)))
                .doOnNext(ignored -> {
                    events.add("end " + i);
                    running.decrementAndGet();
                })
                .thenReturn(i)), 50);
        StepVerifier.create(all.collectList())
                .assertNext(list -> assertThat(list).isEqualTo(java.util.stream.IntStream.range(0,
                        50).boxed().toList()))
                .verifyComplete();
        assertThat(events).startsWith("start 0", "end 0", "start 1", "end 1");
        assertThat(this.queue.isIdle()).isTrue();
    }

    @Test
    void anOperationCancelledBeforeItsTurnNeverRuns() {
        Sinks.Empty<Void> release = Sinks.empty();
        AtomicInteger ranSecond = new AtomicInteger();
        StepVerifier.create(this.queue.run(release::asMono)).expectSubscription().then(() -> {
            StepVerifier.create(this.queue.run(() -> Mono.fromRunnable(ranSecond::incrementAndGet)))
                    .thenCancel()
                    .verify();
            release.tryEmitEmpty();
        }).verifyComplete();
        StepVerifier.create(this.queue.run(() -> Mono.just("third"))).expectNext("third").verifyComplete();
        assertThat(ranSecond).hasValue(0);
        assertThat(this.queue.isIdle()).isTrue();
    }

    @Test
    void cancellingTheRunningOperationLetsTheNextOneStart() {
        StepVerifier.create(this.queue.run(Mono::never)).expectSubscription().thenCancel().verify();
        StepVerifier.create(this.queue.run(() -> Mono.just(1))).expectNext(1).verifyComplete();
        assertThat(this.queue.isIdle()).isTrue();
    }

    @Test
    void anErrorEndsTheTurnAndReachesOnlyItsSubscriber() {
        StepVerifier.create(this.queue.run(() -> Mono.error(new IllegalStateException("first"))))
                .expectErrorMessage("first").verify();
        StepVerifier.create(this.queue.run(() -> {
            throw new IllegalArgumentException("thrown by the supplier");
        })).expectErrorMessage("thrown by the supplier").verify();
        StepVerifier.create(this.queue.run(() -> Mono.just(2))).expectNext(2).verifyComplete();
        assertThat(this.queue.isIdle()).isTrue();
    }

    @Test
    void aHeldTurnOutlivesTheCancelOfItsOperation() {
        Sinks.Empty<Void> step = Sinks.empty();
        AtomicInteger secondRan = new AtomicInteger();
        AtomicInteger stepSubscribed = new AtomicInteger();
        // subscribed and cancelled by hand: a cancel from StepVerifier's onSubscribe would come before the
        // operation's turn has begun, and so drop it without running it
        Disposable first = this.queue.run(() -> {
            SerialQueue.Hold hold = this.queue.holdTurn();
            return Uncancellable.run("held", "step", step.asMono()
                    .doOnSubscribe(subscription -> stepSubscribed.incrementAndGet())
                    .doFinally(signal -> hold.drop()));
        }).subscribe();
        assertThat(stepSubscribed).as("the operation began").hasValue(1);
        first.dispose();
        StepVerifier.create(this.queue.run(() -> Mono.fromRunnable(secondRan::incrementAndGet)))
                .expectSubscription()
                .then(() -> assertThat(secondRan).as("waits for the held step").hasValue(0))
                .then(step::tryEmitEmpty)
                .verifyComplete();
        assertThat(secondRan).hasValue(1);
        assertThat(this.queue.isIdle()).isTrue();
    }

    @Test
    void aHundredThousandOperationsEndingSynchronouslyStartOneAfterAnotherWithoutGrowingTheStack() {
        Sinks.Empty<Void> first = Sinks.empty();
        AtomicInteger refused = new AtomicInteger();
        StepVerifier.create(this.queue.run(first::asMono)).expectSubscription().then(() -> {
            for (int i = 0; i < 100_000; i++) {
                this.queue.run(() -> Mono.error(new IllegalStateException("refused")))
                        .subscribe(null, error -> refused.incrementAndGet());
                this.queue.run(Mono::empty).subscribe(); // a no-op finishing step
            }
            first.tryEmitEmpty();
        }).verifyComplete();
        assertThat(refused).hasValue(100_000);
        assertThat(this.queue.isIdle()).isTrue();
    }

    @Test
    void aFailureReachesItsSubscriberBeforeTheNextOperationStarts() {
        Sinks.Empty<Void> failing = Sinks.empty();
        List<String> events = new CopyOnWriteArrayList<>();
        this.queue.run(failing::asMono).subscribe(null, error -> events.add("first failed"));
        this.queue.run(() -> Mono.fromRunnable(() -> events.add("second started"))).subscribe();
        failing.tryEmitError(new IllegalStateException("first"));
        assertThat(events).containsExactly("first failed", "second started");
        assertThat(this.queue.isIdle()).isTrue();
    }

    @Test
    void aNonPositiveRequestIsSignalledAsAnErrorAndEndsTheTurn() {
        AtomicInteger ran = new AtomicInteger();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        this.queue.run(() -> Flux.range(0, 3).doOnSubscribe(s -> ran.incrementAndGet()))
                .subscribe(new reactor.core.publisher.BaseSubscriber<Integer>() {
                    @Override
                    protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
                        subscription.request(0);
                    }

                    @Override
                    protected void hookOnError(Throwable error) {
                        errors.add(error);
                    }
                });
        assertThat(errors).singleElement().isInstanceOf(IllegalArgumentException.class)
                .asString().contains("3.9");
        StepVerifier.create(this.queue.run(() -> Mono.just("next"))).expectNext("next").verifyComplete();
        assertThat(this.queue.isIdle()).isTrue();
    }

    @Test
    void nothingIsSignalledAfterCancel() {
        Sinks.Many<Integer> values = Sinks.many().unicast().onBackpressureBuffer();
        List<String> signals = new CopyOnWriteArrayList<>();
        Disposable subscription = this.queue.run(values::asFlux)
                .subscribe(value -> signals.add("next " + value), error -> signals.add("error"),
                        () -> signals.add("complete"));
        values.tryEmitNext(1);
        subscription.dispose();
        values.tryEmitNext(2);
        values.tryEmitComplete();
        assertThat(signals).containsExactly("next 1");
        assertThat(this.queue.isIdle()).isTrue();
    }

    @Test
    void cancelRacingTheStartOfAWaitingOperationKeepsTheQueueConsistent() {
        for (int i = 0; i < 20_000; i++) {
            Sinks.Empty<Void> first = Sinks.empty();
            AtomicInteger started = new AtomicInteger();
            this.queue.run(first::asMono).subscribe();
            Disposable waiting = this.queue.run(() -> Mono.fromRunnable(started::incrementAndGet).then(Mono.never()))
                    .subscribe();
            RaceTestUtils.race(first::tryEmitEmpty, waiting::dispose);
            assertThat(started.get()).isBetween(0, 1);
            int n = i;
            StepVerifier.create(this.queue.run(() -> Mono.just(n))).expectNext(n).verifyComplete();
            assertThat(this.queue.isIdle()).as("iteration %d", i).isTrue();
        }
    }

    @Test
    void cancelRacingTheSubscriptionOfARunningOperationEndsTheTurnOnce() {
        for (int i = 0; i < 20_000; i++) {
            AtomicInteger next = new AtomicInteger();
            reactor.core.publisher.BaseSubscriber<Object> subscriber = new reactor.core.publisher.BaseSubscriber<>() {
            };
            Flux<Object> operation = this.queue.run(() -> Mono.never());
            RaceTestUtils.race(() -> operation.subscribe(subscriber), subscriber::dispose);
            StepVerifier.create(this.queue.run(() -> Mono.fromRunnable(next::incrementAndGet))).verifyComplete();
            assertThat(next).hasValue(1);
            assertThat(this.queue.isIdle()).as("iteration %d", i).isTrue();
        }
    }
}
