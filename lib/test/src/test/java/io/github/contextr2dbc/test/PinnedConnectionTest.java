package io.github.contextr2dbc.test;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import io.r2dbc.spi.Connection;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.util.RaceTestUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The turns on a pinned connection, without a database: no statement runs (no transaction is opened). */
class PinnedConnectionTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static Connection noConnection() {
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    throw new AssertionError("no statement expected, got " + method.getName());
                });
    }

    private static PinnedConnection pinned(Duration turnTimeout) {
        return new PinnedConnection("main", noConnection(), turnTimeout, true);
    }

    private static Mono<Void> close(Connection lease) {
        return Mono.from(lease.close());
    }

    @Test
    void thousandsOfUnitsOfWorkGetTheirTurnsInArrivalOrder() {
        PinnedConnection pinned = pinned(TIMEOUT);
        int count = 10_000;
        ConcurrentLinkedQueue<Integer> order = new ConcurrentLinkedQueue<>();
        Connection first = pinned.acquire().block(TIMEOUT);
        List<Mono<Void>> waiting = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int index = i;
            waiting.add(pinned.acquire().flatMap(lease -> {
                order.add(index);
                return close(lease);
            }).cache());
        }
        Flux.fromIterable(waiting).subscribe(Mono::subscribe);
        assertThat(order).isEmpty();
        close(first).block(TIMEOUT);
        Flux.fromIterable(waiting).concatMap(mono -> mono).then().block(TIMEOUT);
        assertThat(new ArrayList<>(order)).hasSize(count).isSorted();
        // the turn is free again
        assertThat(pinned.acquire().block(TIMEOUT)).isNotNull();
    }

    @Test
    void aWaiterThatTimesOutSaysWhyAndLeavesTheTurnToTheNext() {
        PinnedConnection pinned = pinned(Duration.ofMillis(100));
        Connection holder = pinned.acquire().block(TIMEOUT);
        StepVerifier.create(pinned.acquire())
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(PinnedTurnTimeoutException.class)
                        .hasMessageContaining("'main'").hasMessageContaining("started inside"))
                .verify(TIMEOUT);
        close(holder).block(TIMEOUT);
        assertThat(pinned.acquire().block(TIMEOUT)).isNotNull();
    }

    @Test
    void aCancelRacingWithTheGrantNeverLosesTheTurn() {
        PinnedConnection pinned = pinned(TIMEOUT);
        for (int i = 0; i < 5_000; i++) {
            Connection holder = pinned.acquire().block(TIMEOUT);
            List<Connection> received = new ArrayList<>();
            // a consumer that gives back whatever it is handed, even after it cancelled (as a session does)
            BaseSubscriber<Connection> waiter = new BaseSubscriber<>() {
                @Override
                protected void hookOnNext(Connection lease) {
                    synchronized (received) {
                        received.add(lease);
                    }
                }
            };
            pinned.acquire().subscribe(waiter);
            RaceTestUtils.race(waiter::dispose, () -> close(holder).subscribe());
            // whoever won, the next unit of work gets the turn (after the waiter's, if it took it)
            synchronized (received) {
                for (Connection lease : received) {
                    close(lease).block(TIMEOUT);
                }
            }
            Connection next = pinned.acquire().timeout(Duration.ofSeconds(5), Mono.error(() ->
                    new AssertionError("round " + roundOf(received) + ": " + pinned))).block();
            assertThat(next).as("round %d", i).isNotNull();
            close(next).block(TIMEOUT);
        }
    }

    private static String roundOf(List<Connection> received) {
        synchronized (received) {
            return received.toString();
        }
    }

    @Test
    void closingTwiceGivesTheTurnOnOnce() throws Exception {
        PinnedConnection pinned = pinned(TIMEOUT);
        Connection first = pinned.acquire().block(TIMEOUT);
        CompletableFuture<Connection> second = pinned.acquire().toFuture();
        close(first).then(close(first)).block(TIMEOUT);
        assertThat(second.get(30, TimeUnit.SECONDS)).isNotNull();
        // the second holds the turn now: a third must wait
        StepVerifier.create(pinned.acquire()).expectSubscription().expectNoEvent(Duration.ofMillis(100)).thenCancel()
                .verify(TIMEOUT);
    }

    @Test
    void endWaitsForTheHolderThenRefusesLateUnitsOfWork() {
        PinnedConnection pinned = pinned(Duration.ofMillis(200));
        Connection leaked = pinned.acquire().block(TIMEOUT);
        List<String> problems = pinned.end().block(TIMEOUT);
        assertThat(problems).singleElement().asString().contains("still held").contains("'main'");
        StepVerifier.create(pinned.acquire())
                .expectErrorSatisfies(error -> assertThat(error).hasMessageContaining("has ended"))
                .verify(TIMEOUT);
        // the leaked lease refuses statements instead of running them outside the test's transaction
        assertThatThrownBy(() -> leaked.createStatement("SELECT 1"))
                .hasMessageContaining("has ended");
    }
}
