package io.github.contextr2dbc;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * Runs the operations of one session one at a time, in the order they were subscribed.
 *
 * <p>An operation's turn ends when its publisher terminates or is cancelled, so a statement holds the
 * session until its rows are drained. Cancelling an operation that is still waiting for its turn drops
 * it without running it. The queue is lock-free: {@code wip} counts the operations that are running or
 * waiting, and whoever moves it away from zero starts the next one.
 */
final class SerialQueue {

    private final Queue<Task> waiting = new ConcurrentLinkedQueue<>();

    private final AtomicInteger wip = new AtomicInteger();

    /**
     * The operation {@code work} supplies, run when every earlier operation has finished.
     *
     * @return a cold publisher: complete and error as {@code work}'s; cancel before its turn drops the
     * operation, during its turn cancels {@code work} and lets the next operation start
     */
    <T> Flux<T> run(Supplier<? extends Publisher<T>> work) {
        return Flux.defer(() -> {
            Task task = new Task();
            if (this.wip.compareAndSet(0, 1)) {
                task.state.set(Task.RUNNING);
                return Flux.defer(work).doFinally(signal -> finish(task));
            }
            this.waiting.offer(task);
            if (this.wip.getAndIncrement() == 0) {
                startNext();
            }
            return task.turn.asMono().thenMany(Flux.defer(work)).doFinally(signal -> finish(task));
        });
    }

    /** Whether no operation is running or waiting (a snapshot, for state queries and tests). */
    boolean isIdle() {
        return this.wip.get() == 0;
    }

    private void finish(Task task) {
        for (;;) {
            int state = task.state.get();
            if (state == Task.WAITING) {
                if (task.state.compareAndSet(Task.WAITING, Task.ABANDONED)) {
                    return; // startNext skips it and accounts for it
                }
            } else if (state == Task.RUNNING) {
                if (task.state.compareAndSet(Task.RUNNING, Task.DONE)) {
                    if (this.wip.decrementAndGet() != 0) {
                        startNext();
                    }
                    return;
                }
            } else {
                return;
            }
        }
    }

    private void startNext() {
        for (;;) {
            Task next = this.waiting.poll();
            if (next != null && next.state.compareAndSet(Task.WAITING, Task.RUNNING)) {
                next.turn.tryEmitEmpty();
                return;
            }
            // an abandoned task (or, transiently, a task offered but not yet counted): account for it
            if (next == null || this.wip.decrementAndGet() == 0) {
                return;
            }
        }
    }

    private static final class Task {

        static final int WAITING = 0;

        static final int RUNNING = 1;

        static final int DONE = 2;

        static final int ABANDONED = 3;

        final AtomicInteger state = new AtomicInteger(WAITING);

        final Sinks.Empty<Void> turn = Sinks.empty();
    }
}
