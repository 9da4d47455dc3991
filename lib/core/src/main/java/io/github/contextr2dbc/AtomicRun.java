package io.github.contextr2dbc;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.Predicate;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * One run of an {@linkplain Atomic atomic block}: enters the block, runs the body with the block in its
 * Context, and leaves the block (commit or rollback) exactly once, as one uncancellable pair: a block that
 * was entered is always left, whenever the subscriber cancels.
 *
 * <p>Who leaves the block is decided once, by the first of the body's outcome and the subscriber's cancel
 * ({@code stage}). A cancel while the block is being entered is seen by the entering step itself, in the
 * same turn of the session's queue ({@link #test(AtomicFrame)}), which leaves the block again at once; a
 * cancel once it runs leaves it with a rollback before the cancel returns, so that whatever the subscriber
 * does next on the session comes after. A cancel that finds the block being left already returns at once:
 * the block is marked {@linkplain AtomicFrame#leaving leaving} before that is decided, and a block entering
 * while it is still in the way waits until it has been left instead of being refused. Entering and leaving
 * are subscribed here and never cancelled; cancelling only detaches the subscriber (an outcome nobody is
 * left to receive goes to {@link Undeliverable}).
 *
 * <table>
 * <caption>Stages (decided once, by compare-and-set)</caption>
 * <tr><th>stage</th><th>entered by</th><th>then</th></tr>
 * <tr><td>{@code ENTERING}</td><td>subscription</td><td>the block is entered in a turn of the queue, which
 * claims the run ({@link #test}) or, if cancelled meanwhile, leaves the block in that same turn</td></tr>
 * <tr><td>{@code RUNNING}</td><td>the claim</td><td>the body runs with the block in its Context</td></tr>
 * <tr><td>{@code EXITING}</td><td>the body's completion or error, or a refused entry</td><td>the block is
 * left (exitCompleted or exitFailed), the outcome passed on</td></tr>
 * <tr><td>{@code CANCELLED}</td><td>the subscriber's cancel while entering or running</td><td>the block is
 * left with a rollback; the outcome is dropped</td></tr>
 * </table>
 *
 * <p>For a {@code Mono} body the value is held until the block has been left (committed), then passed on;
 * a {@code Flux} body streams inside the block, which is left after the last element.
 */
final class AtomicRun<T> extends Operators.DeferredSubscription implements CoreSubscriber<T>, Predicate<AtomicFrame> {

    private static final int ENTERING = 0;

    private static final int RUNNING = 1;

    private static final int EXITING = 2;

    private static final int CANCELLED = 3;

    @SuppressWarnings("rawtypes")
    private static final AtomicIntegerFieldUpdater<AtomicRun> STAGE = AtomicIntegerFieldUpdater.newUpdater(
            AtomicRun.class, "stage");

    /** The subscriber (read by the steps, {@link AtomicSteps}). */
    final CoreSubscriber<? super T> actual;

    private final ContextSession session;

    private final Atomic block;

    @Nullable
    private final AtomicFrame parent;

    private final Publisher<? extends T> body;

    /** A {@code Mono} body: its value is held until the block has been left. */
    private final boolean single;

    private volatile int stage;

    /** The running block, set by the entering step before the run is claimed. */
    @Nullable
    private volatile AtomicFrame frame;

    /** The body's Context: the subscriber's, with the block in it (set before the body is subscribed). */
    private Context context;

    @Nullable
    private T value;

    private AtomicRun(CoreSubscriber<? super T> actual, ContextSession session, Atomic block,
            @Nullable AtomicFrame parent, Publisher<? extends T> body, boolean single) {
        this.actual = actual;
        this.session = session;
        this.block = block;
        this.parent = parent;
        this.body = body;
        this.single = single;
        this.context = actual.currentContext();
    }

    /** Starts a run of {@code atomic} for {@code actual}, or fails it (no unit of work). */
    private static <T> void run(Atomic atomic, CoreSubscriber<? super T> actual, Publisher<? extends T> body,
            boolean single) {
        ContextView context = actual.currentContext();
        UnitOfWork unitOfWork = UnitOfWork.find(context).orElse(null);
        if (unitOfWork == null) {
            Operators.error(actual, new NoUnitOfWorkException("atomic(" + atomic.database().name() + ")"));
            return;
        }
        ContextSession session;
        try {
            session = unitOfWork.contextSession(atomic.database());
        } catch (IllegalStateException ended) {
            Operators.error(actual, ended);
            return;
        }
        subscribe(actual, session, atomic, Atomic.frameIn(context, atomic.database(), session), body, single);
    }

    /** {@link Atomic#wrap(Mono)}. */
    static final class InMono<T> extends Mono<T> {

        private final Atomic block;

        private final Mono<T> body;

        InMono(Atomic block, Mono<T> body) {
            this.block = block;
            this.body = body;
        }

        @Override
        public void subscribe(CoreSubscriber<? super T> actual) {
            run(this.block, actual, this.body, true);
        }
    }

    /** {@link Atomic#wrap(Flux)}. */
    static final class InFlux<T> extends Flux<T> {

        private final Atomic block;

        private final Flux<T> body;

        InFlux(Atomic block, Flux<T> body) {
            this.block = block;
            this.body = body;
        }

        @Override
        public void subscribe(CoreSubscriber<? super T> actual) {
            run(this.block, actual, this.body, false);
        }
    }

    /** Runs {@code body} as {@code block} on {@code session}, nested in {@code parent}, for {@code actual}. */
    static <T> void subscribe(CoreSubscriber<? super T> actual, ContextSession session, Atomic block,
            @Nullable AtomicFrame parent, Publisher<? extends T> body, boolean single) {
        AtomicRun<T> run = new AtomicRun<>(actual, session, block, parent, body, single);
        actual.onSubscribe(run);
        if (run.isCancelled() && STAGE.compareAndSet(run, ENTERING, CANCELLED)) {
            return; // cancelled before anything was entered
        }
        run.enter();
    }

    private void enter() {
        this.session.enterBlock(this.block, this.parent, this).subscribe(new AtomicSteps.Entering(this));
    }

    /** An ended block is still being left: enter once it has been, unless cancelled meanwhile. */
    void enterAfter(Mono<Void> left) {
        left.subscribe(new OutcomeSubscriber(this.actual.currentContext()) {
            @Override
            public void onError(Throwable error) {
                onComplete(); // the signal only ever completes
            }

            @Override
            public void onComplete() {
                if (AtomicRun.this.stage == ENTERING) {
                    enter();
                }
            }
        });
    }

    /**
     * Asked by the entering step, in its turn of the queue, once the block is entered: whether this run
     * still wants it (false: it was cancelled, and the block is left in that same turn).
     */
    @Override
    public boolean test(AtomicFrame entered) {
        this.frame = entered;
        return STAGE.compareAndSet(this, ENTERING, RUNNING);
    }

    /** The entering step has ended with the block running ({@code entered}), or left again (null). */
    void entered(@Nullable AtomicFrame entered) {
        if (entered == null || this.stage != RUNNING || isCancelled()) {
            return; // left at once, or the cancel that came since has left it
        }
        this.context = this.actual.currentContext().put(entered.block.database().atomicKey(), entered);
        this.body.subscribe(this);
    }

    /** The block could not be entered (nothing was changed): that is the error. */
    void enterFailed(Throwable error) {
        if (error instanceof AtomicBlocks.BlockLeaving) {
            enterAfter(((AtomicBlocks.BlockLeaving) error).left);
            return;
        }
        if (STAGE.compareAndSet(this, ENTERING, EXITING)) {
            this.actual.onError(error);
        } else {
            Operators.onErrorDropped(error, this.actual.currentContext());
        }
    }

    @Override
    public Context currentContext() {
        return this.context;
    }

    @SuppressWarnings("rawtypes") // Scannable declares scanUnsafe(Attr) with the raw type
    @Override
    @Nullable
    public Object scanUnsafe(Attr key) {
        if (key == Attr.ACTUAL) {
            return this.actual;
        }
        if (key == Attr.TERMINATED) {
            return this.stage == EXITING;
        }
        return super.scanUnsafe(key); // PARENT (the body's subscription), CANCELLED, REQUESTED_FROM_DOWNSTREAM
    }

    @Override
    public void onSubscribe(Subscription subscription) {
        set(subscription); // cancels it if the run was cancelled already
    }

    @Override
    public void onNext(T next) {
        if (this.single) {
            this.value = next;
        } else {
            this.actual.onNext(next);
        }
    }

    @Override
    public void onError(Throwable error) {
        markLeaving();
        if (STAGE.compareAndSet(this, RUNNING, EXITING)) {
            this.session.exitFailed(frameOf()).subscribe(new AtomicSteps.Exit(this, error, false));
        } else {
            Operators.onErrorDropped(error, this.context);
        }
    }

    @Override
    public void onComplete() {
        markLeaving();
        if (STAGE.compareAndSet(this, RUNNING, EXITING)) {
            this.session.exitCompleted(frameOf()).subscribe(new AtomicSteps.Exit(this, null, false));
            return;
        }
        T dropped = this.value; // cancelled: the cancel has left the block
        this.value = null;
        if (dropped != null) {
            Operators.onDiscard(dropped, this.context);
        }
    }

    @Override
    public void cancel() {
        super.cancel();
        for (;;) {
            int current = this.stage;
            if (current == ENTERING) {
                if (STAGE.compareAndSet(this, ENTERING, CANCELLED)) {
                    return; // the entering step sees it and leaves the block in its own turn
                }
            } else if (current == RUNNING) {
                markLeaving();
                if (STAGE.compareAndSet(this, RUNNING, CANCELLED)) {
                    this.session.exitFailed(frameOf()).subscribe(new AtomicSteps.Exit(this, null, true));
                }
                return;
            } else {
                return; // leaving already (its outcome is dropped), or cancelled
            }
        }
    }

    /**
     * Before the stage says the block is being left: a block entering meanwhile (after a cancel that saw
     * this run leaving already, and returned before the exit was queued) waits for the exit.
     */
    private void markLeaving() {
        AtomicFrame running = this.frame;
        if (running != null && this.stage == RUNNING) {
            running.leaving = true;
        }
    }

    private AtomicFrame frameOf() {
        AtomicFrame running = this.frame;
        if (running == null) {
            throw new IllegalStateException("An atomic block ran without being entered");
        }
        return running;
    }

    /** The block has been left: pass the outcome on, unless the subscriber has gone. */
    void exited(@Nullable Throwable error, boolean afterCancel) {
        if (afterCancel || isCancelled()) {
            T dropped = this.value;
            this.value = null;
            if (dropped != null) {
                Operators.onDiscard(dropped, this.actual.currentContext());
            }
            if (error != null) {
                Undeliverable.error("Ending an atomic block on " + this.session.database().name(), error,
                        this.actual.currentContext());
            }
            return;
        }
        if (error != null) {
            this.value = null;
            this.actual.onError(error);
            return;
        }
        T result = this.value;
        if (result != null) {
            this.value = null;
            this.actual.onNext(result);
        }
        this.actual.onComplete();
    }
}
