package io.github.contextr2dbc;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

import io.r2dbc.spi.Connection;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The {@link DbSession} implementation: the public methods of a session, and what its unit of work, the
 * session-aware connection and {@link Atomic} ask of it. The session is written in three layers, one
 * object: {@link SessionTransaction} (the lazily acquired connection, the pipelined {@code BEGIN}, the
 * finishing steps), {@link AtomicBlocks} (the atomic-block stack) and this class.
 *
 * <p>Every operation runs as one task of the session's {@link SerialQueue}. Finishing operations (commit,
 * rollback, release, the end of an atomic block) are {@link Uncancellable}: once asked for, they happen.
 * Hooks run outside the queue's tasks: before-commit hooks can run statements in the transaction they
 * check; on-commit hooks run each in a unit of work of their own (see {@link CommitHooks#runOnCommit}).
 */
final class ContextSession extends AtomicBlocks implements DbSession {

    ContextSession(Database database) {
        super(database);
    }

    @Override
    public Database database() {
        return this.database;
    }

    @Override
    public SqlStatement sql(String sql) {
        if (sql == null || sql.isBlank()) {
            throw new IllegalArgumentException(
                    "sql(...) needs a statement, e.g. \"SELECT * FROM item WHERE id = $1\"");
        }
        return new DefaultSqlStatement(this, sql);
    }

    @Override
    public <T> Flux<T> withConnection(Function<? super Connection, ? extends Publisher<T>> work) {
        // one task of the queue; a session without a connection acquires it first, in the same task
        // (uncancellable, and the turn is held until the connection is stored, so a task queued behind this
        // one — a rollback on cancel, say — always sees the connection and releases it)
        return this.queue.run(() -> inTransaction(work));
    }

    @Override
    public Mono<Void> commit() {
        return Mono.defer(() -> inBlock() ? Mono.error(insideBlock("commit()")) : commitWithHooks(Mono.empty()));
    }

    @Override
    public Mono<Void> rollback() {
        return Mono.defer(() -> inBlock() ? Mono.error(insideBlock("rollback()")) : rollbackGuarded());
    }

    @Override
    public Mono<Void> close() {
        return Mono.defer(() -> inBlock() ? Mono.error(insideBlock("close()")) : finish(Finish.ROLLBACK).then());
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
                + (this.transactionOpen ? ", in transaction" : "") + (inBlock() ? ", in atomic block" : "") + "}";
    }

    private IllegalStateException insideBlock(String what) {
        return new IllegalStateException(what + " is refused inside an atomic block on database '"
                + this.database.name() + "': the block commits or rolls back when it ends. Let it complete, fail it "
                + "with an error, or mark it with Atomic.setRollbackOnly(db).");
    }

    // ---- finishing, as operations of the queue (the unit of work, inSession, atomic blocks) ----

    /**
     * The session's before-commit hooks and {@code extraCheck}, then the commit, then its on-commit hooks.
     * A failing hook or check vetoes: the transaction is rolled back and the failure is the error.
     */
    Mono<Void> commitWithHooks(Mono<Void> extraCheck) {
        Mono<Void> checks = this.transactionOpen ? extraCheck.then(runBeforeCommitHooks()) : Mono.empty();
        return Uncancellable.run("Commit on", this.database.name(), checks
                .onErrorResume(veto -> this.queue.runMono(this::rollbackInTurn).then()
                        .onErrorResume(SuppressedFailure.into(veto))
                        .then(Mono.error(veto)))
                .then(this.queue.runMono(this::commitInTurn).then())
                .then(Mono.defer(() -> CommitHooks.runOnCommit(takeCommittedHooks()))));
    }

    /** Rolls back the open transaction (keeping the connection), uncancellably. */
    Mono<Void> rollbackGuarded() {
        return Uncancellable.run("Rollback on", this.database.name(), this.queue.runMono(this::rollbackInTurn).then());
    }

    /**
     * Commits or rolls back the open transaction, then releases the connection, as one uncancellable step;
     * with {@link Finish#ends()}, the session also refuses to connect again. Hooks are not run here. The
     * connection is released on every path; a release failure is suppressed into an earlier failure.
     *
     * @return a {@link Mono} of whether a transaction was open (and so was committed or rolled back)
     */
    Mono<Boolean> finish(Finish how) {
        return Uncancellable.run(how.commits() ? "Commit and release on" : "Rollback and release on",
                this.database.name(), finishQueued(how));
    }

    /** {@link #finish(Finish)} without its own guard against cancel: for a caller that is uncancellable. */
    Mono<Boolean> finishQueued(Finish how) {
        return this.queue.runMono(() -> {
            if (how.ends()) {
                this.ended = true;
            }
            Lease current = this.lease;
            if (how.commits() && current != null && this.transactionOpen && this.beginAnswered
                    && this.abortCause == null && !inBlock()) {
                return commitAndReleaseInTurn(current);
            }
            return SuppressedFailure.always(how.commits() ? commitInTurn() : rollbackInTurn(), this::releaseInTurn);
        });
    }

    /** The on-commit hooks of the last commit of the session's own transaction, taken (each runs once). */
    List<CommitHooks.OnCommit> takeCommittedHooks() {
        List<CommitHooks.OnCommit> taken = this.committedHooks;
        this.committedHooks = List.of();
        return taken;
    }

    // ---- for Atomic: entering a block ----

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
                    before = rollbackGuarded();
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
        Mono<AtomicFrame> enter = enterQueued(block, parent, claim);
        return before == null ? enter : before.then(enter);
    }

    // ---- for the unit of work ----

    /** Whether there is nothing to finish: no connection, no transaction, no hooks, no operation running or waiting. */
    boolean isDormant() {
        return this.lease == null && !this.transactionOpen && this.queue.isIdle() && CommitHooks.isEmpty(this.hooks)
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
        return !CommitHooks.isEmpty(this.hooks) || !this.committedHooks.isEmpty();
    }

    boolean hasBeforeCommitHooks() {
        CommitHooks current = this.hooks;
        return current != null && current.hasBeforeCommit();
    }

    /** The before-commit hooks of the session's own transaction (outside atomic blocks), taken and run. */
    Mono<Void> runBeforeCommitHooks() {
        CommitHooks current = this.hooks;
        return current == null ? Mono.empty() : current.runBeforeCommit();
    }

    // ---- for the session-aware connection (see SessionConnection) ----

    @Nullable Lease currentLease() {
        return this.lease;
    }

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

    /**
     * One operation of the session: forgets {@code options} stored by {@link #openNextTransactionWith} if no BEGIN took
     * them.
     */
    Mono<Void> forgetNextTransactionOptions(SessionOptions options) {
        return this.queue.runMono(() -> {
            if (this.nextTransactionOptions == options) {
                this.nextTransactionOptions = null;
            }
            return Mono.empty();
        });
    }

    // ---- for Atomic: hooks outside any block ----

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
            register.accept(hooksToRegister());
            return Mono.empty();
        }
        return this.queue.runMono(() -> {
            if (!this.transactionOpen) {
                return Mono.just(Boolean.TRUE);
            }
            register.accept(hooksToRegister());
            return Mono.<Boolean>empty();
        }).flatMap(runNow -> runAtOnce);
    }
}
