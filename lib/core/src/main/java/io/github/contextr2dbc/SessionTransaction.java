package io.github.contextr2dbc;

import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.Function;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.R2dbcException;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * The transaction layer of a session: the connection it acquires and releases, the pipelined {@code BEGIN},
 * and the steps that finish the transaction (commit, rollback, release). {@link AtomicBlocks} adds the
 * atomic-block stack on top, and {@link ContextSession} the public {@link DbSession} methods; with the
 * {@link SerialQueue} it extends, the layers make one object (a session costs one allocation, not four).
 *
 * <p>Every method whose name ends in {@code InTurn} is a step that runs inside the current turn of the
 * session's {@link SerialQueue} (its caller is a task of that queue), so the state below is only read and
 * written by one task at a time; the fields are volatile because consecutive tasks may run on different
 * threads, and for the snapshot queries. The only writers outside a turn are the subscribers of the
 * pipelined statements ({@link PipelinedAnswer}), which note a failure and that {@code BEGIN} was answered.
 *
 * <table>
 * <caption>States of the session's transaction (each step runs in a turn of the queue)</caption>
 * <tr><th>state</th><th>lease</th><th>transactionOpen</th><th>left by</th></tr>
 * <tr><td>idle</td><td>null</td><td>false</td><td>a statement: acquire, then as "connected"</td></tr>
 * <tr><td>connected</td><td>set</td><td>false</td><td>a statement: {@code BEGIN} pipelined ahead of it
 * (open); release (idle)</td></tr>
 * <tr><td>open</td><td>set</td><td>true</td><td>commit or rollback (connected); release, after a
 * {@code ROLLBACK} (idle); a failed statement notes {@code abortCause} (aborted)</td></tr>
 * <tr><td>aborted</td><td>set</td><td>true, {@code abortCause} set</td><td>statements are refused; commit
 * rolls back and fails; rollback (to a savepoint) clears the cause</td></tr>
 * <tr><td>ended</td><td>any</td><td>any</td><td>never: a finish with {@link Finish#ends()} refuses any new
 * acquisition; what was open is finished by that same step</td></tr>
 * </table>
 * Whether the {@code BEGIN} in flight has been answered is tracked apart ({@code beginAnswered}); finishing
 * steps wait for that answer ({@link #afterBegin()}), so that the driver knows the transaction is open.
 */
abstract class SessionTransaction extends SerialQueue {

    final Database database;

    /** The session's queue: the session itself (see {@link SerialQueue}; one object less per session). */
    final SerialQueue queue = this;

    private static final AtomicReferenceFieldUpdater<SessionTransaction, CommitHooks> HOOKS =
            AtomicReferenceFieldUpdater.newUpdater(SessionTransaction.class, CommitHooks.class, "hooks");

    /**
     * Hooks registered outside any atomic block, for the session's own transaction: null until the first
     * one is registered ({@link #hooksToRegister()}; most sessions have none, and a unit of work waiting for
     * its connection kept the empty holder all the same), never replaced once created.
     */
    @Nullable
    volatile CommitHooks hooks;

    volatile SessionOptions options;

    volatile @Nullable Lease lease;

    volatile boolean transactionOpen;

    /**
     * Completes when the last {@code BEGIN} has been answered, whatever the answer. {@code BEGIN} is sent
     * together with the transaction's first statement (pipelined, without waiting for its answer) and runs
     * to its end whatever happens to that statement; finishing steps wait for it, so that the driver knows
     * the transaction is open.
     */
    volatile Mono<Void> begun = Mono.empty();

    /** The last {@code BEGIN} has been answered (or none was sent): {@link #begun} need not be awaited. */
    volatile boolean beginAnswered = true;

    /** The failure of the open transaction's {@code BEGIN}, if it failed. */
    @Nullable
    volatile Throwable beginFailure;

    /** The first error that aborted the open transaction; cleared by a rollback (to a savepoint). */
    @Nullable
    volatile Throwable abortCause;

    /** On-commit hooks of the last successful commit of the session's own transaction, for the unit of work. */
    volatile List<CommitHooks.OnCommit> committedHooks = List.of();

    /** The unit of work has ended: no new connection is acquired for this session. */
    volatile boolean ended;

    /**
     * Options for the next transaction only, set by the session-aware ConnectionFactory's
     * {@code beginTransaction(definition)} (see {@link ContextSession#openNextTransactionWith}); taken by that
     * transaction's {@code BEGIN}.
     */
    @Nullable
    volatile SessionOptions nextTransactionOptions;

    // ---- routing: read-your-own-writes; see Routing and StatementGuard ----

    /** A statement that may write ran (or was sent) on this session, in any of its transactions. Never cleared. */
    private volatile boolean mayHaveWritten;

    /** The WAL position read with the last commit of a transaction that may have written, or -1. */
    private volatile long commitLsn = -1;

    SessionTransaction(Database database) {
        this.database = database;
        this.options = database.sessionOptions();
    }

    // ---- hooks outside any atomic block ----

    /** The holder of the hooks outside any block, created by the first registration (race-free). */
    final CommitHooks hooksToRegister() {
        CommitHooks current = this.hooks;
        if (current == null) {
            current = new CommitHooks();
            if (!HOOKS.compareAndSet(this, null, current)) {
                current = this.hooks;
            }
        }
        return current;
    }

    /** Drops the hooks outside any block (their transaction rolled back or failed to commit). */
    final void clearHooks() {
        CommitHooks current = this.hooks;
        if (current != null) {
            current.clear();
        }
    }

    /** Takes the on-commit hooks outside any block (the transaction committed). */
    final List<CommitHooks.OnCommit> takeOnCommitHooks() {
        CommitHooks current = this.hooks;
        return current == null ? List.of() : current.takeOnCommit();
    }

    // ---- what the atomic-block layer answers ----

    /** Whether an atomic block is running on the session. */
    abstract boolean inBlock();

    /** Whether the running atomic block (if any) or one enclosing it is marked rollback-only. */
    abstract boolean runningBlockIsRollbackOnly();

    /** Sends the {@code SAVEPOINT}s of entered blocks that ran no statement yet (pipelined, like BEGIN). */
    abstract void sendPendingSavepoints(Connection connection, ContextView context);

    /** Leaves every running block (the connection is being released). */
    abstract void leaveAllBlocks();

    // ---- statements: one task of the queue each ----

    /**
     * Runs {@code work} on the connection in the open transaction (a step of a task of the queue). If none
     * is open, {@code BEGIN} goes out first and {@code work}'s statement right behind it, without waiting for
     * the answer: the driver keeps the order, so this saves a round trip. Pending savepoints are created
     * first. A session without a connection acquires it first, in the same task.
     */
    <T> Flux<T> inTransaction(Function<? super Connection, ? extends Publisher<T>> work) {
        return Flux.deferContextual(context -> {
            Throwable aborted = this.abortCause;
            if (this.transactionOpen && aborted != null) {
                return Flux.error(TransactionAbortedException.statementRefused(this.database.name(), inBlock(),
                        aborted));
            }
            Lease current = this.lease;
            if (current != null) {
                return onConnection(current.connection, work, context);
            }
            return acquireInTurn(work);
        });
    }

    /**
     * Acquires the session's connection (it has none) and stores it. The acquisition finishes (and stores
     * the connection) even if the statement is cancelled, and the operation's turn is held until then, so
     * that the session's next operation sees the connection and releases it. Then {@code work} runs on it
     * (as {@link #onConnection}), in the same subscriber ({@link SessionAcquisition}).
     */
    private <T> Flux<T> acquireInTurn(Function<? super Connection, ? extends Publisher<T>> work) {
        if (this.ended) {
            return Flux.error(new IllegalStateException("The unit of work of this session of database '"
                    + this.database.name() + "' has ended: run statements before it finishes, or start a new "
                    + "one (UnitOfWork.inNewUnitOfWork)"));
        }
        // where a session's connection is acquired: the hold first, then the acquisition, run to its end
        SerialQueue.Hold hold = this.queue.holdTurn();
        return new SessionAcquisition<>(this, hold, work);
    }

    /** The acquisition has ended with {@code acquired}: the session's connection from now on. */
    void acquired(Lease acquired) {
        this.lease = acquired;
    }

    /** {@code work} on the session's connection, in its transaction ({@code BEGIN} and savepoints first). */
    <T> Flux<T> onConnection(Connection connection, Function<? super Connection, ? extends Publisher<T>> work,
            ContextView context) {
        if (!this.transactionOpen) {
            // BEGIN's answer comes before the statement's; should it fail, that failure is the statement's error
            begin(connection, context);
        }
        sendPendingSavepoints(connection, context);
        return Flux.from(work.apply(connection)).onErrorMap(this::statementFailed);
    }

    /** A statement's (or savepoint's) failure, noted; if the transaction's BEGIN failed, that is the error. */
    private Throwable statementFailed(Throwable error) {
        Throwable failedBegin = this.beginFailure;
        if (failedBegin != null) {
            return failedBegin;
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
        PipelinedAnswer.Begin answer = new PipelinedAnswer.Begin(this, context);
        this.begun = answer.answered();
        ControlStatement.run(connection, beginStatement()).subscribe(answer);
    }

    /** The {@code BEGIN} of the next transaction: with its own options if it was given some, else the session's. */
    private String beginStatement() {
        SessionOptions next = this.nextTransactionOptions;
        if (next == null) {
            return this.options.begin();
        }
        this.nextTransactionOptions = null;
        return next.begin();
    }

    /** The pipelined {@code BEGIN} has been answered ({@code failure}: null if it succeeded). */
    void beginAnswered(@Nullable Throwable failure) {
        if (failure != null) {
            this.beginFailure = failure;
            noteError(failure);
        }
        this.beginAnswered = true;
    }

    /** Notes a statement's failure as the cause the open transaction is aborted, if it is the first. */
    void noteError(Throwable error) {
        if (this.transactionOpen && error instanceof R2dbcException && this.abortCause == null) {
            this.abortCause = error;
        }
    }

    // ---- finishing steps; each runs inside one task of the queue ----

    /** The transaction has ended (committed, rolled back, or given up with its connection). */
    private void resetTransaction() {
        this.transactionOpen = false;
        this.abortCause = null;
    }

    /**
     * The common end of a session: an open transaction whose {@code BEGIN} was answered, with no error noted
     * and outside any atomic block, is committed and the connection given back whatever the commit did (a
     * release failure suppressed into a commit failure). The same as {@code SuppressedFailure.always(commitInTurn(),
     * releaseInTurn)} in fewer steps.
     */
    Mono<Boolean> commitAndReleaseInTurn(Lease current) {
        resetTransaction();
        this.lease = null;
        leaveAllBlocks(); // none is running: forgets savepoints still pending
        return commitTransaction(current.connection)
                .onErrorResume(failure -> {
                    clearHooks();
                    return current.release().onErrorResume(SuppressedFailure.into(failure)).then(Mono.error(failure));
                })
                .then(Mono.defer(() -> {
                    this.committedHooks = takeOnCommitHooks();
                    return current.release();
                }))
                .thenReturn(Boolean.TRUE);
    }

    /** Commits the open transaction (rolls it back, failing, if it is aborted or its block is marked). */
    Mono<Boolean> commitInTurn() {
        return Mono.defer(() -> {
            Lease current = this.lease;
            if (current == null || !this.transactionOpen) {
                this.committedHooks = takeOnCommitHooks();
                return Mono.just(false);
            }
            return this.beginAnswered ? commitOpen(current)
                    : afterBegin().then(Mono.defer(() -> commitOpen(current)));
        });
    }

    private Mono<Boolean> commitOpen(Lease current) {
        return Mono.defer(() -> {
            Throwable aborted = this.abortCause;
            if (aborted != null || runningBlockIsRollbackOnly()) {
                Throwable cause = aborted != null ? aborted
                        : new IllegalStateException("the running atomic block was marked rollback-only "
                                + "(Atomic.setRollbackOnly, or a failed atomic block without a savepoint in it)");
                return rollbackInTurn().then(Mono.<Boolean>error(
                        TransactionAbortedException.commitRefused(this.database.name(), cause)));
            }
            resetTransaction();
            return commitTransaction(current.connection)
                    .then(Mono.fromCallable(() -> {
                        this.committedHooks = takeOnCommitHooks();
                        return true;
                    }))
                    .doOnError(failure -> clearHooks());
        });
    }

    /** Rolls back the open transaction, keeping the connection; its hooks are dropped. */
    Mono<Boolean> rollbackInTurn() {
        return Mono.defer(() -> {
            clearHooks();
            Lease current = this.lease;
            boolean open = current != null && this.transactionOpen;
            resetTransaction(); // with no transaction open, nothing can be aborted either
            if (!open) {
                return Mono.just(false);
            }
            return afterBegin().then(ControlStatement.run(current.connection, "ROLLBACK")).thenReturn(true);
        });
    }

    /** Releases the connection; an open transaction is rolled back first, every running block left. */
    Mono<Void> releaseInTurn() {
        return Mono.defer(() -> {
            Lease current = this.lease;
            if (current == null) {
                return Mono.empty();
            }
            this.lease = null;
            leaveAllBlocks();
            if (this.transactionOpen) {
                clearHooks();
                resetTransaction();
                Mono<Boolean> rollback = afterBegin().then(ControlStatement.run(current.connection, "ROLLBACK"))
                        .thenReturn(true);
                return SuppressedFailure.always(rollback, current::release).then();
            }
            return current.release();
        });
    }

    /** Completes when the last {@code BEGIN} has been answered, whatever the answer (a failure was noted). */
    private Mono<Void> afterBegin() {
        return this.beginAnswered ? Mono.empty() : this.begun;
    }

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
     * Commits the open transaction. On a primary with replicas, after a statement that may have written,
     * {@code COMMIT} travels with a read of the WAL position in one round trip ({@link CommitLsn}).
     */
    private Mono<Void> commitTransaction(Connection connection) {
        if (!this.mayHaveWritten || !this.database.hasReplicas()) {
            return Mono.from(connection.commitTransaction());
        }
        return CommitLsn.commit(connection).doOnNext(lsn -> this.commitLsn = lsn).then();
    }
}
