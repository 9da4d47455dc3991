package io.github.contextr2dbc;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * One operation: its place in the queue, and the subscriber between its work and the operation's
 * subscriber (requests made before the work is subscribed are kept for it), which ends the turn when
 * the work terminates or the operation is cancelled.
 *
 * <table>
 * <caption>States (by compare-and-set; {@code holds} counts what keeps the turn, the turn ends at zero)</caption>
 * <tr><th>state</th><th>entered by</th><th>then</th></tr>
 * <tr><td>{@code WAITING}</td><td>queued behind another operation</td><td>started by the drain loop, or
 * abandoned by a cancel</td></tr>
 * <tr><td>{@code RUNNING}</td><td>its turn has come</td><td>the work is subscribed, holding the turn until
 * that subscription returns</td></tr>
 * <tr><td>{@code FINISHED}</td><td>the first of termination and cancel</td><td>its own hold is dropped;
 * holds taken by {@link SerialQueue#holdTurn()} keep the turn until dropped</td></tr>
 * <tr><td>{@code ABANDONED}</td><td>a cancel while waiting</td><td>skipped by the drain loop, never
 * subscribed</td></tr>
 * </table>
 */
final class SerialTask<T> extends Operators.DeferredSubscription implements CoreSubscriber<T>, SerialQueue.Hold {

    static final int WAITING = 0;

    static final int RUNNING = 1;

    static final int FINISHED = 2;

    static final int ABANDONED = 3;

    @SuppressWarnings("rawtypes")
    static final AtomicIntegerFieldUpdater<SerialTask> STATE = AtomicIntegerFieldUpdater.newUpdater(SerialTask.class,
            "state");

    @SuppressWarnings("rawtypes")
    static final AtomicIntegerFieldUpdater<SerialTask> HOLDS = AtomicIntegerFieldUpdater.newUpdater(SerialTask.class,
            "holds");

    @SuppressWarnings("rawtypes")
    static final AtomicIntegerFieldUpdater<SerialTask> SUBSCRIBING =
            AtomicIntegerFieldUpdater.newUpdater(SerialTask.class, "subscribing");

    @SuppressWarnings("rawtypes")
    static final AtomicIntegerFieldUpdater<SerialTask> ENDED = AtomicIntegerFieldUpdater.newUpdater(SerialTask.class,
            "ended");

    @SuppressWarnings("rawtypes")
    static final AtomicIntegerFieldUpdater<SerialTask> DONE = AtomicIntegerFieldUpdater.newUpdater(SerialTask.class,
            "done");

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

    SerialTask(SerialQueue queue, Supplier<? extends Publisher<T>> work, CoreSubscriber<? super T> actual) {
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
            if (this.queue.dropHold(this)) {
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
        return SUBSCRIBING.compareAndSet(this, 1, 0) && this.queue.dropHold(this);
    }

    @SuppressWarnings("rawtypes") // Scannable declares scanUnsafe(Attr) with the raw type
    @Override
    @Nullable
    public Object scanUnsafe(Attr key) {
        if (key == Attr.ACTUAL) {
            return this.actual;
        }
        if (key == Attr.TERMINATED) {
            return this.done != 0;
        }
        return super.scanUnsafe(key); // PARENT, CANCELLED, REQUESTED_FROM_DOWNSTREAM
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
        boolean startNext = endSubscribing() | giveUpTurnOnce();
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
        boolean startNext = endSubscribing() | giveUpTurnOnce();
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
                boolean startNext = giveUpTurnOnce();
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
        if (giveUpTurnOnce()) {
            this.queue.startNext();
        }
    }

    /** Ends a hold taken by {@link SerialQueue#holdTurn()}. */
    @Override
    public void drop() {
        if (this.queue.dropHold(this)) {
            this.queue.startNext();
        }
    }

    /** The first of termination and cancel ends the turn; returns whether the caller must start the next task. */
    private boolean giveUpTurnOnce() {
        return ENDED.compareAndSet(this, 0, 1) && this.queue.giveUpTurn(this);
    }
}
