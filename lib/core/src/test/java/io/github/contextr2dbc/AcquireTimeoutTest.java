package io.github.contextr2dbc;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.R2dbcTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Signal;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

import static org.assertj.core.api.Assertions.assertThat;

/** The acquire timeout on a virtual clock: timed only when waiting, fails cleanly, gives back late connections. */
class AcquireTimeoutTest {

    private static final Duration TIMEOUT = Duration.ofMillis(300);

    private static final Duration VERIFY = Duration.ofSeconds(5);

    private final CountingTimer timer = new CountingTimer();

    private final FakeConnection connection = new FakeConnection();

    @AfterEach
    void disposeTimer() {
        this.timer.dispose();
    }

    private AcquireTimeout acquireTimeout(Mono<Connection> acquisition) {
        return new AcquireTimeout(acquisition, TIMEOUT, "orders", this.timer);
    }

    @Test
    void aConnectionHandedOutDuringSubscriptionIsEmittedWithoutSchedulingATimer() {
        StepVerifier.create(acquireTimeout(Mono.just(this.connection.proxy)))
                .expectNext(this.connection.proxy)
                .verifyComplete();
        assertThat(this.timer.timers).as("timers scheduled").isEmpty();
        assertThat(this.timer.otherUses).as("other uses of the scheduler").hasValue(0);
        assertThat(this.connection.closes).as("closes").hasValue(0);
    }

    @Test
    void anAcquisitionThatWaitsTooLongFailsWithATimeoutAndIsCancelled() {
        Sinks.One<Connection> pool = Sinks.one();
        StepVerifier.create(acquireTimeout(pool.asMono()))
                .expectSubscription()
                .then(() -> {
                    assertThat(this.timer.timers).as("timers scheduled").hasSize(1);
                    this.timer.time.advanceTimeBy(TIMEOUT.minusMillis(1));
                    assertThat(pool.currentSubscriberCount()).as("still waiting just before the timeout").isEqualTo(1);
                })
                .then(() -> this.timer.time.advanceTimeBy(Duration.ofMillis(1)))
                .expectErrorSatisfies(error -> {
                    assertThat(error).isExactlyInstanceOf(R2dbcTimeoutException.class)
                            .hasMessageContaining("'orders'")
                            .hasMessageContaining("300ms")
                            .hasCauseExactlyInstanceOf(TimeoutException.class);
                    assertThat(((R2dbcTimeoutException) error).getSqlState()).isNull();
                })
                .verify(VERIFY);
        assertThat(pool.currentSubscriberCount()).as("subscribers left on the pool's acquisition").isZero();
        assertThat(this.timer.fired).as("timers fired").hasValue(1);
    }

    @Test
    void aConnectionHandedOutAfterTheTimeoutIsGivenBackExactlyOnce() {
        ManualAcquisition pool = new ManualAcquisition();
        StepVerifier.create(acquireTimeout(pool))
                .expectSubscription()
                .then(() -> this.timer.time.advanceTimeBy(TIMEOUT))
                .expectError(R2dbcTimeoutException.class)
                .verify(VERIFY);
        assertThat(pool.cancels).as("cancels of the acquisition").hasValue(1);
        assertThat(this.connection.closes).as("closes before the connection came").hasValue(0);

        // the pool had already picked the connection when the cancel reached it
        pool.handOut(this.connection.proxy);
        assertThat(this.connection.closes).as("closes").hasValue(1);
    }

    @Test
    void aConnectionHandedOutBeforeTheTimeoutIsEmittedAndItsTimerDisposed() {
        Sinks.One<Connection> pool = Sinks.one();
        List<Signal<Connection>> signals = new CopyOnWriteArrayList<>();
        StepVerifier.create(acquireTimeout(pool.asMono()).doOnEach(signals::add))
                .expectSubscription()
                .then(() -> this.timer.time.advanceTimeBy(TIMEOUT.minusMillis(1)))
                .then(() -> pool.tryEmitValue(this.connection.proxy).orThrow())
                .expectNext(this.connection.proxy)
                .verifyComplete();
        this.timer.time.advanceTimeBy(TIMEOUT.multipliedBy(10));

        assertThat(this.timer.timers).as("timers scheduled").hasSize(1);
        assertThat(this.timer.timers.get(0).isDisposed()).as("timer disposed").isTrue();
        assertThat(this.timer.fired).as("timers fired").hasValue(0);
        assertThat(signals).as("signals").hasSize(2).noneMatch(Signal::isOnError);
        assertThat(this.connection.closes).as("closes").hasValue(0);
    }

    @Test
    void aSubscriberCancellingWhileWaitingCancelsTheAcquisitionAndDisposesTheTimer() {
        Sinks.One<Connection> pool = Sinks.one();
        List<Signal<Connection>> signals = new CopyOnWriteArrayList<>();
        StepVerifier.create(acquireTimeout(pool.asMono()).doOnEach(signals::add))
                .expectSubscription()
                .then(() -> assertThat(pool.currentSubscriberCount()).as("waiting").isEqualTo(1))
                .thenCancel()
                .verify(VERIFY);
        assertThat(pool.currentSubscriberCount()).as("subscribers left on the pool's acquisition").isZero();
        assertThat(this.timer.timers).as("timers scheduled").hasSize(1);
        assertThat(this.timer.timers.get(0).isDisposed()).as("timer disposed").isTrue();

        this.timer.time.advanceTimeBy(TIMEOUT.multipliedBy(10));
        assertThat(this.timer.fired).as("timers fired").hasValue(0);
        assertThat(signals).as("signals after the cancel").isEmpty();
    }

    @Test
    void aConnectionHandedOutAfterTheSubscriberCancelledIsGivenBack() {
        ManualAcquisition pool = new ManualAcquisition();
        List<Signal<Connection>> signals = new CopyOnWriteArrayList<>();
        StepVerifier.create(acquireTimeout(pool).doOnEach(signals::add))
                .expectSubscription()
                .thenCancel()
                .verify(VERIFY);
        assertThat(pool.cancels).as("cancels of the acquisition").hasValue(1);

        // the pool had already picked the connection when the cancel reached it
        pool.handOut(this.connection.proxy);
        this.timer.time.advanceTimeBy(TIMEOUT.multipliedBy(10));
        assertThat(this.connection.closes).as("closes").hasValue(1);
        assertThat(signals).as("signals after the cancel").isEmpty();
    }

    @Test
    void aSubscriberCancellingOnceItHasTheConnectionKeepsIt() {
        // next() cancels its source as soon as the value comes, before passing it on
        StepVerifier.create(acquireTimeout(Mono.just(this.connection.proxy)).flux().next())
                .expectNext(this.connection.proxy)
                .verifyComplete();
        assertThat(this.connection.closes).as("closes").hasValue(0);
    }

    @Test
    void anAcquisitionErrorPassesOnUnchangedAndDisposesTheTimer() {
        Sinks.One<Connection> pool = Sinks.one();
        IllegalStateException refused = new IllegalStateException("pool closed");
        StepVerifier.create(acquireTimeout(pool.asMono()))
                .expectSubscription()
                .then(() -> pool.tryEmitError(refused).orThrow())
                .expectErrorSatisfies(error -> assertThat(error).isSameAs(refused))
                .verify(VERIFY);
        assertThat(this.timer.timers).as("timers scheduled").hasSize(1);
        assertThat(this.timer.timers.get(0).isDisposed()).as("timer disposed").isTrue();
        this.timer.time.advanceTimeBy(TIMEOUT.multipliedBy(10));
        assertThat(this.timer.fired).as("timers fired").hasValue(0);
    }

    /**
     * A scheduler on a virtual clock (not installed globally) that records the timers scheduled on it, whether
     * each was disposed, and how many fired.
     */
    private static final class CountingTimer implements Scheduler {

        final VirtualTimeScheduler time = VirtualTimeScheduler.create();

        final List<Disposable> timers = new CopyOnWriteArrayList<>();

        final AtomicInteger fired = new AtomicInteger();

        final AtomicInteger otherUses = new AtomicInteger();

        @Override
        public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
            Disposable.Composite timer = Disposables.composite();
            this.timers.add(timer);
            timer.add(this.time.schedule(() -> {
                this.fired.incrementAndGet();
                task.run();
            }, delay, unit));
            return timer;
        }

        @Override
        public Disposable schedule(Runnable task) {
            this.otherUses.incrementAndGet();
            return this.time.schedule(task);
        }

        @Override
        public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
            this.otherUses.incrementAndGet();
            return this.time.schedulePeriodically(task, initialDelay, period, unit);
        }

        @Override
        public Worker createWorker() {
            this.otherUses.incrementAndGet();
            return this.time.createWorker();
        }

        @Override
        public long now(TimeUnit unit) {
            return this.time.now(unit);
        }

        @Override
        public void dispose() {
            this.time.dispose();
        }

        @Override
        public boolean isDisposed() {
            return this.time.isDisposed();
        }
    }

    /** A connection that only counts how often it is closed (given back to its pool). */
    private static final class FakeConnection {

        final AtomicInteger closes = new AtomicInteger();

        final Connection proxy = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (self, method, args) -> switch (method.getName()) {
                    case "close" -> Mono.fromRunnable(this.closes::incrementAndGet);
                    case "equals" -> self == args[0];
                    case "hashCode" -> System.identityHashCode(self);
                    case "toString" -> "FakeConnection@" + Integer.toHexString(System.identityHashCode(self));
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    /**
     * An acquisition the test completes by hand. Like a pool whose connection is already on its way when the
     * cancel reaches it, it still hands the connection out after being cancelled.
     */
    private static final class ManualAcquisition extends Mono<Connection> implements Subscription {

        final AtomicInteger cancels = new AtomicInteger();

        private final List<CoreSubscriber<? super Connection>> subscribers = new CopyOnWriteArrayList<>();

        @Override
        public void subscribe(CoreSubscriber<? super Connection> actual) {
            this.subscribers.add(actual);
            actual.onSubscribe(this);
        }

        @Override
        public void request(long n) {
        }

        @Override
        public void cancel() {
            this.cancels.incrementAndGet();
        }

        void handOut(Connection connection) {
            assertThat(this.subscribers).as("subscribers").hasSize(1);
            this.subscribers.get(0).onNext(connection);
            this.subscribers.get(0).onComplete();
        }
    }
}
