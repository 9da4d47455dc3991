package io.github.contextr2dbc;

import java.util.function.Consumer;
import java.util.function.Function;

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

    // ---- for the unit of work ----

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

    // ---- for the session-aware connection (see SessionConnection) ----

    Database.@Nullable Lease currentLease() {
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

    /** One operation of the session: forgets {@code options} stored by {@link #openNextTransactionWith} if no BEGIN took them. */
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
}
