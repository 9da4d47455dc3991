package io.github.contextr2dbc;

import java.util.List;
import java.util.Objects;

import io.r2dbc.spi.IsolationLevel;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * Django-style atomic blocks as Reactor operators: {@code atomic(db)} makes a {@code Mono} or {@code Flux}
 * all-or-nothing on the unit of work's session for {@code db} (Django's {@code using}).
 *
 * <pre>{@code
 * import static io.github.contextr2dbc.Atomic.atomic;
 *
 * Mono<Order> placed = createOrder(cart)
 *         .flatMap(order -> reserveStock(order)              // a nested block: a savepoint
 *                 .transform(atomic(db)::wrap)
 *                 .onErrorResume(OutOfStock.class, e -> backorder(order)))
 *         .transform(atomic(db)::wrap);                      // the outermost block: a transaction
 * }</pre>
 *
 * <p><b>Nesting.</b> The outermost block is a transaction; a block nested in another on the same database
 * (nesting follows the Reactor Context, like Django's dynamic scope) is a savepoint. Nothing is opened
 * until the block's first statement: {@code BEGIN} and any pending {@code SAVEPOINT}s go out with it.
 * Savepoint names are generated, never taken from input. Blocks on one session run one after another:
 * two sibling blocks running at the same time on the same session are refused (run them in sequence, or in
 * separate units of work).
 *
 * <p><b>Signals.</b> Complete commits the transaction (outermost) or releases the savepoint (nested);
 * error rolls back (to the savepoint) and passes the error on; cancel rolls back (to the savepoint). A
 * failed rollback never hides the original error: it is added to it as suppressed. Entering and leaving a
 * block are one uncancellable pair: a block that was entered is always left, however a cancel races with
 * its start or its end, and once its commit has started, the commit and its on-commit hooks run to their
 * end whoever is still listening.
 *
 * <p><b>Failures inside a block.</b> PostgreSQL aborts the transaction at the first error; after it, any
 * further statement in the block fails at once with {@link TransactionAbortedException}, until the block
 * (or the nearest enclosing block with a savepoint) has rolled back. A block with
 * {@link #savepoint(boolean) savepoint(false)} that fails marks the enclosing transaction rollback-only
 * instead, like Django. Completing a block that is {@linkplain #setRollbackOnly(Database) rollback-only}
 * rolls it back without an error.
 *
 * <p><b>A transaction already open</b> when the outermost block starts (plain statements of the unit of
 * work ran before it) is handled by {@link #existing(Existing)}: joined by default.
 *
 * <p><b>Hooks.</b> {@link #beforeCommit(Database, Mono)} hooks run inside the transaction, just before it
 * commits. {@link #onCommit(Database, Mono, boolean)} hooks run after it has committed, outside it, as in
 * Django: each in a {@linkplain UnitOfWork#inNewUnitOfWork(Mono) unit of work of its own}, so
 * {@code dbSession(db)} works in a hook and its writes commit when the hook completes (roll back if it
 * fails). This is the same for hooks registered in an atomic block and outside any block (the unit of
 * work's own transaction): a hook never joins the transaction that is over, nor the enclosing unit of
 * work, and a nested unit of work's hooks never run in, or wait for, the outer one.
 *
 * <p>Inside a block, {@link DbSession#commit()}, {@link DbSession#rollback()} and {@link DbSession#close()}
 * are refused.
 */
public final class Atomic {

    /** What the outermost block does with a transaction that plain statements opened before it. */
    public enum Existing {

        /** Commit it first; the block runs in a new transaction. */
        COMMIT,

        /** Roll it back first; the block runs in a new transaction. */
        ROLLBACK,

        /**
         * Join it (the default): the block's transaction is the open one, so the earlier statements commit
         * or roll back with the block.
         */
        JOIN,

        /** Fail with an {@link IllegalStateException}: the caller must finish the transaction first. */
        FAIL
    }

    private final Database database;

    private final boolean savepoint;

    private final boolean durable;

    private final Existing existing;

    @Nullable
    private final IsolationLevel isolationLevel;

    @Nullable
    private final Boolean readOnly;

    private Atomic(Database database, boolean savepoint, boolean durable, Existing existing,
            @Nullable IsolationLevel isolationLevel, @Nullable Boolean readOnly) {
        this.database = database;
        this.savepoint = savepoint;
        this.durable = durable;
        this.existing = existing;
        this.isolationLevel = isolationLevel;
        this.readOnly = readOnly;
    }

    /**
     * An atomic block on {@code database} with Django's defaults: savepoint when nested, not durable,
     * joining an open transaction.
     *
     * @throws IllegalArgumentException if {@code database} is null
     */
    public static Atomic atomic(Database database) {
        if (database == null) {
            throw new IllegalArgumentException("atomic(db) needs the Database the block runs on");
        }
        return new Atomic(database, true, false, Existing.JOIN, null, null);
    }

    /** The database the block runs on (Django's {@code using}). */
    public Database database() {
        return this.database;
    }

    /**
     * Whether a nested block creates a savepoint (default {@code true}). Without one, a failure inside the
     * block marks the enclosing transaction rollback-only: the nearest enclosing block with a savepoint
     * (or the outermost) then rolls back. As in Django, a block entered while the transaction will roll back
     * anyway (an enclosing block is {@linkplain #setRollbackOnly(Database) marked}, or a statement failed)
     * gets no savepoint either.
     */
    public Atomic savepoint(boolean savepoint) {
        return new Atomic(this.database, savepoint, this.durable, this.existing, this.isolationLevel, this.readOnly);
    }

    /**
     * Whether the block must be the outermost on its database (default {@code false}): a durable block
     * nested in another fails with {@link IllegalStateException} before running, so that its commit is
     * known to be final.
     */
    public Atomic durable(boolean durable) {
        return new Atomic(this.database, this.savepoint, durable, this.existing, this.isolationLevel, this.readOnly);
    }

    /** What the outermost block does with a transaction already open (default {@link Existing#JOIN}). */
    public Atomic existing(Existing existing) {
        return new Atomic(this.database, this.savepoint, this.durable, Objects.requireNonNull(existing, "existing"),
                this.isolationLevel, this.readOnly);
    }

    /**
     * The isolation level of the transaction the outermost block begins. A nested block, or one joining an
     * open transaction, with an isolation level fails with {@link IllegalStateException}: it cannot
     * change a running transaction.
     */
    public Atomic isolationLevel(IsolationLevel isolationLevel) {
        return new Atomic(this.database, this.savepoint, this.durable, this.existing,
                Objects.requireNonNull(isolationLevel, "isolationLevel"), this.readOnly);
    }

    /** Whether the transaction the outermost block begins is read-only; same rules as {@link #isolationLevel}. */
    public Atomic readOnly(boolean readOnly) {
        return new Atomic(this.database, this.savepoint, this.durable, this.existing, this.isolationLevel, readOnly);
    }

    /**
     * {@code body} as an atomic block, e.g. {@code mono.transform(atomic(db)::wrap)}.
     *
     * @return a cold {@link Mono}: complete commits (outermost) or releases the savepoint, then emits
     * {@code body}'s value (a failed commit is the error, unchanged); error rolls back (to the savepoint)
     * and passes the error on; cancel rolls back (to the savepoint), or, if the commit has started,
     * lets it and its on-commit hooks finish. A cancel while the body runs queues the rollback on the
     * session before it returns, so what the caller runs next on the session comes after it; a block
     * entered while another that has ended is still being left waits for it. Error also
     * {@link NoUnitOfWorkException} without a unit of work, {@link IllegalStateException} for a
     * misplaced durable block, options on a nested block, {@link Existing#FAIL}, or a sibling block
     * running at the same time on the session (one that has ended and is being left is waited for)
     */
    public <T> Mono<T> wrap(Mono<T> body) {
        Objects.requireNonNull(body, "body");
        return new AtomicRun.InMono<>(this, body);
    }

    /**
     * {@code body} as an atomic block; the rows stream inside it. Signals as {@link #wrap(Mono)}, the commit after the
     * last element.
     */
    public <T> Flux<T> wrap(Flux<T> body) {
        Objects.requireNonNull(body, "body");
        return new AtomicRun.InFlux<>(this, body);
    }

    // ---- the innermost block's state and hooks ----

    /**
     * Marks the innermost atomic block on {@code db} rollback-only: when it completes, it rolls back (to its
     * savepoint, or the whole transaction if it is the outermost) without an error; a nested block without a
     * savepoint passes the mark on to the block enclosing it (Django's {@code set_rollback(True)}). The mark
     * belongs to the block around the caller (found in the Context) and ends only with it: a block nested in
     * it that completes, fails or is cancelled, before or after the mark, never clears it. Does not throw.
     *
     * @return a cold {@link Mono}: complete once marked; error: {@link IllegalStateException} outside any
     * atomic block on {@code db}, {@link NoUnitOfWorkException} without a unit of work
     */
    public static Mono<Void> setRollbackOnly(Database db) {
        return Mono.deferContextual(context -> {
            ContextSession session = sessionIn(context, db, "setRollbackOnly(" + db.name() + ")");
            AtomicFrame frame = frameIn(context, db, session);
            if (frame == null) {
                return Mono.error(new IllegalStateException("setRollbackOnly(" + db.name() + ") works inside an "
                        + "atomic block only; outside one, roll back with DbSession.rollback()"));
            }
            frame.rollbackOnly = true;
            return Mono.empty();
        });
    }

    /**
     * Whether the work of the innermost atomic block on {@code db} will be rolled back: it or a block
     * enclosing it is marked {@linkplain #setRollbackOnly(Database) rollback-only}, or a statement failed and
     * the transaction is aborted.
     *
     * @return a cold {@link Mono} of the answer; {@code false} outside a block; error:
     * {@link NoUnitOfWorkException} without a unit of work
     */
    public static Mono<Boolean> isRollbackOnly(Database db) {
        return Mono.deferContextual(context -> {
            ContextSession session = sessionIn(context, db, "isRollbackOnly(" + db.name() + ")");
            AtomicFrame frame = frameIn(context, db, session);
            return Mono.just(frame != null && session.isRollbackOnly(frame));
        });
    }

    /**
     * Registers {@code hook} to run just before the outermost commit of {@code db} (the outermost atomic
     * block's, or the unit of work's); a failing hook vetoes the commit: the transaction rolls back and the
     * hook's error is the error. Dropped if its block rolls back first. Outside any transaction it runs
     * at once.
     *
     * @return a cold {@link Mono}: complete once registered (or, run at once, when {@code hook} completes)
     */
    public static Mono<Void> beforeCommit(Database db, Mono<Void> hook) {
        Objects.requireNonNull(hook, "hook");
        return Mono.deferContextual(context -> {
            ContextSession session = sessionIn(context, db, "beforeCommit(" + db.name() + ")");
            AtomicFrame frame = frameIn(context, db, session);
            if (frame == null) {
                return session.hookOutsideBlocks(hooks -> hooks.addBeforeCommit(hook), hook);
            }
            frame.hooks.addBeforeCommit(hook);
            return Mono.empty();
        });
    }

    /** {@link #onCommit(Database, Mono, boolean)}, not robust. */
    public static Mono<Void> onCommit(Database db, Mono<Void> hook) {
        return onCommit(db, hook, false);
    }

    /**
     * Registers {@code hook} to run after the outermost commit of {@code db} (the outermost atomic block's,
     * or the unit of work's), in registration order; it is dropped if its savepoint or its transaction
     * rolls back. Each hook runs outside the transaction that committed, in a unit of work of its own
     * ({@code dbSession(db)} works in it; its writes commit when it completes, roll back if it fails). Outside
     * any transaction it runs at once, the same way. A robust hook's failure is logged and the next hooks
     * run; otherwise the first failure stops the rest and becomes the error of the commit (the data is
     * committed all the same). Hooks run even if the commit's subscriber has cancelled meanwhile.
     *
     * @return a cold {@link Mono}: complete once registered (or, run at once, when {@code hook} and its unit
     * of work complete); error: {@link NoUnitOfWorkException} without a unit of work, or the hook's error
     * when run at once
     */
    public static Mono<Void> onCommit(Database db, Mono<Void> hook, boolean robust) {
        Objects.requireNonNull(hook, "hook");
        // test-support seam: a captured hook is registered wrapped (see Database#onCommitHooks)
        Mono<Void> registered = db.registeredOnCommitHook(hook);
        return Mono.deferContextual(context -> {
            ContextSession session = sessionIn(context, db, "onCommit(" + db.name() + ")");
            AtomicFrame frame = frameIn(context, db, session);
            if (frame == null) {
                return session.hookOutsideBlocks(hooks -> hooks.addOnCommit(registered, robust),
                        Mono.defer(() -> CommitHooks.runOnCommit(
                                List.of(new CommitHooks.OnCommit(registered, robust)))));
            }
            frame.hooks.addOnCommit(registered, robust);
            return Mono.empty();
        });
    }

    // ---- package-private: read by the session ----

    boolean isSavepoint() {
        return this.savepoint;
    }

    boolean isDurable() {
        return this.durable;
    }

    Existing existingPolicy() {
        return this.existing;
    }

    boolean changesOptions() {
        return this.isolationLevel != null || this.readOnly != null;
    }

    SessionOptions applyTo(SessionOptions options) {
        SessionOptions.Builder builder = options.toBuilder();
        if (this.isolationLevel != null) {
            builder.isolationLevel(this.isolationLevel);
        }
        if (this.readOnly != null) {
            builder.readOnly(this.readOnly);
        }
        return builder.build();
    }

    /**
     * The innermost block on {@code session} in {@code context}, or null. A block of another session (the
     * Context of a nested unit of work, or of an on-commit hook, still holds the enclosing one's) is not an
     * enclosing block here.
     */
    @Nullable
    static AtomicFrame frameIn(ContextView context, Database db, ContextSession session) {
        AtomicFrame frame = context.getOrDefault(db.atomicKey(), null);
        return frame != null && frame.session == session ? frame : null;
    }

    private static ContextSession sessionIn(ContextView context, Database db, String what) {
        UnitOfWork unitOfWork = UnitOfWork.find(context).orElseThrow(() -> new NoUnitOfWorkException(what));
        return unitOfWork.contextSession(db);
    }
}
