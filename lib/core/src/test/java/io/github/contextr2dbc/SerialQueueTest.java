package io.github.contextr2dbc;

import static org.assertj.core.api.Assertions.assertThat;

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
                .assertNext(list -> assertThat(list).isEqualTo(java.util.stream.IntStream.range(0, 50).boxed().toList()))
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
        StepVerifier.create(this.queue.run(() -> Mono.error(new IllegalStateException("first")))).expectErrorMessage("first").verify();
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
                    .doFinally(signal -> hold.release()));
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
}
