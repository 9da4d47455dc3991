package io.github.contextr2dbc;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.core.publisher.Sinks;
import reactor.util.context.Context;

/**
 * Runs the operations of one session one at a time, in the order they were subscribed.
 *
 * <p>An operation's turn ends when its publisher terminates (just before the terminal signal is passed
 * on) or is cancelled, so a statement holds the session until its rows are drained. Cancelling an operation that is still waiting for its turn drops
 * it without running it. A cancel that arrives while the operation is being subscribed (on another
 * thread) does not end the turn before that subscription has returned: the next operation never runs
 * alongside the synchronous start of the previous one (which may still send a statement). An operation
 * may also {@linkplain #holdTurn() hold its turn} while an uncancellable step of its own finishes.
 *
 * <p>The queue is lock-free: {@code wip} counts the operations that are running or waiting, and
 * whoever moves it away from zero starts the next one. An operation that finds the queue idle starts at
 * once, on the subscribing thread, with no more than one small object per operation.
 */
final class SerialQueue {

    private static final AtomicIntegerFieldUpdater<SerialQueue> WIP =
            AtomicIntegerFieldUpdater.newUpdater(SerialQueue.class, "wip");

    private final Queue<Task<?>> waiting = new ConcurrentLinkedQueue<>();

    private volatile int wip;

    /** The task whose turn it is (set when it starts; read only by that task's synchronous code). */
    @Nullable
    private volatile Task<?> current;

    /**
     * The operation {@code work} supplies, run when every earlier operation has finished.
     *
     * @return a cold publisher: complete and error as {@code work}'s; cancel before its turn drops the
     * operation, during its turn cancels {@code work} and lets the next operation start
     */
    <T> Flux<T> run(Supplier<? extends Publisher<T>> work) {
        return new Operation<>(this, work);
    }

    /** {@link #run(Supplier)} for an operation of at most one value. */
    <T> Mono<T> runMono(Supplier<? extends Mono<T>> work) {
        return new MonoOperation<>(this, work);
    }

    /**
     * Holds the current operation's turn until the returned hold is {@linkplain Hold#release() released},
     * even if the operation is cancelled meanwhile: for an uncancellable step of the operation (acquiring
     * the session's connection) that a later operation must see finished. Call it from the operation's
     * synchronous code only; release the hold exactly once.
     */
    Hold holdTurn() {
        Task<?> task = this.current;
        if (task == null) {
            return Hold.NONE;
        }
        Task.HOLDS.incrementAndGet(task);
        return task;
    }

    /** Whether no operation is running or waiting (a snapshot, for state queries and tests). */
    boolean isIdle() {
        return this.wip == 0;
    }

    private <T> void subscribe(Supplier<? extends Publisher<T>> work, CoreSubscriber<? super T> actual) {
        Task<T> task = new Task<>(this, work, actual);
        if (WIP.compareAndSet(this, 0, 1)) {
            task.state = Task.RUNNING;
            actual.onSubscribe(task);
            task.begin();
            return;
        }
        task.turn = Sinks.unsafe().empty(); // one emitter: startNext, after winning the task's state
        this.waiting.offer(task);
        actual.onSubscribe(task);
        if (WIP.getAndIncrement(this) == 0) {
            startNext();
        }
        task.awaitTurn();
    }

    private void finish(Task<?> task) {
        for (;;) {
            int state = task.state;
            if (state == Task.WAITING) {
                if (Task.STATE.compareAndSet(task, Task.WAITING, Task.ABANDONED)) {
                    return; // startNext skips it and accounts for it
                }
            } else if (state == Task.RUNNING) {
                if (Task.STATE.compareAndSet(task, Task.RUNNING, Task.FINISHED)) {
                    release(task); // the operation's own hold
                }
                return;
            } else {
                return;
            }
        }
    }

    private void release(Task<?> task) {
        if (Task.HOLDS.decrementAndGet(task) == 0) {
            if (this.current == task) {
                this.current = null;
            }
            if (WIP.decrementAndGet(this) != 0) {
                startNext();
            }
        }
    }

    private void startNext() {
        for (;;) {
            Task<?> next = this.waiting.poll();
            if (next != null && Task.STATE.compareAndSet(next, Task.WAITING, Task.RUNNING)) {
                next.turn.tryEmitEmpty();
                return;
            }
            // an abandoned task: account for it
            if (next == null || WIP.decrementAndGet(this) == 0) {
                return;
            }
        }
    }

    private static final class Operation<T> extends Flux<T> {

        private final SerialQueue queue;

        private final Supplier<? extends Publisher<T>> work;

        Operation(SerialQueue queue, Supplier<? extends Publisher<T>> work) {
            this.queue = queue;
            this.work = work;
        }

        @Override
        public void subscribe(CoreSubscriber<? super T> actual) {
            this.queue.subscribe(this.work, actual);
        }
    }

    /** A hold on an operation's turn (see {@link #holdTurn()}). */
    interface Hold {

        /** Holds nothing: there was no operation to hold. */
        Hold NONE = () -> {
        };

        /** Ends the hold; call once. */
        void release();
    }

    private static final class MonoOperation<T> extends Mono<T> {

        private final SerialQueue queue;

        private final Supplier<? extends Mono<T>> work;

        MonoOperation(SerialQueue queue, Supplier<? extends Mono<T>> work) {
            this.queue = queue;
            this.work = work;
        }

        @Override
        public void subscribe(CoreSubscriber<? super T> actual) {
            this.queue.subscribe(this.work, actual);
        }
    }

    /**
     * One operation: its place in the queue, and the subscriber between its work and the operation's
     * subscriber (requests made before the work is subscribed are kept for it), which ends the turn when
     * the work terminates or the operation is cancelled.
     */
    private static final class Task<T> extends Operators.DeferredSubscription implements CoreSubscriber<T>, Hold {

        static final int WAITING = 0;

        static final int RUNNING = 1;

        static final int FINISHED = 2;

        static final int ABANDONED = 3;

        @SuppressWarnings("rawtypes")
        static final AtomicIntegerFieldUpdater<Task> STATE = AtomicIntegerFieldUpdater.newUpdater(Task.class, "state");

        @SuppressWarnings("rawtypes")
        static final AtomicIntegerFieldUpdater<Task> HOLDS = AtomicIntegerFieldUpdater.newUpdater(Task.class, "holds");

        @SuppressWarnings("rawtypes")
        static final AtomicIntegerFieldUpdater<Task> SUBSCRIBING =
                AtomicIntegerFieldUpdater.newUpdater(Task.class, "subscribing");

        @SuppressWarnings("rawtypes")
        static final AtomicIntegerFieldUpdater<Task> ENDED = AtomicIntegerFieldUpdater.newUpdater(Task.class, "ended");

        private final SerialQueue queue;

        private final Supplier<? extends Publisher<T>> work;

        private final CoreSubscriber<? super T> actual;

        volatile int state = WAITING;

        /** The operation's own hold, plus one per subscription in progress or held step; the turn ends at zero. */
        volatile int holds = 1;

        /** Set once, by the first of termination and cancel. */
        volatile int ended;

        /** 1 while the work's subscription holds the turn. */
        volatile int subscribing;

        /** Completed by startNext when the turn of a task that had to wait comes; null for a task that did not wait. */
        Sinks.@Nullable Empty<Void> turn;

        Task(SerialQueue queue, Supplier<? extends Publisher<T>> work, CoreSubscriber<? super T> actual) {
            this.queue = queue;
            this.work = work;
            this.actual = actual;
        }

        /**
         * Waits for the turn, then begins. A cancel meanwhile abandons the task (startNext skips it); the
         * waiter is then dropped with the task.
         */
        void awaitTurn() {
            Sinks.Empty<Void> turn = this.turn;
            if (turn == null) {
                throw new IllegalStateException("awaitTurn() on a task that did not wait");
            }
            turn.asMono().subscribe(new TurnWaiter(this));
        }

        /**
         * The turn has come: subscribes the work, holding the turn until that subscription has returned or
         * the work has terminated, whichever comes first (a cancel does not end that hold).
         */
        void begin() {
            if (isCancelled()) {
                return; // the cancel ended the turn (or will, holding it is not needed)
            }
            HOLDS.incrementAndGet(this);
            this.subscribing = 1;
            this.queue.current = this;
            try {
                Publisher<T> publisher;
                try {
                    publisher = this.work.get();
                } catch (Throwable error) {
                    Operators.error(this, Operators.onOperatorError(error, this.actual.currentContext()));
                    return;
                }
                if (publisher == null) {
                    Operators.error(this, new NullPointerException("The operation supplied no publisher"));
                    return;
                }
                publisher.subscribe(this);
            } finally {
                endSubscribing();
            }
        }

        private void endSubscribing() {
            if (SUBSCRIBING.compareAndSet(this, 1, 0)) {
                this.queue.release(this);
            }
        }

        @Override
        public Context currentContext() {
            return this.actual.currentContext();
        }

        @Override
        public void onSubscribe(Subscription subscription) {
            set(subscription); // cancels it if the operation was cancelled already
        }

        @Override
        public void onNext(T value) {
            this.actual.onNext(value);
        }

        // The turn ends before the terminal signal goes on, so that what the subscriber does next on the
        // session (a commit chained after a statement, say) finds the queue free instead of waiting behind
        // the operation that is telling it it has finished.

        // A work that has terminated sends nothing more, even if its subscribe call has not returned yet (it
        // completed synchronously, or on another thread): its subscription's hold ends too.

        @Override
        public void onError(Throwable error) {
            endSubscribing();
            end();
            this.actual.onError(error);
        }

        @Override
        public void onComplete() {
            endSubscribing();
            end();
            this.actual.onComplete();
        }

        @Override
        public void cancel() {
            super.cancel();
            end();
        }

        /** Ends a hold taken by {@link SerialQueue#holdTurn()}. */
        @Override
        public void release() {
            this.queue.release(this);
        }

        private void end() {
            if (ENDED.compareAndSet(this, 0, 1)) {
                this.queue.finish(this);
            }
        }
    }

    /** Begins its task when the task's turn comes. */
    private static final class TurnWaiter extends OutcomeSubscriber {

        private final Task<?> task;

        TurnWaiter(Task<?> task) {
            super(task.currentContext());
            this.task = task;
        }

        @Override
        public void onError(Throwable error) {
            this.task.onError(error); // the turn sink is only ever completed; relayed should that change
        }

        @Override
        public void onComplete() {
            this.task.begin();
        }
    }
}
