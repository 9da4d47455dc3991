package io.github.contextr2dbc;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

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
 * signalled (late values are discarded, a late error goes to {@link reactor.core.publisher.Operators#onErrorDropped}).
 *
 * <p>A session is its own queue ({@link SessionTransaction} extends this class, its {@code queue} is itself):
 * one object less per session, which a unit of work waiting for its connection keeps.
 */
class SerialQueue {

    private static final AtomicIntegerFieldUpdater<SerialQueue> WIP =
            AtomicIntegerFieldUpdater.newUpdater(SerialQueue.class, "wip");

    private static final AtomicIntegerFieldUpdater<SerialQueue> STARTS =
            AtomicIntegerFieldUpdater.newUpdater(SerialQueue.class, "starts");

    @SuppressWarnings("rawtypes")
    private static final AtomicReferenceFieldUpdater<SerialQueue, Queue> WAITING =
            AtomicReferenceFieldUpdater.newUpdater(SerialQueue.class, Queue.class, "waiting");

    // created when the first operation has to wait, not with every session: most sessions
    // run one operation at a time and never queue one, and a unit of work waiting for its connection kept the
    // empty queue (48 bytes) all the same. Once created it is never replaced.
    @Nullable
    private volatile Queue<SerialTask<?>> waiting;

    private volatile int wip;

    /** Turns handed over and not yet started; whoever moves it away from zero runs the drain loop. */
    private volatile int starts;

    /** The task whose turn it is (set when it starts; read only by that task's synchronous code). */
    @Nullable
    volatile SerialTask<?> current;

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
     * Holds the current operation's turn until the returned hold is {@linkplain Hold#drop() dropped},
     * even if the operation is cancelled meanwhile: for an uncancellable step of the operation (acquiring
     * the session's connection) that a later operation must see finished. Call it from the operation's
     * synchronous code only; drop the hold exactly once.
     */
    Hold holdTurn() {
        SerialTask<?> task = this.current;
        if (task == null) {
            return Hold.NONE;
        }
        SerialTask.HOLDS.incrementAndGet(task);
        return task;
    }

    /** Whether no operation is running or waiting (a snapshot, for state queries and tests). */
    boolean isIdle() {
        return this.wip == 0;
    }

    private <T> void subscribe(Supplier<? extends Publisher<T>> work, CoreSubscriber<? super T> actual) {
        SerialTask<T> task = new SerialTask<>(this, work, actual);
        // an operation queued by a concurrent subscriber (not counted yet) is never overtaken
        Queue<SerialTask<?>> queued = this.waiting;
        if ((queued == null || queued.isEmpty()) && WIP.compareAndSet(this, 0, 1)) {
            task.state = SerialTask.RUNNING;
            actual.onSubscribe(task);
            task.begin();
            return;
        }
        actual.onSubscribe(task); // before the task is queued: from then on, any thread may begin it
        waitingQueue().offer(task);
        if (WIP.getAndIncrement(this) == 0) {
            startNext();
        }
    }

    /**
     * Ends the turn's own hold (the first of termination and cancel), or abandons a task still waiting.
     *
     * @return whether the turn is now free and another task waits: the caller must {@link #startNext()}
     */
    boolean giveUpTurn(SerialTask<?> task) {
        for (;;) {
            int state = task.state;
            if (state == SerialTask.WAITING) {
                if (SerialTask.STATE.compareAndSet(task, SerialTask.WAITING, SerialTask.ABANDONED)) {
                    return false; // startNext skips it and accounts for it
                }
            } else if (state == SerialTask.RUNNING) {
                if (SerialTask.STATE.compareAndSet(task, SerialTask.RUNNING, SerialTask.FINISHED)) {
                    return dropHold(task); // the operation's own hold
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
    boolean dropHold(SerialTask<?> task) {
        if (SerialTask.HOLDS.decrementAndGet(task) == 0) {
            if (this.current == task) {
                this.current = null;
            }
            return WIP.decrementAndGet(this) != 0;
        }
        return false;
    }

    /** Hands the free turn to the next waiting task: a drain loop, so that starting never nests. */
    void startNext() {
        if (STARTS.getAndIncrement(this) != 0) {
            return; // the loop running (on this thread, or another) starts it when the current start returns
        }
        do {
            startOne();
        } while (STARTS.decrementAndGet(this) != 0);
    }

    /** The queue of waiting tasks, created by the first task that waits. */
    @SuppressWarnings("unchecked")
    private Queue<SerialTask<?>> waitingQueue() {
        Queue<SerialTask<?>> queued = this.waiting;
        if (queued == null) {
            queued = new ConcurrentLinkedQueue<>();
            if (!WAITING.compareAndSet(this, null, queued)) {
                queued = this.waiting;
            }
        }
        return queued;
    }

    private void startOne() {
        Queue<SerialTask<?>> queued = this.waiting;
        if (queued == null) {
            return; // not reached: a task is queued (creating the queue) before it is counted
        }
        for (;;) {
            SerialTask<?> next = queued.poll();
            if (next == null) {
                return; // not reached: a task is queued before it is counted
            }
            if (SerialTask.STATE.compareAndSet(next, SerialTask.WAITING, SerialTask.RUNNING)) {
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
        void drop();
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
}
