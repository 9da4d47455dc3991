package io.github.contextr2dbc.test;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.r2dbc.spi.Connection;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Schedulers;

/**
 * The one physical connection of a primary database during one test, inside the test's transaction, and
 * the turns the units of work of the test take on it.
 *
 * <p>A unit of work (a session, from its first statement until it ends) holds the turn; the others wait in
 * arrival order, each for at most the turn timeout, and then fail with an error that says why. A turn is
 * handed out as a {@link PinnedLease}: a connection whose transaction control runs on savepoints.
 */
final class PinnedConnection {

    private static final int WAITING = 0;

    private static final int GRANTED = 1;

    private static final int CANCELLED = 2;

    private final String databaseName;

    private final Connection physical;

    private final Duration turnTimeout;

    private final boolean checkDeferredConstraints;

    private final AtomicLong savepoints = new AtomicLong();

    /** Guards {@link #holder}, {@link #waiting} and {@link #ended}. */
    private final Object lock = new Object();

    @Nullable
    private PinnedLease holder;

    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();

    /** Whether {@link #drain()} is running (and how many times it was asked to run again meanwhile). */
    private final AtomicInteger draining = new AtomicInteger();

    private boolean ended;

    PinnedConnection(String databaseName, Connection physical, Duration turnTimeout, boolean checkDeferredConstraints) {
        this.databaseName = databaseName;
        this.physical = physical;
        this.turnTimeout = turnTimeout;
        this.checkDeferredConstraints = checkDeferredConstraints;
    }

    String databaseName() {
        return this.databaseName;
    }

    Connection physical() {
        return this.physical;
    }

    boolean checksDeferredConstraints() {
        return this.checkDeferredConstraints;
    }

    String nextSavepoint() {
        return "context_r2dbc_test_" + this.savepoints.incrementAndGet();
    }

    boolean isEnded() {
        synchronized (this.lock) {
            return this.ended;
        }
    }

    /**
     * The turn on the connection, as a lease; at once if nobody holds it, else after the units of work that
     * came first.
     *
     * @return a cold {@link Mono}: the lease once it is this caller's turn; error: {@link PinnedTurnTimeoutException}
     * after the turn timeout, {@link IllegalStateException} once the test has ended; cancel: leaves the queue
     * (a turn granted at the same moment is passed on)
     */
    Mono<Connection> acquire() {
        return Mono.defer(() -> {
            Waiter waiter;
            PinnedLease granted = null;
            synchronized (this.lock) {
                if (this.ended) {
                    return Mono.error(endedError());
                }
                if (this.holder == null && this.waiting.isEmpty()) {
                    granted = new PinnedLease(this);
                    this.holder = granted;
                    waiter = null;
                } else {
                    waiter = new Waiter();
                    this.waiting.add(waiter);
                }
            }
            if (granted != null) {
                return Mono.just(granted);
            }
            Waiter queued = waiter;
            // no timeout operator: it drops a value that races with its cancel, and a turn must never be dropped
            return Mono.<Connection>create(sink -> queued.attach(sink))
                    // a turn granted as the waiter left (the value discarded by the sink) is passed on
                    .doOnDiscard(PinnedLease.class, this::giveBackUnused);
        });
    }

    /**
     * Waits for every unit of work to give its turn back (at most the turn timeout), then ends: later
     * acquisitions fail, and leases still out refuse their statements.
     *
     * @return a {@link Mono} of the problems found (empty list: none), never an error
     */
    Mono<List<String>> end() {
        return acquire()
                .map(lease -> {
                    ((PinnedLease) lease).markClosedWithoutPassingOn();
                    return List.<String>of();
                })
                .onErrorResume(error -> Mono.just(List.of("a unit of work still held the test's connection of "
                        + "database '" + this.databaseName + "' " + this.turnTimeout.toMillis() + " ms after the "
                        + "test ended (" + error.getMessage() + "); everything was rolled back anyway. Let every "
                        + "unit of work the test starts (background work too) end before the test method returns")))
                .doOnNext(problems -> endNow());
    }

    private void endNow() {
        List<Waiter> refused;
        synchronized (this.lock) {
            this.ended = true;
            this.holder = null;
            refused = new ArrayList<>(this.waiting);
            this.waiting.clear();
        }
        for (Waiter waiter : refused) {
            waiter.refuse(endedError());
        }
    }

    /** Gives the turn of {@code lease} to the next unit of work waiting, if {@code lease} holds it. */
    void release(PinnedLease lease) {
        synchronized (this.lock) {
            if (this.holder != lease || this.ended) {
                return;
            }
            this.holder = null;
        }
        drain();
    }

    /**
     * Grants the free turn to the next waiter, in a loop rather than by recursion: a unit of work that gives its
     * turn back as soon as it gets it (inside the grant) only asks this loop to go round again, so thousands of
     * waiters never deepen the stack.
     */
    private void drain() {
        if (this.draining.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        for (;;) {
            for (;;) {
                Waiter next;
                PinnedLease granted;
                synchronized (this.lock) {
                    if (this.holder != null || this.ended) {
                        break;
                    }
                    next = this.waiting.poll();
                    if (next == null) {
                        break;
                    }
                    granted = new PinnedLease(this);
                    this.holder = granted;
                }
                if (!next.grant(granted)) {
                    // that waiter had left (timeout or cancel): the turn is free again
                    synchronized (this.lock) {
                        if (this.holder == granted) {
                            this.holder = null;
                        }
                    }
                }
            }
            missed = this.draining.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }

    private void giveBackUnused(PinnedLease lease) {
        lease.markClosedWithoutPassingOn();
        release(lease);
    }

    @Override
    public String toString() {
        synchronized (this.lock) {
            return "PinnedConnection{" + this.databaseName + ", holder " + this.holder + ", " + this.waiting.size()
                    + " waiting" + (this.ended ? ", ended" : "") + "}";
        }
    }

    IllegalStateException endedError() {
        return new IllegalStateException("The test that pinned database '" + this.databaseName + "' to one "
                + "connection has ended: this unit of work started too late (or kept running after the test). "
                + "Let the work a test starts end before the test method returns");
    }

    /** A unit of work waiting for its turn. */
    private final class Waiter {

        private final AtomicInteger state = new AtomicInteger(WAITING);

        @Nullable
        private volatile MonoSink<Connection> sink;

        @Nullable
        private volatile PinnedLease granted;

        @Nullable
        private volatile Throwable refusal;

        @Nullable
        private volatile Disposable timer;

        void attach(MonoSink<Connection> sink) {
            this.sink = sink;
            sink.onCancel(this::cancelled);
            if (this.state.get() == WAITING) {
                this.timer = Schedulers.parallel().schedule(this::timedOut, turnTimeout.toMillis(),
                        TimeUnit.MILLISECONDS);
                if (this.state.get() != WAITING) {
                    stopTimer();
                }
            }
            // a grant or refusal that came before the sink was attached
            PinnedLease lease = this.granted;
            if (lease != null && this.state.get() == GRANTED) {
                sink.success(lease);
            }
            Throwable error = this.refusal;
            if (error != null) {
                sink.error(error);
            }
        }

        boolean grant(PinnedLease lease) {
            // set before the state changes, so that a cancel seeing GRANTED sees the lease to pass on
            this.granted = lease;
            if (!this.state.compareAndSet(WAITING, GRANTED)) {
                this.granted = null;
                return false;
            }
            stopTimer();
            MonoSink<Connection> attached = this.sink;
            if (attached != null) {
                attached.success(lease);
            }
            return true;
        }

        void refuse(Throwable error) {
            if (!this.state.compareAndSet(WAITING, CANCELLED)) {
                return;
            }
            stopTimer();
            this.refusal = error;
            MonoSink<Connection> attached = this.sink;
            if (attached != null) {
                attached.error(error);
            }
        }

        private void timedOut() {
            if (this.state.compareAndSet(WAITING, CANCELLED)) {
                synchronized (lock) {
                    waiting.remove(this);
                }
                MonoSink<Connection> attached = this.sink;
                if (attached != null) {
                    attached.error(new PinnedTurnTimeoutException(databaseName, turnTimeout));
                }
            }
        }

        private void stopTimer() {
            Disposable scheduled = this.timer;
            if (scheduled != null) {
                scheduled.dispose();
            }
        }

        private void cancelled() {
            stopTimer();
            if (this.state.compareAndSet(WAITING, CANCELLED)) {
                synchronized (lock) {
                    waiting.remove(this);
                }
                return;
            }
            PinnedLease lease = this.granted;
            if (lease != null) {
                // granted while it was leaving: the turn goes to the next one
                giveBackUnused(lease);
            }
        }
    }
}
