package io.github.contextr2dbc;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.Result;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.core.publisher.Sinks;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * The {@link DbSession} implementation: a lazily leased connection, its transaction, and the atomic
 * blocks running on it.
 *
 * <p>Every operation runs as one task of the session's {@link SerialQueue}, so the state below is only
 * read and written by one task at a time; the fields are volatile because consecutive tasks may run on
 * different threads, and for the snapshot queries. Finishing operations (commit, rollback, release, the
 * end of an atomic block) are {@link Uncancellable}: once asked for, they happen. Hooks run outside the
 * queue's tasks: before-commit hooks can run statements in the transaction they check; on-commit hooks run
 * each in a unit of work of their own (see {@link CommitHooks#runOnCommit}).
 */
final class ContextSession implements DbSession {

    private static final Logger log = LoggerFactory.getLogger(ContextSession.class);

    private static final AtomicLong SAVEPOINTS = new AtomicLong();

    private final Database database;

    private final SerialQueue queue = new SerialQueue();

    /** Hooks registered outside any atomic block, for the session's own transaction. */
    private final CommitHooks hooks = new CommitHooks();

    private volatile SessionOptions options;

    private volatile Database.@Nullable Lease lease;

    private volatile boolean transactionOpen;

    /**
     * Completes when the last {@code BEGIN} has been answered, whatever the answer. {@code BEGIN} is sent
     * together with the transaction's first statement (pipelined, without waiting for its answer) and runs
     * to its end whatever happens to that statement; finishing steps wait for it, so that the driver knows
     * the transaction is open.
     */
    private volatile Mono<Void> begun = Mono.empty();

    /** The last {@code BEGIN} has been answered (or none was sent): {@link #begun} need not be awaited. */
    private volatile boolean beginAnswered = true;

    /** The failure of the open transaction's {@code BEGIN}, if it failed. */
    @Nullable
    private volatile Throwable beginFailure;

    /** The first error that aborted the open transaction; cleared by a rollback (to a savepoint). */
    @Nullable
    private volatile Throwable abortCause;

    /** The innermost running atomic block, or null. */
    @Nullable
    private volatile AtomicFrame activeFrame;

    /** A block with a savepoint was entered and its {@code SAVEPOINT} is not sent yet. */
    private volatile boolean savepointsPending;

    /** On-commit hooks of the last successful commit of the session's own transaction, for the unit of work to run. */
    private volatile List<CommitHooks.OnCommit> committedHooks = List.of();

    /** The unit of work has ended: no new connection is acquired for this session. */
    private volatile boolean ended;

    /**
     * Options for the next transaction only, set by the session-aware ConnectionFactory's
     * {@code beginTransaction(definition)} (see {@link #openNextTransactionWith}); taken by that transaction's
     * {@code BEGIN}.
     */
    @Nullable
    private volatile SessionOptions nextTransactionOptions;

    // ---- routing (issue 13) ----

    /** A statement that may write ran (or was sent) on this session, in any of its transactions. Never cleared. */
    private volatile boolean mayHaveWritten;

    /** The WAL position read with the last commit of a transaction that may have written, or -1. */
    private volatile long commitLsn = -1;

    ContextSession(Database database) {
        this.database = database;
        this.options = database.sessionOptions();
    }

    @Override
    public Database database() {
        return this.database;
    }

    @Override
    public SqlStatement sql(String sql) {
        if (sql == null || sql.isBlank()) {
            throw new IllegalArgumentException("sql(...) needs a statement, e.g. \"SELECT * FROM item WHERE id = $1\"");
        }
        return new DefaultSqlStatement(this, sql);
    }

    @Override
    public <T> Flux<T> withConnection(Function<? super Connection, ? extends Publisher<T>> work) {
        // one task of the queue; a session without a connection acquires it first, in the same task (see
        // connection(): uncancellable, and the turn is held until the connection is stored, so a task queued
        // behind this one — a rollback on cancel, say — always sees the connection and releases it)
        return this.queue.run(() -> inTransaction(work));
    }

    @Override
    public Mono<Void> commit() {
        return Mono.defer(() -> {
            if (this.activeFrame != null) {
                return Mono.error(insideBlock("commit()"));
            }
            return commitWithHooks(Mono.empty());
        });
    }

    @Override
    public Mono<Void> rollback() {
        return Mono.defer(() -> {
            if (this.activeFrame != null) {
                return Mono.error(insideBlock("rollback()"));
            }
            return Uncancellable.run("Rollback on", this.database.name(),
                    this.queue.run(() -> rollbackNow().then()).then());
        });
    }

    @Override
    public Mono<Void> close() {
        return Mono.defer(() -> {
            if (this.activeFrame != null) {
                return Mono.error(insideBlock("close()"));
            }
            return finish(false, false).then();
        });
    }

    /**
     * The session's before-commit hooks and {@code extraCheck}, then the commit, then its on-commit hooks.
     * A failing hook or check vetoes: the transaction is rolled back and the failure is the error.
     */
    Mono<Void> commitWithHooks(Mono<Void> extraCheck) {
        Mono<Void> checks = this.transactionOpen ? extraCheck.then(this.hooks.runBeforeCommit()) : Mono.empty();
        return Uncancellable.run("Commit on", this.database.name(), checks
                .onErrorResume(veto -> this.queue.run(() -> rollbackNow()).then()
                        .onErrorResume(SuppressedFailure.into(veto))
                        .then(Mono.error(veto)))
                .then(this.queue.run(() -> commitNow()).then())
                .then(Mono.defer(() -> CommitHooks.runOnCommit(takeCommittedHooks()))));
    }

    /**
     * Commits (or rolls back) the open transaction, then releases the connection, as one uncancellable
     * step; with {@code end}, the session also refuses to connect again (its unit of work has ended).
     * Hooks are not run here (see {@link #runBeforeCommitHooks()} and {@link #takeCommittedHooks()}).
     * The connection is released on every path; a release failure is suppressed into an earlier failure.
     *
     * @return a {@link Mono} of whether a transaction was open (and so was committed or rolled back)
     */
    Mono<Boolean> finish(boolean commit, boolean end) {
        return Uncancellable.run(commit ? "Commit and release on" : "Rollback and release on", this.database.name(),
                finishNow(commit, end));
    }

    /** {@link #finish(boolean, boolean)} for a caller that is itself uncancellable. */
    Mono<Boolean> finishNow(boolean commit, boolean end) {
        return this.queue.runMono(() -> {
            if (end) {
                this.ended = true;
            }
            Database.Lease current = this.lease;
            if (commit && current != null && this.transactionOpen && this.beginAnswered && this.abortCause == null
                    && this.activeFrame == null) {
                return commitAndRelease(current);
            }
            return always(commit ? commitNow() : rollbackNow(), this::releaseNow);
        });
    }

    /**
     * The common end of a session: an open transaction whose {@code BEGIN} was answered, with no error noted
     * and outside any atomic block, is committed and the connection given back whatever the commit did (a
     * release failure suppressed into a commit failure). The same as {@code always(commitNow(), releaseNow)}
     * in fewer steps.
     */
    private Mono<Boolean> commitAndRelease(Database.Lease current) {
        this.transactionOpen = false;
        this.lease = null;
        this.savepointsPending = false;
        return commitTransaction(current.connection)
                .onErrorResume(failure -> {
                    this.hooks.clear();
                    return current.release().onErrorResume(SuppressedFailure.into(failure)).then(Mono.error(failure));
                })
                .then(Mono.defer(() -> {
                    this.committedHooks = this.hooks.takeOnCommit();
                    return current.release();
                }))
                .thenReturn(Boolean.TRUE);
    }

    /** Whether there is nothing to finish: no connection, no transaction, no hooks, no operation running or waiting. */
    boolean isDormant() {
        return this.lease == null && !this.transactionOpen && this.queue.isIdle() && this.hooks.isEmpty()
                && this.committedHooks.isEmpty();
    }

    /**
     * Ends a dormant session in place, without queueing anything.
     *
     * @return false if the session was not dormant (it must then be {@linkplain #finish finished}); an
     * operation racing with this call either sees the end, or keeps the queue busy and so is seen here
     */
    boolean endIfDormant() {
        if (!isDormant()) {
            return false;
        }
        this.ended = true;
        return isDormant();
    }

    /**
     * Whether any hook is registered for the session's own transaction or kept from its last commit. No hook
     * can be added while the session commits, so a false answer before the commit holds after it.
     */
    boolean hasHooks() {
        return !this.hooks.isEmpty() || !this.committedHooks.isEmpty();
    }

    boolean hasBeforeCommitHooks() {
        return this.hooks.hasBeforeCommit();
    }

    /** The before-commit hooks of the session's own transaction (outside atomic blocks), taken and run. */
    Mono<Void> runBeforeCommitHooks() {
        return this.hooks.runBeforeCommit();
    }

    /** The on-commit hooks of the last commit of the session's own transaction, taken (each runs once). */
    List<CommitHooks.OnCommit> takeCommittedHooks() {
        List<CommitHooks.OnCommit> taken = this.committedHooks;
        this.committedHooks = List.of();
        return taken;
    }

    Database.@Nullable Lease currentLease() {
        return this.lease;
    }

    // ---- routing (issue 13): read-your-own-writes; see Routing and StatementGuard ----

    boolean mayHaveWritten() {
        return this.mayHaveWritten;
    }

    void markMayHaveWritten() {
        this.mayHaveWritten = true;
    }

    /** The WAL position read with this session's last commit after a write, or -1 (see {@link CommitLsn}). */
    long commitLsn() {
        return this.commitLsn;
    }

    /**
     * Routing (issue 13): commits the open transaction. On a primary with replicas, after a statement that may
     * have written, {@code COMMIT} travels with a read of the WAL position in one round trip ({@link CommitLsn}).
     */
    private Mono<Void> commitTransaction(Connection connection) {
        if (!this.mayHaveWritten || !this.database.hasReplicas()) {
            return Mono.from(connection.commitTransaction());
        }
        return CommitLsn.commit(connection).doOnNext(lsn -> this.commitLsn = lsn).then();
    }

    @Override
    public boolean isConnected() {
        return this.lease != null;
    }

    @Override
    public boolean inTransaction() {
        return this.transactionOpen;
    }

    @Override
    public SessionOptions options() {
        return this.options;
    }

    @Override
    public DbSession options(SessionOptions options) {
        if (options == null) {
            throw new IllegalArgumentException("options must not be null; use SessionOptions.DEFAULTS");
        }
        if (this.transactionOpen) {
            throw new IllegalStateException("A transaction is open on database '" + this.database.name()
                    + "': session options apply when a transaction begins. Set them before the first statement, "
                    + "or commit/roll back first.");
        }
        this.options = options;
        return this;
    }

    @Override
    public String toString() {
        return "DbSession{" + this.database.name() + (this.lease != null ? ", connected" : "")
                + (this.transactionOpen ? ", in transaction" : "") + (this.activeFrame != null ? ", in atomic block" : "")
                + "}";
    }

    // ---- the session-aware ConnectionFactory's beginTransaction(definition) (see SessionConnection) ----

    /**
     * One operation of the session: if no transaction is open, the next one opens with {@code options} (that
     * one only: its {@code BEGIN} takes them, later transactions use the session's options again).
     *
     * @return a {@link Mono} of true if the options were stored, false if a transaction is open (nothing changed)
     */
    Mono<Boolean> openNextTransactionWith(SessionOptions options) {
        return this.queue.runMono(() -> {
            if (this.transactionOpen) {
                return Mono.just(false);
            }
            this.nextTransactionOptions = options;
            return Mono.just(true);
        });
    }

    /** One operation of the session: forgets {@code options} stored by {@link #openNextTransactionWith} if no BEGIN took them. */
    Mono<Void> forgetNextTransactionOptions(SessionOptions options) {
        return this.queue.runMono(() -> {
            if (this.nextTransactionOptions == options) {
                this.nextTransactionOptions = null;
            }
            return Mono.empty();
        });
    }

    // ---- atomic blocks (see Atomic) ----

    /**
     * Registers a hook outside any atomic block: in the session's own transaction if one is open, else runs
     * {@code runAtOnce}. Whether a transaction is open is decided after every operation queued before (a
     * rollback queued by a cancel, say, may still have to end it): at once if the queue is idle, else in a
     * turn of the queue (the hook itself runs outside it).
     */
    Mono<Void> hookOutsideBlocks(Consumer<CommitHooks> register, Mono<Void> runAtOnce) {
        if (this.queue.isIdle()) {
            if (!this.transactionOpen) {
                return runAtOnce;
            }
            register.accept(this.hooks);
            return Mono.empty();
        }
        return this.queue.runMono(() -> {
            if (!this.transactionOpen) {
                return Mono.just(Boolean.TRUE);
            }
            register.accept(this.hooks);
            return Mono.<Boolean>empty();
        }).flatMap(runNow -> runAtOnce);
    }

    /**
     * Whether the work of {@code frame} will be rolled back: the transaction is aborted, or {@code frame} or
     * a block enclosing it is {@linkplain AtomicFrame#rollbackOnly marked}.
     */
    boolean isRollbackOnly(AtomicFrame frame) {
        if (this.abortCause != null) {
            return true;
        }
        for (AtomicFrame marked = frame; marked != null; marked = marked.parent) {
            if (marked.rollbackOnly) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code frame} must roll back when it completes: marked itself, or the transaction is aborted. */
    private boolean mustRollBack(AtomicFrame frame) {
        return frame.rollbackOnly || this.abortCause != null;
    }

    /**
     * Starts an atomic block nested in {@code parent} (null: outermost). Subscribe at once (the checks are
     * made on the call), to the end, never cancelling: the block is entered in one turn of the queue, and
     * in that same turn {@code claim} is asked whether anyone is still there to run it. If not (the block
     * was cancelled meanwhile), the block is left again before the turn ends, so that no later operation
     * ever sees it running.
     *
     * @return a {@link Mono} of the running block, or empty if {@code claim} refused it (it was entered and
     * left); error: {@link BlockLeaving} if a block that has ended is still in the way (enter again when it
     * has been left), the block may not start here (nothing was changed), or the transaction already open
     * could not be committed or rolled back first ({@link Atomic.Existing})
     */
    Mono<AtomicFrame> enterBlock(Atomic block, @Nullable AtomicFrame parent, Predicate<AtomicFrame> claim) {
        if (parent != null && block.isDurable()) {
            return Mono.error(new IllegalStateException("A durable atomic block on database '" + this.database.name()
                    + "' cannot be nested in another atomic block on it: its commit would not be final. Run it "
                    + "outside any block, or drop durable(true)."));
        }
        if (parent != null && block.changesOptions()) {
            return Mono.error(new IllegalStateException("Only the outermost atomic block on database '"
                    + this.database.name() + "' can set the isolation level or read-only: a nested block runs in "
                    + "its enclosing transaction."));
        }
        @Nullable Mono<Void> before = null;
        if (parent == null && this.transactionOpen && this.activeFrame == null) {
            switch (block.existingPolicy()) {
                case COMMIT:
                    before = commitWithHooks(Mono.empty());
                    break;
                case ROLLBACK:
                    before = Uncancellable.run("Rollback on", this.database.name(),
                            this.queue.run(() -> rollbackNow()).then());
                    break;
                case FAIL:
                    return Mono.error(new IllegalStateException("A transaction is already open on database '"
                            + this.database.name() + "' (statements ran before this atomic block). Finish it "
                            + "first, or choose existing(COMMIT | ROLLBACK | JOIN) for the block."));
                case JOIN:
                default:
                    if (block.changesOptions()) {
                        return Mono.error(new IllegalStateException("This atomic block joins the transaction "
                                + "already open on database '" + this.database.name() + "', so it cannot set "
                                + "the isolation level or read-only. Use existing(COMMIT) or existing(ROLLBACK) "
                                + "to start a new transaction."));
                    }
                    break;
            }
        }
        Mono<AtomicFrame> enter = this.queue.runMono(() -> {
            AtomicFrame inTheWay = this.activeFrame;
            if (inTheWay != parent && inTheWay != null && inTheWay.leaving) {
                // a block that has ended and is about to be left (its exit not queued yet): wait for it
                return Mono.error(new BlockLeaving(inTheWay.whenLeft()));
            }
            AtomicFrame frame;
            try {
                frame = push(block, parent);
            } catch (IllegalStateException refused) {
                return Mono.error(refused);
            }
            if (claim.test(frame)) {
                return Mono.just(frame);
            }
            frame.exited = true; // nobody will run or exit it: leave it in this same turn
            return popFailed(frame).then(Mono.empty());
        });
        return before == null ? enter : before.then(enter);
    }

    /**
     * Not an error: the block could not be entered yet because an ended block is still being left; enter
     * again once {@link #left} completes.
     */
    static final class BlockLeaving extends RuntimeException {

        private static final long serialVersionUID = 1L;

        final transient Mono<Void> left;

        BlockLeaving(Mono<Void> left) {
            super("an atomic block that has ended is being left", null, false, false);
            this.left = left;
        }
    }

    private AtomicFrame push(Atomic block, @Nullable AtomicFrame parent) {
        if (this.activeFrame != parent) {
            throw new IllegalStateException("Another atomic block is running on database '" + this.database.name()
                    + "' in this unit of work at the same time. Blocks on one session run one after another: chain "
                    + "them (concatMap/then), or give parallel branches their own units of work "
                    + "(UnitOfWork.inNewUnitOfWork).");
        }
        // as in Django (Atomic.__enter__), a block entered while the transaction will roll back anyway (an
        // enclosing block is marked, or a statement failed) gets no savepoint: a failure inside it is not rolled
        // back to a savepoint and forgotten, it stays the enclosing block's
        String savepoint = parent != null && block.isSavepoint() && !isRollbackOnly(parent)
                ? "context_r2dbc_sp_" + SAVEPOINTS.incrementAndGet() : null;
        AtomicFrame frame = new AtomicFrame(this, parent, block, savepoint);
        if (parent == null) {
            if (this.transactionOpen) {
                frame.hooks.adopt(this.hooks); // joined: the earlier hooks share the block's fate
            } else if (block.changesOptions()) {
                frame.previousOptions = this.options;
                this.options = block.applyTo(this.options);
            }
        }
        if (savepoint != null) {
            this.savepointsPending = true;
        }
        this.activeFrame = frame;
        return frame;
    }

    /**
     * Ends a block: on success ({@code failed} false) releases its savepoint or, for the outermost, runs the
     * before-commit hooks, commits and then runs the on-commit hooks (see {@link CommitHooks#runOnCommit});
     * otherwise rolls back (to the savepoint). Runs once per block. Subscribe at once, to the end, never
     * cancelling: once the commit has started, its on-commit hooks run whoever is still listening.
     *
     * @return a {@link Mono}: complete once ended; error: the commit's (or a veto's, or a hook's) failure,
     * or the failure of the rollback (for the caller to add to the block's own error as suppressed)
     */
    Mono<Void> exitBlock(AtomicFrame frame, boolean failed) {
        if (frame.exited) {
            return Mono.empty();
        }
        frame.exited = true;
        if (failed) {
            return this.queue.runMono(() -> popFailed(frame));
        }
        if (!frame.isOutermost() || mustRollBack(frame)) {
            return this.queue.runMono(() -> popCompleted(frame));
        }
        Mono<Void> commit;
        if (!frame.hooks.hasBeforeCommit()) {
            // the common case: nothing to check before the commit
            commit = this.queue.runMono(() -> popCompleted(frame));
        } else {
            commit = frame.hooks.runBeforeCommit()
                    .onErrorResume(veto -> this.queue.runMono(() -> popFailed(frame))
                            .onErrorResume(SuppressedFailure.into(veto))
                            .then(Mono.error(veto)))
                    .then(this.queue.runMono(() -> popCompleted(frame)));
        }
        return frame.hooks.isEmpty() ? commit : commit.then(Mono.defer(() -> CommitHooks.runOnCommit(frame.afterCommit)));
    }

    /** The block completed: release its savepoint, or commit (outermost); rolls back if marked rollback-only. */
    private Mono<Void> popCompleted(AtomicFrame frame) {
        return Mono.defer(() -> {
            if (!isRunning(frame)) {
                // an enclosing block's exit (after a cancel that raced with this block's end) has left it already
                frame.hooks.clear();
                return Mono.empty();
            }
            if (this.activeFrame != frame) {
                return popFailed(frame).then(Mono.error(new IllegalStateException("An atomic block on database '"
                        + this.database.name() + "' completed while a block nested in it was still running; it was "
                        + "rolled back. Let nested blocks finish (or fail) before the enclosing block completes.")));
            }
            pop(frame);
            boolean rollback = mustRollBack(frame);
            if (frame.isOutermost()) {
                if (rollback) {
                    frame.hooks.clear();
                    return rollbackNow().then();
                }
                frame.afterCommit = frame.hooks.takeOnCommit();
                return commitNow().then();
            }
            if (rollback) {
                return rollbackBlock(frame);
            }
            frame.parent.hooks.adopt(frame.hooks);
            if (frame.savepoint == null || !frame.savepointCreated) {
                return Mono.empty();
            }
            Connection connection = this.lease.connection;
            return statement(connection, "RELEASE SAVEPOINT " + frame.savepoint)
                    .onErrorResume(failure -> rollbackToSavepoint(connection, frame.savepoint)
                            .onErrorResume(SuppressedFailure.into(failure))
                            .then(Mono.error(failure)));
        });
    }

    /** The block failed or was cancelled: roll back to its savepoint, mark the enclosing block, or roll back. */
    private Mono<Void> popFailed(AtomicFrame frame) {
        return Mono.defer(() -> {
            if (!isRunning(frame)) {
                frame.hooks.clear();
                return Mono.empty(); // left already by an enclosing block's exit, which rolled it back too
            }
            pop(frame); // blocks nested in it and still running (their exit comes later) are left with it
            if (frame.isOutermost()) {
                frame.hooks.clear();
                return rollbackNow().then();
            }
            return rollbackBlock(frame);
        });
    }

    private Mono<Void> rollbackBlock(AtomicFrame frame) {
        if (frame.savepoint == null) {
            // no savepoint of its own: the enclosing block must roll back (Django's needs_rollback)
            frame.parent.rollbackOnly = true;
            frame.parent.hooks.adopt(frame.hooks);
            return Mono.empty();
        }
        frame.hooks.clear();
        // the block's own mark ends with it; a mark on an enclosing block stays there (its frame holds it)
        if (!frame.savepointCreated) {
            return Mono.empty();
        }
        this.abortCause = null;
        Connection connection = this.lease.connection;
        return rollbackToSavepoint(connection, frame.savepoint)
                .then(statement(connection, "RELEASE SAVEPOINT " + frame.savepoint));
    }

    /**
     * Whether {@code frame} is the running block or encloses it; false once it has been left, possibly by
     * the exit of an enclosing block that came first (a cancel racing with the end of a nested block).
     */
    private boolean isRunning(AtomicFrame frame) {
        for (AtomicFrame running = this.activeFrame; running != null; running = running.parent) {
            if (running == frame) {
                return true;
            }
        }
        return false;
    }

    private void pop(AtomicFrame frame) {
        for (AtomicFrame left = this.activeFrame; left != null && left != frame.parent; left = left.parent) {
            left.markLeft(); // the block, and any nested in it left with it
        }
        this.activeFrame = frame.parent;
        if (frame.isOutermost() && frame.previousOptions != null) {
            this.options = frame.previousOptions;
        }
    }

    private IllegalStateException insideBlock(String what) {
        return new IllegalStateException(what + " is refused inside an atomic block on database '" + this.database.name()
                + "': the block commits or rolls back when it ends. Let it complete, fail it with an error, or mark it "
                + "with Atomic.setRollbackOnly(db).");
    }

    // ---- steps; each runs inside one task of the queue ----

    /**
     * Acquires the session's connection (it has none) and stores it. The acquisition finishes (and stores
     * the connection) even if the statement is cancelled, and the operation's turn is held until then, so
     * that the session's next operation sees the connection and releases it.
     */
    private Mono<Connection> connection() {
        if (this.ended) {
            return Mono.error(new IllegalStateException("The unit of work of this session of database '"
                    + this.database.name() + "' has ended: run statements before it finishes, or start a new "
                    + "one (UnitOfWork.inNewUnitOfWork)"));
        }
        SerialQueue.Hold hold = this.queue.holdTurn();
        Mono<Database.Lease> acquisition = this.database.leaseForSession();
        return new Mono<Connection>() {
            @Override
            public void subscribe(CoreSubscriber<? super Connection> actual) {
                Connecting connecting = new Connecting(actual, hold);
                actual.onSubscribe(connecting);
                acquisition.subscribe(connecting);
            }
        };
    }

    /**
     * Subscribes the acquisition without ever cancelling it; on its outcome stores the lease and ends the
     * hold on the turn, then relays the connection (or error) to the statement unless that has cancelled
     * (a failure nobody is left to receive is logged).
     */
    private final class Connecting extends Operators.MonoSubscriber<Database.Lease, Connection> {

        private final SerialQueue.Hold hold;

        private Database.@Nullable Lease leased;

        Connecting(CoreSubscriber<? super Connection> actual, SerialQueue.Hold hold) {
            super(actual);
            this.hold = hold;
        }

        @Override
        public void onSubscribe(Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Database.Lease lease) {
            this.leased = lease;
        }

        @Override
        public void onError(Throwable error) {
            this.hold.release();
            if (isCancelled()) {
                log.warn("Connecting a session of {} failed after its statement had been cancelled", database.name(),
                        error);
                return;
            }
            this.actual.onError(error);
        }

        @Override
        public void onComplete() {
            Database.Lease lease = this.leased;
            if (lease == null) {
                this.hold.release();
                this.actual.onError(new IllegalStateException("The pool of database '" + database.name()
                        + "' completed without a connection"));
                return;
            }
            ContextSession.this.lease = lease;
            this.hold.release();
            complete(lease.connection);
        }
    }

    /**
     * Runs {@code work} on the connection in the open transaction. If none is open, {@code BEGIN} goes out
     * first and {@code work}'s statement right behind it, without waiting for the answer: the driver keeps
     * the order, so this saves a round trip. Pending savepoints are created first.
     */
    private <T> Flux<T> inTransaction(Function<? super Connection, ? extends Publisher<T>> work) {
        return Flux.deferContextual(context -> {
            Throwable aborted = this.abortCause;
            if (this.transactionOpen && aborted != null) {
                return Flux.error(TransactionAbortedException.statementRefused(this.database.name(),
                        this.activeFrame != null, aborted));
            }
            Database.Lease current = this.lease;
            if (current != null) {
                return onConnection(current.connection, work, context);
            }
            return connection().flatMapMany(connection -> onConnection(connection, work, context));
        });
    }

    private <T> Flux<T> onConnection(Connection connection, Function<? super Connection, ? extends Publisher<T>> work,
            ContextView context) {
        if (!this.transactionOpen) {
            // BEGIN's answer comes before the statement's; should it fail, that failure is the statement's error
            begin(connection, context);
        }
        if (this.savepointsPending) {
            createSavepoints(connection, context);
        }
        return Flux.from(work.apply(connection)).onErrorMap(this::statementFailed);
    }

    /** A statement's (or savepoint's) failure, noted; if the transaction's BEGIN failed, that is the error. */
    private Throwable statementFailed(Throwable error) {
        Throwable beginFailure = this.beginFailure;
        if (beginFailure != null) {
            return beginFailure;
        }
        noteError(error);
        return error;
    }

    /**
     * Sends {@code BEGIN} (with the session's options) now, to run to its end; its answer is awaited through
     * {@link #begun} by the finishing steps, its failure noted.
     */
    private void begin(Connection connection, ContextView context) {
        this.transactionOpen = true;
        this.abortCause = null;
        this.beginAnswered = false;
        this.beginFailure = null;
        BeginAnswer answer = new BeginAnswer(Context.of(context));
        this.begun = answer.answered.asMono();
        SessionOptions options = this.nextTransactionOptions;
        if (options == null) {
            options = this.options;
        } else {
            this.nextTransactionOptions = null;
        }
        statement(connection, options.begin()).subscribe(answer);
    }

    /**
     * The subscriber of a {@code BEGIN}: never cancels it, notes its failure, and completes {@link #begun}
     * when it is answered, whatever the answer.
     */
    private final class BeginAnswer extends OutcomeSubscriber {

        private final Sinks.Empty<Void> answered = Sinks.unsafe().empty(); // one emitter: this subscriber

        BeginAnswer(Context context) {
            super(context);
        }

        @Override
        public void onError(Throwable error) {
            beginFailure = error;
            noteError(error);
            onComplete();
        }

        @Override
        public void onComplete() {
            beginAnswered = true;
            this.answered.tryEmitEmpty();
        }
    }

    /**
     * Sends the {@code SAVEPOINT}s of entered blocks that ran no statement yet, outermost first, each marked
     * created as it is sent. Like {@code BEGIN}, they are pipelined ahead of the statement (the driver keeps
     * the order) and run to their end whatever happens to it: a cancel can never leave one block's savepoint
     * sent and a nested one's not, nor a savepoint marked that was never sent. A failure is noted (the
     * transaction is then aborted, so the statement behind them fails too).
     */
    private void createSavepoints(Connection connection, ContextView context) {
        Deque<AtomicFrame> pending = new ArrayDeque<>();
        for (AtomicFrame frame = this.activeFrame; frame != null; frame = frame.parent) {
            if (frame.savepoint != null && !frame.savepointCreated) {
                pending.push(frame);
            }
        }
        this.savepointsPending = false;
        Context subscriberContext = Context.of(context);
        for (AtomicFrame frame : pending) {
            frame.savepointCreated = true;
            statement(connection, "SAVEPOINT " + frame.savepoint).subscribe(new SavepointAnswer(subscriberContext));
        }
    }

    /** The subscriber of a {@code SAVEPOINT}: never cancels it, notes its failure. */
    private final class SavepointAnswer extends OutcomeSubscriber {

        SavepointAnswer(Context context) {
            super(context);
        }

        @Override
        public void onError(Throwable error) {
            noteError(error);
        }

        @Override
        public void onComplete() {
        }
    }

    private void noteError(Throwable error) {
        if (this.transactionOpen && error instanceof R2dbcException && this.abortCause == null) {
            this.abortCause = error;
        }
    }

    private Mono<Boolean> commitNow() {
        return Mono.defer(() -> {
            Database.Lease current = this.lease;
            if (current == null || !this.transactionOpen) {
                this.committedHooks = this.hooks.takeOnCommit();
                return Mono.just(false);
            }
            return this.beginAnswered ? commitOpen(current) : afterBegin().then(Mono.defer(() -> commitOpen(current)));
        });
    }

    private Mono<Boolean> commitOpen(Database.Lease current) {
        return Mono.defer(() -> {
            Throwable aborted = this.abortCause;
            AtomicFrame running = this.activeFrame;
            if (aborted != null || (running != null && isRollbackOnly(running))) {
                Throwable cause = aborted != null ? aborted
                        : new IllegalStateException("the running atomic block was marked rollback-only "
                                + "(Atomic.setRollbackOnly, or a failed atomic block without a savepoint in it)");
                return rollbackNow().then(Mono.<Boolean>error(TransactionAbortedException.commitRefused(this.database.name(), cause)));
            }
            this.transactionOpen = false;
            return commitTransaction(current.connection)
                    .then(Mono.fromCallable(() -> {
                        this.committedHooks = this.hooks.takeOnCommit();
                        return true;
                    }))
                    .doOnError(failure -> this.hooks.clear());
        });
    }

    private Mono<Boolean> rollbackNow() {
        return Mono.defer(() -> {
            this.hooks.clear();
            this.abortCause = null; // with no transaction open, nothing can be aborted
            Database.Lease current = this.lease;
            if (current == null || !this.transactionOpen) {
                return Mono.just(false);
            }
            this.transactionOpen = false;
            return afterBegin().then(statement(current.connection, "ROLLBACK")).thenReturn(true);
        });
    }

    private Mono<Void> releaseNow() {
        return Mono.defer(() -> {
            Database.Lease current = this.lease;
            if (current == null) {
                return Mono.empty();
            }
            this.lease = null;
            for (AtomicFrame left = this.activeFrame; left != null; left = left.parent) {
                left.markLeft();
            }
            this.activeFrame = null;
            this.savepointsPending = false;
            if (this.transactionOpen) {
                this.hooks.clear();
                this.transactionOpen = false;
                this.abortCause = null;
                return always(afterBegin().then(statement(current.connection, "ROLLBACK")).thenReturn(true),
                        current::release).then();
            }
            return current.release();
        });
    }

    /** Completes when the last {@code BEGIN} has been answered, whatever the answer (a failure was noted). */
    private Mono<Void> afterBegin() {
        return this.beginAnswered ? Mono.empty() : this.begun;
    }

    /**
     * Runs one control statement and drains its results. {@code ROLLBACK} goes this way rather than through
     * {@code Connection.rollbackTransaction()}: the driver skips that call while it has not yet seen the
     * server confirm a {@code BEGIN} still in flight (after a cancel), while a statement is queued behind
     * that {@code BEGIN} and so always takes effect.
     */
    private static Mono<Void> statement(Connection connection, String sql) {
        return Flux.from(connection.createStatement(sql).execute()).concatMap(Result::getRowsUpdated).then();
    }

    private Mono<Void> rollbackToSavepoint(Connection connection, String savepoint) {
        return statement(connection, "ROLLBACK TO SAVEPOINT " + savepoint).doOnSuccess(done -> this.abortCause = null);
    }

    /**
     * {@code first}, then {@code after} whatever {@code first} did. {@code first}'s error wins, with a
     * failure of {@code after} suppressed into it.
     */
    static <T> Mono<T> always(Mono<T> first, Supplier<Mono<Void>> after) {
        return first
                .onErrorResume(error -> after.get()
                        .onErrorResume(SuppressedFailure.into(error))
                        .then(Mono.error(error)))
                .flatMap(value -> after.get().thenReturn(value))
                .switchIfEmpty(Mono.defer(() -> after.get().then(Mono.empty())));
    }
}
