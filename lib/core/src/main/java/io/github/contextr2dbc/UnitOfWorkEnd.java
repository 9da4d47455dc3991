package io.github.contextr2dbc;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * The end of a unit of work, decided once, for whoever opened it: commit it and then close it, or close it
 * (which rolls back), whichever is asked first. {@link UnitOfWork#inNewUnitOfWork(Mono)},
 * {@link UnitOfWork#inNewUnitOfWork(reactor.core.publisher.Flux)} and the Spring WebFilter all end their unit
 * of work through this one class; use it when you open a unit of work yourself and several paths may want to
 * end it (a response about to be sent, a handler's completion, its error, a cancel).
 *
 * <p>The end, once decided, runs to its end whatever happens to the caller that decided it, and every caller
 * (and every later one) gets its outcome. An error nobody receives (every caller had cancelled, or the end
 * was asked by {@link #cancel()}) goes to {@link Operators#onErrorDropped}.
 *
 * <table>
 * <caption>States (decided once, by compare-and-set)</caption>
 * <tr><th>state</th><th>entered by</th><th>then</th></tr>
 * <tr><td>{@code OPEN}</td><td>creation</td><td>the work runs in the unit of work</td></tr>
 * <tr><td>{@code COMMITTING}</td><td>{@link #commit(Function)}</td><td>the before-commit checks, the commit,
 * the on-commit hooks, then the close (always, even after a failed commit)</td></tr>
 * <tr><td>{@code ROLLING_BACK}</td><td>{@link #rollback()} or {@link #cancel()}</td><td>the close: every open
 * transaction rolled back, every connection released</td></tr>
 * </table>
 * Once the close is over, the {@link Listener} is told, then every caller waiting.
 */
public final class UnitOfWorkEnd {

    /** How the end was decided: {@code COMMIT} (commit, then close) or {@code ROLLBACK} (close). */
    public enum Kind { COMMIT, ROLLBACK }

    /** Told how the end went, by whoever opened the unit of work (e.g. for metrics); must not throw. */
    public interface Listener {

        /** The end is decided and about to start: the sessions are as the work left them. */
        default void ending(UnitOfWork unitOfWork, Kind kind) {
        }

        /**
         * The unit of work is closed; called before any caller is told.
         *
         * @param committed for {@link Kind#COMMIT}, whether the commit itself succeeded (the close may still
         * have failed); false for {@link Kind#ROLLBACK}
         * @param error the end's failure (the commit's, else the close's), or null
         */
        void ended(Kind kind, boolean committed, @Nullable Throwable error);
    }

    /**
     * One waiting for the outcome without a {@link Mono} (an operator that is its own subscriber, like the
     * WebFilter's request): told once, on the thread that ended the unit of work, possibly before the call that
     * registered it returns. Must not throw.
     */
    public interface Waiter {

        /**
         * The end is over.
         *
         * @param error the end's failure, or null
         * @return true if it passed the outcome on (or reported it itself); false if nobody received it (its
         * caller is gone): a failure is then reported to {@link Operators#onErrorDropped}, unless another
         * waiter took it
         */
        boolean ended(@Nullable Throwable error);
    }

    private static final int OPEN = 0;

    /** For {@link #decide}: commit, then close. */
    static final int COMMITTING = 1;

    /** For {@link #decide}: close (roll back). */
    static final int ROLLING_BACK = 2;

    /** The waiters' marker once the outcome is known (compared by identity). */
    private static final Object ENDED = new Object();

    private static final AtomicIntegerFieldUpdater<UnitOfWorkEnd> STATE =
            AtomicIntegerFieldUpdater.newUpdater(UnitOfWorkEnd.class, "state");

    private static final AtomicReferenceFieldUpdater<UnitOfWorkEnd, Object> WAITERS =
            AtomicReferenceFieldUpdater.newUpdater(UnitOfWorkEnd.class, Object.class, "waiters");

    private final UnitOfWork unitOfWork;

    @Nullable
    private final Listener listener;

    /** The opener's Context: the steps' Context, and the one errors nobody receives are dropped with. */
    private final Context context;

    private volatile int state;

    /** null, one {@link Waiter}, a {@code Waiter[]}, or {@link #ENDED}. */
    @Nullable
    private volatile Object waiters;

    /** The outcome; written before {@link #waiters} becomes {@link #ENDED}. */
    @Nullable
    private Throwable error;

    UnitOfWorkEnd(UnitOfWork unitOfWork, @Nullable Listener listener, Context context) {
        this.unitOfWork = unitOfWork;
        this.listener = listener;
        this.context = context;
    }

    /**
     * The end of {@code unitOfWork}, not decided yet.
     *
     * @param listener told how it went, or null
     * @param context the opener's Context (its {@code onErrorDropped} hook gets the errors nobody receives)
     */
    public static UnitOfWorkEnd of(UnitOfWork unitOfWork, @Nullable Listener listener, Context context) {
        if (unitOfWork == null || context == null) {
            throw new IllegalArgumentException("UnitOfWorkEnd.of needs the unit of work and the opener's Context");
        }
        return new UnitOfWorkEnd(unitOfWork, listener, context);
    }

    /** The unit of work it ends. */
    public UnitOfWork unitOfWork() {
        return this.unitOfWork;
    }

    /** How the end was decided, or null while it is not. */
    @Nullable
    public Kind decided() {
        int now = this.state;
        return now == OPEN ? null : now == COMMITTING ? Kind.COMMIT : Kind.ROLLBACK;
    }

    /**
     * Commits the unit of work ({@link UnitOfWork#commit(Function)}, with {@code beforeCommit}), then closes it
     * (always, after a failed commit too) — unless the end is already decided: then waits for that end.
     *
     * @return a cold {@link Mono}: complete once committed and closed; error: the commit's failure (a failed
     * close suppressed into it), else the close's; cancel: detaches, the end runs on
     */
    public Mono<Void> commit(@Nullable Function<? super DbSession, ? extends Publisher<Void>> beforeCommit) {
        return asked(COMMITTING, beforeCommit);
    }

    /**
     * Closes the unit of work ({@link UnitOfWork#close()}: every open transaction rolled back, every connection
     * released) — unless the end is already decided: then waits for that end.
     *
     * @return a cold {@link Mono}: complete once closed; error: the close's failure (or the decided end's);
     * cancel: detaches, the end runs on
     */
    public Mono<Void> rollback() {
        return asked(ROLLING_BACK, null);
    }

    /**
     * The outcome of the end, once decided (by someone else) and over.
     *
     * @return a cold {@link Mono}: complete or error as the end; cancel: detaches
     */
    public Mono<Void> outcome() {
        return asked(OPEN, null);
    }

    /**
     * The opener is gone (its subscriber cancelled): closes the unit of work, rolling back, unless the end is
     * already decided. Nobody waits for it: a failure goes to {@link Operators#onErrorDropped}.
     */
    public void cancel() {
        decide(ROLLING_BACK, null, null);
    }

    /**
     * Like {@link #commit(Function)}, telling {@code waiter} instead of a subscriber (for operators that end a
     * unit of work with no {@code Mono} per call): decides the commit unless the end is decided, then tells
     * {@code waiter} the outcome once the end is over (at once, on this thread, if it already is, or if the unit
     * of work has nothing to commit or release).
     */
    public void commit(@Nullable Function<? super DbSession, ? extends Publisher<Void>> beforeCommit,
            Waiter waiter) {
        if (!decide(COMMITTING, beforeCommit, waiter)) {
            await(waiter);
        }
    }

    /** Like {@link #rollback()}, telling {@code waiter}: see {@link #commit(Function, Waiter)}. */
    public void rollback(Waiter waiter) {
        if (!decide(ROLLING_BACK, null, waiter)) {
            await(waiter);
        }
    }

    // ---- package-private: the operators of inNewUnitOfWork ----

    /**
     * Decides the end ({@code how}) if it is not yet, and runs it; {@code waiter}, if any, is told the outcome.
     *
     * @return whether this call decided it (if not, the waiter was not registered)
     */
    boolean decide(int how, @Nullable Function<? super DbSession, ? extends Publisher<Void>> beforeCommit,
            @Nullable Waiter waiter) {
        if (!STATE.compareAndSet(this, OPEN, how)) {
            return false;
        }
        if (waiter != null) {
            await(waiter);
        }
        Listener told = this.listener;
        if (told != null) {
            try {
                told.ending(this.unitOfWork, how == COMMITTING ? Kind.COMMIT : Kind.ROLLBACK);
            } catch (RuntimeException e) {
                Operators.onErrorDropped(e, this.context);
            }
        }
        if (how == COMMITTING) {
            Mono<Void> commit = this.unitOfWork.commitStep(beforeCommit);
            if (commit != null) {
                commit.subscribe(new Step(this, true, null));
                return true;
            }
        }
        close(null);
        return true;
    }

    /**
     * Like {@link #outcome()}, telling {@code waiter}: the outcome of the end once decided (by someone else)
     * and over; at once, on this thread, if it is.
     */
    public void await(Waiter waiter) {
        for (;;) {
            Object current = this.waiters;
            if (current == ENDED) {
                waiter.ended(this.error);
                return;
            }
            Object next;
            if (current == null) {
                next = waiter;
            } else if (current instanceof Waiter[] several) {
                Waiter[] more = new Waiter[several.length + 1];
                System.arraycopy(several, 0, more, 0, several.length);
                more[several.length] = waiter;
                next = more;
            } else {
                next = new Waiter[] {(Waiter) current, waiter};
            }
            if (WAITERS.compareAndSet(this, current, next)) {
                return;
            }
        }
    }

    /** The commit is over ({@code failure} null if it succeeded): close, always. */
    private void close(@Nullable Throwable failure) {
        Mono<Void> close = this.unitOfWork.closeStep();
        if (close == null) {
            ended(failure == null, failure);
        } else {
            close.subscribe(new Step(this, false, failure));
        }
    }

    private void ended(boolean commitSucceeded, @Nullable Throwable failure) {
        boolean committing = this.state == COMMITTING;
        this.error = failure;
        Listener told = this.listener;
        if (told != null) {
            try {
                told.ended(committing ? Kind.COMMIT : Kind.ROLLBACK, committing && commitSucceeded, failure);
            } catch (RuntimeException e) {
                Operators.onErrorDropped(e, this.context);
            }
        }
        Object all = WAITERS.getAndSet(this, ENDED);
        boolean passedOn = false;
        if (all instanceof Waiter[] several) {
            for (Waiter waiter : several) {
                passedOn |= waiter.ended(failure);
            }
        } else if (all != null) {
            passedOn = ((Waiter) all).ended(failure);
        }
        if (failure != null && !passedOn) {
            Undeliverable.error("Ending a unit of work", failure, this.context);
        }
    }

    @Override
    public String toString() {
        return "UnitOfWorkEnd{" + decided() + (this.waiters == ENDED ? ", over" : "") + "}";
    }

    /** A step of the end: the commit (then the close), or the close (then the outcome). */
    private static final class Step extends OutcomeSubscriber {

        private final UnitOfWorkEnd end;

        private final boolean commit;

        /** For the close: the commit's failure, which stays the outcome. */
        @Nullable
        private final Throwable earlier;

        Step(UnitOfWorkEnd end, boolean commit, @Nullable Throwable earlier) {
            super(end.context);
            this.end = end;
            this.commit = commit;
            this.earlier = earlier;
        }

        @Override
        public void onError(Throwable error) {
            if (this.commit) {
                this.end.close(error);
            } else if (this.earlier != null) {
                if (this.earlier != error) {
                    this.earlier.addSuppressed(error);
                }
                this.end.ended(false, this.earlier);
            } else {
                this.end.ended(true, error);
            }
        }

        @Override
        public void onComplete() {
            if (this.commit) {
                this.end.close(null);
            } else {
                this.end.ended(this.earlier == null, this.earlier);
            }
        }
    }

    /** {@link #commit(Function)}, {@link #rollback()} and {@link #outcome()} ({@code how}: OPEN): one caller asking. */
    private Mono<Void> asked(int how, @Nullable Function<? super DbSession, ? extends Publisher<Void>> beforeCommit) {
        return Mono.create(sink -> {
            Caller caller = new Caller(sink);
            sink.onCancel(caller);
            if (how == OPEN || !decide(how, beforeCommit, caller)) {
                await(caller);
            }
        });
    }

    /** A caller waiting for the outcome; its cancel only detaches it. */
    private static final class Caller implements Waiter, Disposable {

        private final MonoSink<Void> sink;

        private volatile boolean cancelled;

        Caller(MonoSink<Void> sink) {
            this.sink = sink;
        }

        @Override
        public void dispose() {
            this.cancelled = true;
        }

        @Override
        public boolean ended(@Nullable Throwable error) {
            if (this.cancelled) {
                return false;
            }
            if (error != null) {
                this.sink.error(error);
            } else {
                this.sink.success();
            }
            return true;
        }
    }
}
