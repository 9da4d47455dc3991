package io.github.contextr2dbc;

import java.util.function.Function;
import java.util.function.Supplier;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.Result;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import org.jspecify.annotations.Nullable;

/**
 * The {@link DbSession} implementation: a lazily leased connection and its transaction.
 *
 * <p>Every operation runs as one task of the session's {@link SerialQueue}, so the state below is only
 * read and written by one task at a time; the fields are volatile because consecutive tasks may run on
 * different threads, and for the snapshot queries. Finishing operations (commit, rollback, release) are
 * {@link Uncancellable}: once asked for, they happen.
 */
final class ContextSession implements DbSession {

    private final Database database;

    private final SerialQueue queue = new SerialQueue();

    private volatile SessionOptions options;

    private volatile Database.@Nullable Lease lease;

    private volatile boolean transactionOpen;

    /** {@code BEGIN} was sent and not yet confirmed (it was cut short by a cancel): nothing ran in the transaction. */
    private volatile boolean beginPending;

    @Nullable
    private volatile Throwable abortCause;

    /** The unit of work has ended: no new connection is acquired for this session. */
    private volatile boolean ended;

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
        Flux<T> statement = this.queue.run(() -> connectionInTransaction()
                .flatMapMany(work)
                .doOnError(this::noteError));
        if (this.lease != null && this.transactionOpen) {
            return statement;
        }
        // Acquiring and BEGIN run as a task of their own that cannot be cancelled: a cancel racing with the
        // pool handing out the connection could otherwise leave a connection that no later task knows of.
        // Both tasks are queued now, in this order, so statements keep their subscription order; tasks
        // queued after them (a rollback on cancel, say) see the connection the first one stored.
        return Flux.deferContextual(context -> {
            Mono<Void> connected = Uncancellable.start(this.queue.run(() -> connectionInTransaction().then()).then(),
                    context);
            return this.queue.run(() -> connected.thenMany(Flux.defer(() -> connectionInTransaction()
                    .flatMapMany(work)
                    .doOnError(this::noteError))));
        });
    }

    @Override
    public Mono<Void> commit() {
        return Uncancellable.run("Commit on " + this.database.name(),
                this.queue.run(() -> commitNow().then()).then());
    }

    @Override
    public Mono<Void> rollback() {
        return Uncancellable.run("Rollback on " + this.database.name(),
                this.queue.run(() -> rollbackNow().then()).then());
    }

    @Override
    public Mono<Void> close() {
        return finish(false, false).then();
    }

    /**
     * Commits (or rolls back) the open transaction, then releases the connection, as one uncancellable
     * step; with {@code end}, the session also refuses to connect again (its unit of work has ended). The connection is released on every path; a release failure is suppressed into an earlier
     * failure.
     *
     * @return a {@link Mono} of whether a transaction was open (and so was committed or rolled back)
     */
    Mono<Boolean> finish(boolean commit, boolean end) {
        return Uncancellable.run((commit ? "Commit" : "Rollback") + " and release on " + this.database.name(),
                this.queue.run(() -> {
                    if (end) {
                        this.ended = true;
                    }
                    return always(commit ? commitNow() : rollbackNow(), this::releaseNow);
                }).singleOrEmpty());
    }

    Database.@Nullable Lease currentLease() {
        return this.lease;
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
                + (this.transactionOpen ? ", in transaction" : "") + "}";
    }

    // ---- steps; each runs inside one task of the queue ----

    private Mono<Connection> connectionInTransaction() {
        return Mono.defer(() -> {
            Database.Lease current = this.lease;
            if (current == null && this.ended) {
                return Mono.error(new IllegalStateException("The unit of work of this session of database '"
                        + this.database.name() + "' has ended: run statements before it finishes, or start a new "
                        + "one (UnitOfWork.inNewUnitOfWork)"));
            }
            Mono<Connection> connection = current != null
                    ? Mono.just(current.connection)
                    : this.database.lease().map(leased -> {
                        this.lease = leased;
                        return leased.connection;
                    });
            if (this.transactionOpen) {
                return connection;
            }
            return connection.flatMap(this::begin);
        });
    }

    private Mono<Connection> begin(Connection connection) {
        // marked open before BEGIN is sent: if BEGIN is cut short, finishing still rolls back
        this.transactionOpen = true;
        this.beginPending = true;
        this.abortCause = null;
        return Flux.from(connection.createStatement(this.options.begin()).execute())
                .concatMap(Result::getRowsUpdated)
                .then(Mono.fromCallable(() -> {
                    this.beginPending = false;
                    return connection;
                }));
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
                return Mono.just(false);
            }
            if (this.beginPending) {
                // BEGIN was cut short, so no statement ran in the transaction: nothing to commit
                return rollbackNow().thenReturn(false);
            }
            Throwable aborted = this.abortCause;
            if (aborted != null) {
                return rollbackNow().then(Mono.<Boolean>error(new TransactionAbortedException(this.database.name(), aborted)));
            }
            this.transactionOpen = false;
            return Mono.from(current.connection.commitTransaction()).thenReturn(true);
        });
    }

    private Mono<Boolean> rollbackNow() {
        return Mono.defer(() -> {
            Database.Lease current = this.lease;
            if (current == null || !this.transactionOpen) {
                return Mono.just(false);
            }
            this.transactionOpen = false;
            this.abortCause = null;
            return rollbackOn(current.connection).thenReturn(true);
        });
    }

    private Mono<Void> releaseNow() {
        return Mono.defer(() -> {
            Database.Lease current = this.lease;
            if (current == null) {
                return Mono.empty();
            }
            this.lease = null;
            if (this.transactionOpen) {
                this.transactionOpen = false;
                this.abortCause = null;
                return always(rollbackOn(current.connection).thenReturn(true), current::release).then();
            }
            return current.release();
        });
    }

    /**
     * Sends {@code ROLLBACK} as a statement, not through {@code Connection.rollbackTransaction()}: the driver
     * skips that call while it has not yet seen the server confirm a {@code BEGIN} that is still in flight
     * (after a cancel), while a statement is queued behind that {@code BEGIN} and so always takes effect.
     */
    private static Mono<Void> rollbackOn(Connection connection) {
        return Flux.from(connection.createStatement("ROLLBACK").execute()).concatMap(Result::getRowsUpdated).then();
    }

    /**
     * {@code first}, then {@code after} whatever {@code first} did. {@code first}'s error wins, with a
     * failure of {@code after} suppressed into it.
     */
    static <T> Mono<T> always(Mono<T> first, Supplier<Mono<Void>> after) {
        return first
                .onErrorResume(error -> after.get()
                        .onErrorResume(secondary -> {
                            error.addSuppressed(secondary);
                            return Mono.empty();
                        })
                        .then(Mono.error(error)))
                .flatMap(value -> after.get().thenReturn(value))
                .switchIfEmpty(Mono.defer(() -> after.get().then(Mono.empty())));
    }
}
