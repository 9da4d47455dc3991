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
import reactor.util.context.Context;

/**
 * Runs the operations of one session one at a time, in the order they were subscribed.
 *
 * <p>An operation's turn ends when its publisher terminates or is cancelled, so a statement holds the
 * session until its rows are drained. The turn ends just before the terminal signal is passed on, so that
 * what the subscriber does next on the session (a commit chained after a statement) finds the queue free;
 * but the next waiting operation starts only once that signal has been passed on, so that a failure
 * reaches its own subscriber before any operation refused because of it. Cancelling an operation that is
 * still waiting for its turn drops it without running it. A cancel that arrives while the operation is
 * being subscribed (on another thread) does not end the turn before that subscription has returned: the
 * next operation never runs alongside the synchronous start of the previous one (which may still send a
 * statement). An operation may also {@linkplain #holdTurn() hold its turn} while an uncancellable step of
 * its own finishes.
 *
 * <p>The queue is lock-free: {@code wip} counts the operations that are running or waiting, and whoever
 * frees the turn while others wait hands it to the next one. Operations are started by a drain loop
 * ({@code starts} counts the turns handed over and not yet started), so that thousands of operations that
 * end synchronously (refused statements, no-op finishing steps) start one after another, never one inside
 * another: the stack does not grow with the queue. An operation that finds the queue idle and empty starts
 * at once, on the subscribing thread, with no more than one small object per operation.
 *
 * <p>Each operation's subscription follows the Reactive Streams rules: {@code request(n <= 0)} cancels
 * the operation and signals an {@link IllegalArgumentException} (§3.9); after a cancel, nothing more is
 * signalled (late values are discarded, a late error goes to {@link Operators#onErrorDropped}).
 */
final class SerialQueue {

    private static final AtomicIntegerFieldUpdater<SerialQueue> WIP =
            AtomicIntegerFieldUpdater.newUpdater(SerialQueue.class, "wip");

    private static final AtomicIntegerFieldUpdater<SerialQueue> STARTS =
            AtomicIntegerFieldUpdater.newUpdater(SerialQueue.class, "starts");

    private final Queue<Task<?>> waiting = new ConcurrentLinkedQueue<>();

    private volatile int wip;

    /** Turns handed over and not yet started; whoever moves it away from zero runs the drain loop. */
    private volatile int starts;

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
        // an operation queued by a concurrent subscriber (not counted yet) is never overtaken
        if (this.waiting.isEmpty() && WIP.compareAndSet(this, 0, 1)) {
            task.state = Task.RUNNING;
            actual.onSubscribe(task);
            task.begin();
            return;
        }
        actual.onSubscribe(task); // before the task is queued: from then on, any thread may begin it
        this.waiting.offer(task);
        if (WIP.getAndIncrement(this) == 0) {
            startNext();
        }
    }

    /**
     * Ends the turn's own hold (the first of termination and cancel), or abandons a task still waiting.
     *
     * @return whether the turn is now free and another task waits: the caller must {@link #startNext()}
     */
    private boolean finish(Task<?> task) {
        for (;;) {
            int state = task.state;
            if (state == Task.WAITING) {
                if (Task.STATE.compareAndSet(task, Task.WAITING, Task.ABANDONED)) {
                    return false; // startNext skips it and accounts for it
                }
            } else if (state == Task.RUNNING) {
                if (Task.STATE.compareAndSet(task, Task.RUNNING, Task.FINISHED)) {
                    return release(task); // the operation's own hold
                }
                return false;
            } else {
                return false;
            }
        }
    }

    /**
     * Ends one hold on {@code task}'s turn.
     *
     * @return whether that freed the turn and another task waits: the caller must {@link #startNext()}
     */
    private boolean release(Task<?> task) {
        if (Task.HOLDS.decrementAndGet(task) == 0) {
            if (this.current == task) {
                this.current = null;
            }
            return WIP.decrementAndGet(this) != 0;
        }
        return false;
    }

    /** Hands the free turn to the next waiting task: a drain loop, so that starting never nests. */
    private void startNext() {
        if (STARTS.getAndIncrement(this) != 0) {
            return; // the loop running (on this thread, or another) starts it when the current start returns
        }
        do {
            startOne();
        } while (STARTS.decrementAndGet(this) != 0);
    }

    private void startOne() {
        for (;;) {
            Task<?> next = this.waiting.poll();
            if (next == null) {
                return; // not reached: a task is queued before it is counted
            }
            if (Task.STATE.compareAndSet(next, Task.WAITING, Task.RUNNING)) {
                next.begin();
                return;
            }
            // an abandoned task: account for it
            if (WIP.decrementAndGet(this) == 0) {
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

        @SuppressWarnings("rawtypes")
        static final AtomicIntegerFieldUpdater<Task> DONE = AtomicIntegerFieldUpdater.newUpdater(Task.class, "done");

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

        /** Set once, by the terminal signal passed on (the work's, or the error of a bad request). */
        volatile int done;

        Task(SerialQueue queue, Supplier<? extends Publisher<T>> work, CoreSubscriber<? super T> actual) {
            this.queue = queue;
            this.work = work;
            this.actual = actual;
        }

        /**
         * The turn has come: subscribes the work, holding the turn until that subscription has returned or
         * the work has terminated, whichever comes first (a cancel does not end that hold). A task cancelled
         * before this point is not subscribed; one whose cancel has freed the turn already takes no hold.
         */
        void begin() {
            for (;;) {
                int held = this.holds;
                if (held == 0) {
                    return; // a cancel ended the turn already
                }
                if (HOLDS.compareAndSet(this, held, held + 1)) {
                    break;
                }
            }
            if (isCancelled()) {
                if (this.queue.release(this)) {
                    this.queue.startNext();
                }
                return;
            }
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
                if (endSubscribing()) {
                    this.queue.startNext();
                }
            }
        }

        /** Ends the subscription's hold; returns whether the caller must start the next task. */
        private boolean endSubscribing() {
            return SUBSCRIBING.compareAndSet(this, 1, 0) && this.queue.release(this);
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
            if (this.done != 0 || isCancelled()) {
                Operators.onDiscard(value, this.actual.currentContext());
                return;
            }
            this.actual.onNext(value);
        }

        // The turn ends before the terminal signal goes on, so that what the subscriber does next on the
        // session (a commit chained after a statement, say) finds the queue free instead of waiting behind
        // the operation that is telling it it has finished; a task waiting already starts only after the
        // signal has gone on.

        // A work that has terminated sends nothing more, even if its subscribe call has not returned yet (it
        // completed synchronously, or on another thread): its subscription's hold ends too.

        @Override
        public void onError(Throwable error) {
            boolean startNext = endSubscribing() | end();
            if (isCancelled() || !DONE.compareAndSet(this, 0, 1)) {
                Operators.onErrorDropped(error, this.actual.currentContext());
            } else {
                this.actual.onError(error);
            }
            if (startNext) {
                this.queue.startNext();
            }
        }

        @Override
        public void onComplete() {
            boolean startNext = endSubscribing() | end();
            if (!isCancelled() && DONE.compareAndSet(this, 0, 1)) {
                this.actual.onComplete();
            }
            if (startNext) {
                this.queue.startNext();
            }
        }

        @Override
        public void request(long n) {
            if (n <= 0) {
                // Reactive Streams §3.9: a non-positive request is signalled as an error, and the operation ends
                if (DONE.compareAndSet(this, 0, 1)) {
                    super.cancel();
                    boolean startNext = end();
                    this.actual.onError(new IllegalArgumentException(
                            "Spec. Rule 3.9 - Cannot request a non strictly positive number: " + n));
                    if (startNext) {
                        this.queue.startNext();
                    }
                }
                return;
            }
            super.request(n);
        }

        @Override
        public void cancel() {
            super.cancel();
            if (end()) {
                this.queue.startNext();
            }
        }

        /** Ends a hold taken by {@link SerialQueue#holdTurn()}. */
        @Override
        public void release() {
            if (this.queue.release(this)) {
                this.queue.startNext();
            }
        }

        /** The first of termination and cancel ends the turn; returns whether the caller must start the next task. */
        private boolean end() {
            return ENDED.compareAndSet(this, 0, 1) && this.queue.finish(this);
        }
    }
}
