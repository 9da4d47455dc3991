package io.github.contextr2dbc;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import io.r2dbc.spi.Connection;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * The atomic-block layer of a session (on top of {@link SessionTransaction}): the stack of running blocks,
 * their savepoints and names, and the rollback-only marks. A block is entered and left in turns of the
 * session's queue ({@link AtomicRun} runs it); every step here whose name ends in {@code InTurn} runs inside
 * such a turn.
 *
 * <table>
 * <caption>States of one block ({@link AtomicFrame})</caption>
 * <tr><th>state</th><th>entered by</th><th>left by</th></tr>
 * <tr><td>running, savepoint pending</td><td>{@link #enterBlock}: pushed, its name chosen</td><td>its first
 * statement sends {@code SAVEPOINT} (created); its exit</td></tr>
 * <tr><td>running</td><td>as above, or without a savepoint (outermost, {@code savepoint(false)}, or entered
 * while the transaction will roll back anyway)</td><td>its exit: {@link #exitCompleted} or
 * {@link #exitFailed}, the first of them only ({@link AtomicFrame#claimExit()})</td></tr>
 * <tr><td>leaving</td><td>its run has ended (complete, error or cancel)</td><td>the exit's turn: popped
 * ({@code RELEASE}, {@code ROLLBACK TO}, commit, rollback or marking the parent)</td></tr>
 * <tr><td>left</td><td>popped, or left with an enclosing block, or with the connection</td><td>never</td></tr>
 * </table>
 */
abstract class AtomicBlocks extends SessionTransaction {

    private static final AtomicLong SAVEPOINTS = new AtomicLong();

    /** The innermost running atomic block, or null. */
    @Nullable
    volatile AtomicFrame activeFrame;

    /** A block with a savepoint was entered and its {@code SAVEPOINT} is not sent yet. */
    private volatile boolean savepointsPending;

    AtomicBlocks(Database database) {
        super(database);
    }

    @Override
    final boolean inBlock() {
        return this.activeFrame != null;
    }

    @Override
    final boolean runningBlockIsRollbackOnly() {
        AtomicFrame running = this.activeFrame;
        return running != null && isRollbackOnly(running);
    }

    /**
     * Whether the work of {@code frame} will be rolled back: the transaction is aborted, or {@code frame} or
     * a block enclosing it is {@linkplain AtomicFrame#rollbackOnly marked}.
     */
    final boolean isRollbackOnly(AtomicFrame frame) {
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
     * Queues the entering of a block (its checks and the policy on an open transaction were applied by
     * {@link ContextSession#enterBlock}): one turn of the queue pushes it and asks {@code claim} whether
     * anyone is still there to run it; if not, the block is left again in that same turn.
     */
    final Mono<AtomicFrame> enterQueued(Atomic block, @Nullable AtomicFrame parent, Predicate<AtomicFrame> claim) {
        return this.queue.runMono(() -> enterInTurn(block, parent, claim));
    }

    private Mono<AtomicFrame> enterInTurn(Atomic block, @Nullable AtomicFrame parent, Predicate<AtomicFrame> claim) {
        AtomicFrame inTheWay = this.activeFrame;
        if (inTheWay != parent && inTheWay != null && inTheWay.leaving) {
            // a block that has ended and is about to be left (its exit not queued yet): wait for it
            return Mono.error(new BlockLeaving(inTheWay.whenLeft()));
        }
        if (this.activeFrame != parent) {
            return Mono.error(new IllegalStateException("Another atomic block is running on database '"
                    + this.database.name() + "' in this unit of work at the same time. Blocks on one session run one "
                    + "after another: chain them (concatMap/then), or give parallel branches their own units of "
                    + "work (UnitOfWork.inNewUnitOfWork)."));
        }
        AtomicFrame frame = push(block, parent);
        if (claim.test(frame)) {
            return Mono.just(frame);
        }
        frame.claimExit(); // nobody will run or exit it: leave it in this same turn
        return leaveFailedInTurn(frame).then(Mono.empty());
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
        // as in Django (Atomic.__enter__), a block entered while the transaction will roll back anyway (an
        // enclosing block is marked, or a statement failed) gets no savepoint: a failure inside it is not rolled
        // back to a savepoint and forgotten, it stays the enclosing block's
        String savepoint = parent != null && block.isSavepoint() && !isRollbackOnly(parent)
                ? savepointName() : null;
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

    /** The name of a new savepoint: unique in the JVM, so never one of an enclosing block. */
    private static String savepointName() {
        return "context_r2dbc_sp_" + SAVEPOINTS.incrementAndGet();
    }

    /**
     * Ends a block that completed: releases its savepoint or, for the outermost, runs the before-commit
     * hooks, commits and then runs the on-commit hooks (see {@link CommitHooks#runOnCommit}); rolls back (to
     * the savepoint) if the block must. Only the first exit of a block does anything. Subscribe at once, to
     * the end, never cancelling: once the commit has started, its on-commit hooks run whoever is listening.
     *
     * @return a {@link Mono}: complete once ended; error: the commit's (or a veto's, or a hook's) failure,
     * or the failure of the rollback (for the caller to add to the block's own error as suppressed)
     */
    final Mono<Void> exitCompleted(AtomicFrame frame) {
        if (!frame.claimExit()) {
            return Mono.empty();
        }
        if (!frame.isOutermost() || mustRollBack(frame)) {
            return this.queue.runMono(() -> leaveCompletedInTurn(frame));
        }
        Mono<Void> commit;
        if (!frame.hooks.hasBeforeCommit()) {
            // the common case: nothing to check before the commit
            commit = this.queue.runMono(() -> leaveCompletedInTurn(frame));
        } else {
            commit = frame.hooks.runBeforeCommit()
                    .onErrorResume(veto -> this.queue.runMono(() -> leaveFailedInTurn(frame))
                            .onErrorResume(SuppressedFailure.into(veto))
                            .then(Mono.error(veto)))
                    .then(this.queue.runMono(() -> leaveCompletedInTurn(frame)));
        }
        return frame.hooks.isEmpty() ? commit
                : commit.then(Mono.defer(() -> CommitHooks.runOnCommit(frame.afterCommit)));
    }

    /**
     * Ends a block that failed or was cancelled: rolls back (to its savepoint), or marks the enclosing block.
     * Only the first exit of a block does anything; subscribe as to {@link #exitCompleted}.
     */
    final Mono<Void> exitFailed(AtomicFrame frame) {
        if (!frame.claimExit()) {
            return Mono.empty();
        }
        return this.queue.runMono(() -> leaveFailedInTurn(frame));
    }

    /** The block completed: release its savepoint, or commit (outermost); rolls back if marked rollback-only. */
    private Mono<Void> leaveCompletedInTurn(AtomicFrame frame) {
        if (!isRunning(frame)) {
            // an enclosing block's exit (after a cancel that raced with this block's end) has left it already
            frame.hooks.clear();
            return Mono.empty();
        }
        if (this.activeFrame != frame) {
            return leaveFailedInTurn(frame).then(Mono.error(new IllegalStateException("An atomic block on database '"
                    + this.database.name() + "' completed while a block nested in it was still running; it was "
                    + "rolled back. Let nested blocks finish (or fail) before the enclosing block completes.")));
        }
        pop(frame);
        boolean rollback = mustRollBack(frame);
        if (frame.isOutermost()) {
            if (rollback) {
                frame.hooks.clear();
                return rollbackInTurn().then();
            }
            frame.afterCommit = frame.hooks.takeOnCommit();
            return commitInTurn().then();
        }
        if (rollback) {
            return rollBackBlockInTurn(frame);
        }
        frame.parent.hooks.adopt(frame.hooks);
        if (frame.savepoint == null || !frame.savepointCreated) {
            return Mono.empty();
        }
        Connection connection = this.lease.connection;
        return ControlStatement.run(connection, "RELEASE SAVEPOINT " + frame.savepoint)
                .onErrorResume(failure -> rollbackToSavepoint(connection, frame.savepoint)
                        .onErrorResume(SuppressedFailure.into(failure))
                        .then(Mono.error(failure)));
    }

    /** The block failed or was cancelled: roll back to its savepoint, mark the enclosing block, or roll back. */
    private Mono<Void> leaveFailedInTurn(AtomicFrame frame) {
        if (!isRunning(frame)) {
            frame.hooks.clear();
            return Mono.empty(); // left already by an enclosing block's exit, which rolled it back too
        }
        pop(frame); // blocks nested in it and still running (their exit comes later) are left with it
        if (frame.isOutermost()) {
            frame.hooks.clear();
            return rollbackInTurn().then();
        }
        return rollBackBlockInTurn(frame);
    }

    private Mono<Void> rollBackBlockInTurn(AtomicFrame frame) {
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
                .then(ControlStatement.run(connection, "RELEASE SAVEPOINT " + frame.savepoint));
    }

    private Mono<Void> rollbackToSavepoint(Connection connection, String savepoint) {
        return ControlStatement.run(connection, "ROLLBACK TO SAVEPOINT " + savepoint)
                .doOnSuccess(done -> this.abortCause = null);
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

    @Override
    final void leaveAllBlocks() {
        for (AtomicFrame left = this.activeFrame; left != null; left = left.parent) {
            left.markLeft();
        }
        this.activeFrame = null;
        this.savepointsPending = false;
    }

    /**
     * Sends the {@code SAVEPOINT}s of entered blocks that ran no statement yet, outermost first, each marked
     * created as it is sent. Like {@code BEGIN}, they are pipelined ahead of the statement (the driver keeps
     * the order) and run to their end whatever happens to it: a cancel can never leave one block's savepoint
     * sent and a nested one's not, nor a savepoint marked that was never sent. A failure is noted (the
     * transaction is then aborted, so the statement behind them fails too).
     */
    @Override
    final void sendPendingSavepoints(Connection connection, ContextView context) {
        if (!this.savepointsPending) {
            return;
        }
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
            ControlStatement.run(connection, "SAVEPOINT " + frame.savepoint)
                    .subscribe(new PipelinedAnswer.Savepoint(this, subscriberContext));
        }
    }
}
