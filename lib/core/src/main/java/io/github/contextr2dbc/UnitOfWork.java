package io.github.contextr2dbc;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * A unit of work: the sessions, one per {@link Database}, that a request, a job or a test shares, carried
 * through the Reactor {@link Context} (never a thread-local).
 *
 * <p>The Context holds one immutable entry pointing at this object, which is mutable and thread-safe: a
 * session created deep inside any inner {@code Mono} or {@code Flux} is visible to whoever finishes the
 * unit of work. Whoever opens a unit of work ends it, through its {@link UnitOfWorkEnd} (commit then close,
 * or close, decided once): the WebFilter for requests, {@link #inNewUnitOfWork(Flux)} for jobs and parallel
 * branches, or your own code:
 *
 * <pre>{@code
 * UnitOfWorkEnd end = UnitOfWorkEnd.of(UnitOfWork.create(), null, Context.empty());
 * Mono.usingWhen(Mono.just(end), e -> work().contextWrite(e.unitOfWork().bind()),
 *         e -> e.commit(null), (e, error) -> e.rollback(), e -> Mono.fromRunnable(e::cancel));
 * }</pre>
 *
 * <p>Inside, {@link #dbSession(Database)} (import it statically) gets the session:
 *
 * <pre>{@code
 * Mono<Long> count = dbSession(main).flatMap(s -> s.sql("SELECT count(*) FROM item").one(r -> r.get(0, Long.class)));
 * }</pre>
 *
 * <p><b>Finishing order.</b> Sessions are committed (and rolled back) in a fixed order: the order in which
 * their {@link Database} handles were built, whatever order the request touched them in. There is no
 * atomicity across databases; a commit that fails after others succeeded is reported as a
 * {@link PartialCommitException} naming both sides.
 */
public final class UnitOfWork {

    private static final Class<UnitOfWork> KEY = UnitOfWork.class;

    private static final ContextSession[] NONE = new ContextSession[0];

    /** Marks a unit of work that has {@linkplain #close() ended} (compared by identity). */
    private static final ContextSession[] ENDED = new ContextSession[0];

    private static final AtomicReferenceFieldUpdater<UnitOfWork, ContextSession[]> SESSIONS =
            AtomicReferenceFieldUpdater.newUpdater(UnitOfWork.class, ContextSession[].class, "sessions");

    /**
     * The sessions, ordered by {@link Database#order()}; replaced (copy on write) when one is added, by
     * compare-and-set through {@link #SESSIONS} (a field updater, not an {@code AtomicReference}: one object
     * less per unit of work).
     */
    private volatile ContextSession[] sessions = NONE;

    /** Routing: the sessions the unit of work had when it was closed, for reading their commit LSNs. */
    private volatile ContextSession[] closedWith = NONE;

    private UnitOfWork() {
    }

    /** A new, empty unit of work, not yet in any Context; {@link #bind()} puts it there. */
    public static UnitOfWork create() {
        return new UnitOfWork();
    }

    // ---- the Context ----

    /**
     * A Context writer putting this unit of work in the Context, for {@code contextWrite}: everything
     * upstream of it runs in this unit of work.
     *
     * <p>Subscribing fails with {@link UnitOfWorkAlreadyPresentException} if the Context already holds a
     * unit of work (see {@link #bindReplacingCurrent()}).
     */
    public Function<Context, Context> bind() {
        return context -> {
            if (context.hasKey(KEY)) {
                throw new UnitOfWorkAlreadyPresentException();
            }
            return context.put(KEY, this);
        };
    }

    /** Like {@link #bind()}, but replaces a unit of work the Context already holds (that one is left as it is). */
    public Function<Context, Context> bindReplacingCurrent() {
        return context -> context.put(KEY, this);
    }

    /** The unit of work in {@code context}, if any. */
    public static Optional<UnitOfWork> find(ContextView context) {
        return context.getOrEmpty(KEY);
    }

    /**
     * The unit of work of the subscriber's Context.
     *
     * @return a cold {@link Mono}: the unit of work; error: {@link NoUnitOfWorkException} if there is
     * none; cancel: nothing to undo
     */
    public static Mono<UnitOfWork> current() {
        return Mono.deferContextual(context -> {
            UnitOfWork unitOfWork = context.getOrDefault(KEY, null);
            return unitOfWork != null ? Mono.just(unitOfWork)
                    : Mono.error(new NoUnitOfWorkException("UnitOfWork.current()"));
        });
    }

    /** Whether the subscriber's Context holds a unit of work; never errors. */
    public static Mono<Boolean> isPresent() {
        return Mono.deferContextual(context -> Mono.just(context.hasKey(KEY)));
    }

    // ---- sessions ----

    /**
     * The current unit of work's session for {@code db}, created on first request. Opens nothing: the
     * connection is acquired, and {@code BEGIN} sent, when the session's first statement runs. Every call
     * in the same unit of work, from any inner publisher, concurrent or not, returns the same session.
     *
     * @return a cold {@link Mono} of the session; error: {@link NoUnitOfWorkException} if the Context holds
     * no unit of work, {@link IllegalArgumentException} if {@code db} is null; cancel: nothing to undo
     */
    public static Mono<DbSession> dbSession(Database db) {
        return Mono.deferContextual(context -> {
            if (db == null) {
                return Mono.error(new IllegalArgumentException("dbSession(db) needs a Database"));
            }
            UnitOfWork unitOfWork = context.getOrDefault(KEY, null);
            if (unitOfWork == null) {
                return Mono.error(new NoUnitOfWorkException("dbSession(" + db.name() + ")"));
            }
            // the session now, in the deferred step (a failure is an error signal all the
            // same): no fromCallable subscription and lambda for a unit of work waiting for its connection to keep
            return Mono.just(unitOfWork.session(db));
        });
    }

    /**
     * This unit of work's session for {@code db}, created (lazily, opening nothing) if it has none yet.
     * Race-free: concurrent callers get the same session.
     *
     * @throws IllegalStateException if the unit of work has {@linkplain #close() ended}
     */
    public DbSession session(Database db) {
        return contextSession(db);
    }

    /** {@link #session(Database)}, as the implementation (for the package: no downcast needed). */
    ContextSession contextSession(Database db) {
        if (db == null) {
            throw new IllegalArgumentException("session(db) needs a Database");
        }
        for (;;) {
            ContextSession[] current = this.sessions;
            if (current == ENDED) {
                throw new IllegalStateException("This unit of work has ended (it was closed); database '" + db.name()
                        + "' cannot be used in it any more. Do the work before the unit of work finishes, or start a "
                        + "new one with UnitOfWork.inNewUnitOfWork(...)");
            }
            for (ContextSession session : current) {
                if (session.database() == db) {
                    return session;
                }
            }
            ContextSession created = new ContextSession(db);
            if (SESSIONS.compareAndSet(this, current, UnitOfWorkFinish.inserted(current, created))) {
                return created;
            }
        }
    }

    /**
     * Routing: this unit of work's session for {@code db} if it has one, without creating it; after
     * the end, the session it had.
     */
    @Nullable
    ContextSession existingSession(Database db) {
        ContextSession[] current = this.sessions;
        for (ContextSession session : current == ENDED ? this.closedWith : current) {
            if (session.database() == db) {
                return session;
            }
        }
        return null;
    }

    /** Routing: the sessions now, or those it had when it ended. */
    ContextSession[] sessionsEvenEnded() {
        ContextSession[] current = this.sessions;
        return current == ENDED ? this.closedWith : current;
    }

    /** The sessions created so far, in finishing order (empty once the unit of work has ended). */
    public List<DbSession> sessions() {
        return List.of(this.sessions);
    }

    /** Whether the unit of work has {@linkplain #close() ended}. */
    public boolean isEnded() {
        return this.sessions == ENDED;
    }

    // ---- finishing ----

    /** Like {@link #commit(Function)} with no check before committing. */
    public Mono<Void> commit() {
        return commit(null);
    }

    /**
     * Commits every session's open transaction, in the {@linkplain UnitOfWork fixed order}, and releases
     * every connection. Sessions that never ran a statement cost nothing. The unit of work stays usable:
     * a later statement opens a new transaction on a new connection.
     *
     * <p>First {@code beforeCommit}, then the hooks registered with {@link Atomic#beforeCommit(Database, Mono)},
     * run for each session in a transaction, in order; if one errors, nothing is committed: every session
     * is rolled back and released, and its error is passed on (the veto). Then the sessions commit one by
     * one; if a commit fails, the rest are rolled back. Last, the hooks registered with
     * {@link Atomic#onCommit(Database, Mono, boolean)} for the sessions that committed run, in order, each
     * in a unit of work of its own (after the commit, outside its transaction; see {@link Atomic}), even if
     * the subscriber has cancelled meanwhile, and also after a partial commit (a hook's failure is then
     * suppressed into the {@link PartialCommitException}).
     *
     * @param beforeCommit a check that may veto the commit by erroring, or null for none
     * @return a cold {@link Mono}: complete once everything is committed and released; error: the veto,
     * the commit's error unchanged if no database had committed yet, or a {@link PartialCommitException}
     * if some had (failures of later rollbacks are suppressed into the error, never lost);
     * cancel: the commit, once started, still runs to its end and releases every connection
     */
    public Mono<Void> commit(@Nullable Function<? super DbSession, ? extends Publisher<Void>> beforeCommit) {
        return Mono.defer(() -> Objects.requireNonNullElse(commitStep(beforeCommit), Mono.empty()));
    }

    /** {@link #commit(Function)} now: null if there is nothing to commit (every session dormant). */
    @Nullable
    Mono<Void> commitStep(@Nullable Function<? super DbSession, ? extends Publisher<Void>> beforeCommit) {
        return UnitOfWorkFinish.commit(this.sessions, beforeCommit);
    }

    /**
     * Rolls back every session's open transaction and releases every connection, all of them even if
     * some fail. The unit of work stays usable.
     *
     * @return a cold {@link Mono}: complete once done; error: the first failure, later ones suppressed
     * into it; cancel: the rollback, once started, still runs to its end
     */
    public Mono<Void> rollback() {
        return Mono.defer(() -> {
            ContextSession[] all = this.sessions;
            return UnitOfWorkFinish.allDormant(all) ? Mono.empty()
                    : Uncancellable.run("Rollback of", "a unit of work",
                            UnitOfWorkFinish.finishAll(all, 0, null, Finish.ROLLBACK));
        });
    }

    /**
     * Ends the unit of work: rolls back every open transaction (nothing is committed by closing),
     * releases every connection, and refuses any later session or statement in it, so that work racing
     * with the end (a statement subscribed while a cancel is under way) cannot acquire a connection nobody
     * would release. Whoever opened the unit of work closes it last, after {@link #commit()} or
     * {@link #rollback()}. Calling it again does nothing.
     *
     * @return a cold {@link Mono}: complete once every connection is released; error: the first failure,
     * later ones suppressed into it; cancel: the close, once started, still runs to its end
     */
    public Mono<Void> close() {
        return Mono.defer(() -> Objects.requireNonNullElse(closeStep(), Mono.empty()));
    }

    /** {@link #close()} now: ends the unit of work; null if no session had anything to finish. */
    @Nullable
    Mono<Void> closeStep() {
        ContextSession[] all = SESSIONS.getAndSet(this, ENDED);
        if (all == ENDED) {
            return null;
        }
        this.closedWith = all; // for routing
        return UnitOfWorkFinish.close(all);
    }

    /**
     * {@link #commit(Function) Commits} the unit of work of the subscriber's Context.
     *
     * @return as {@link #commit(Function)}; error also {@link NoUnitOfWorkException} if there is none
     */
    public static Mono<Void> commitCurrent(
            @Nullable Function<? super DbSession, ? extends Publisher<Void>> beforeCommit) {
        return current().flatMap(unitOfWork -> unitOfWork.commit(beforeCommit));
    }

    /** {@link #commit() Commits} the unit of work of the subscriber's Context; see {@link #commitCurrent(Function)}. */
    public static Mono<Void> commitCurrent() {
        return commitCurrent(null);
    }

    /**
     * {@link #rollback() Rolls back} the unit of work of the subscriber's Context.
     *
     * @return as {@link #rollback()}; error also {@link NoUnitOfWorkException} if there is none
     */
    public static Mono<Void> rollbackCurrent() {
        return current().flatMap(UnitOfWork::rollback);
    }

    /**
     * {@link #close() Closes} the unit of work of the subscriber's Context: rolls back open transactions,
     * releases every connection and ends it.
     *
     * @return as {@link #close()}; error also {@link NoUnitOfWorkException} if there is none
     */
    public static Mono<Void> closeCurrent() {
        return current().flatMap(UnitOfWork::close);
    }

    // ---- new units of work ----

    /**
     * Runs {@code work} in a new unit of work of its own, replacing any in the Context for {@code work}
     * only (the outer one is untouched). This is how jobs run, and how parallel branches get their own
     * connections.
     *
     * @return a cold {@link Flux} of {@code work}'s elements: complete commits the new unit of work, then
     * completes (a failed commit is the error); error rolls back and passes the error on (a failed rollback
     * suppressed into it); cancel rolls back. Every connection is released on every path.
     */
    public static <T> Flux<T> inNewUnitOfWork(Flux<T> work) {
        if (work == null) {
            throw new IllegalArgumentException("inNewUnitOfWork needs the work to run, e.g. Flux.defer(() -> ...)");
        }
        return new NewUnitOfWork.InFlux<>(work);
    }

    /**
     * Like {@link #inNewUnitOfWork(Flux)}, for a {@link Mono}: its value is passed on once the unit of work
     * has committed and closed.
     */
    public static <T> Mono<T> inNewUnitOfWork(Mono<T> work) {
        if (work == null) {
            throw new IllegalArgumentException("inNewUnitOfWork needs the work to run, e.g. Mono.defer(() -> ...)");
        }
        return new NewUnitOfWork.InMono<>(work);
    }

    @Override
    public String toString() {
        return "UnitOfWork" + Arrays.toString(this.sessions);
    }
}
