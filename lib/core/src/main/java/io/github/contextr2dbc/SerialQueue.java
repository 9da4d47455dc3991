package io.github.contextr2dbc;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Runs the operations of one session one at a time, in the order they were subscribed.
 *
 * <p>An operation's turn ends when its publisher terminates or is cancelled, so a statement holds the
 * session until its rows are drained. Cancelling an operation that is still waiting for its turn drops
 * it without running it. A cancel that arrives while the operation is being subscribed (on another
 * thread) does not end the turn before that subscription has returned: the next operation never runs
 * alongside the synchronous start of the previous one (which may still send a statement). An operation
 * may also {@linkplain #holdTurnWhile(Mono) hold its turn} while an uncancellable step of its own finishes.
 *
 * <p>The queue is lock-free: {@code wip} counts the operations that are running or waiting, and
 * whoever moves it away from zero starts the next one.
 */
final class SerialQueue {

    private final Queue<Task> waiting = new ConcurrentLinkedQueue<>();

    private final AtomicInteger wip = new AtomicInteger();

    /** The task whose turn it is (set when it starts; read only by that task's synchronous code). */
    @Nullable
    private volatile Task current;

    /**
     * The operation {@code work} supplies, run when every earlier operation has finished.
     *
     * @return a cold publisher: complete and error as {@code work}'s; cancel before its turn drops the
     * operation, during its turn cancels {@code work} and lets the next operation start
     */
    <T> Flux<T> run(Supplier<? extends Publisher<T>> work) {
        return Flux.defer(() -> {
            Task task = new Task();
            Flux<T> body = Flux.from(subscriber -> {
                // the subscription of work is one more hold on the turn, until the subscribe call returns
                task.holds.incrementAndGet();
                this.current = task;
                try {
                    Flux.defer(work).subscribe(subscriber);
                } finally {
                    release(task);
                }
            });
            if (this.wip.compareAndSet(0, 1)) {
                task.state.set(Task.RUNNING);
                return body.doFinally(signal -> finish(task));
            }
            this.waiting.offer(task);
            if (this.wip.getAndIncrement() == 0) {
                startNext();
            }
            return task.turn.asMono().thenMany(body).doFinally(signal -> finish(task));
        });
    }

    /**
     * {@code step}, holding the current operation's turn from its subscription until it terminates, even if
     * the operation is cancelled meanwhile. Call it from the operation's synchronous code only, and run the
     * result {@link Uncancellable uncancellably}: a cancel of {@code step} itself ends the hold.
     */
    <T> Mono<T> holdTurnWhile(Mono<T> step) {
        Task task = this.current;
        if (task == null) {
            return step;
        }
        return Mono.defer(() -> {
            task.holds.incrementAndGet();
            return step.doFinally(signal -> release(task));
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
                if (task.state.compareAndSet(Task.RUNNING, Task.FINISHED)) {
                    release(task); // the operation's own hold
                }
                return;
            } else {
                return;
            }
        }
    }

    private void release(Task task) {
        if (task.holds.decrementAndGet() == 0) {
            if (this.current == task) {
                this.current = null;
            }
            if (this.wip.decrementAndGet() != 0) {
                startNext();
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
            // an abandoned task: account for it
            if (next == null || this.wip.decrementAndGet() == 0) {
                return;
            }
        }
    }

    private static final class Task {

        static final int WAITING = 0;

        static final int RUNNING = 1;

        static final int FINISHED = 2;

        static final int ABANDONED = 3;

        final AtomicInteger state = new AtomicInteger(WAITING);

        /** The operation's own hold, plus one per subscription in progress or held step; the turn ends at zero. */
        final AtomicInteger holds = new AtomicInteger(1);

        final Sinks.Empty<Void> turn = Sinks.empty();
    }
}
