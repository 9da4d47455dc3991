package io.github.contextr2dbc;

import java.time.Duration;
import java.util.Locale;

import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionMetadata;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.TransactionDefinition;
import io.r2dbc.spi.ValidationDepth;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A {@link Connection} that is a view of a session: statements run through the session (lazily
 * connecting, in its transaction, one at a time); closing it leaves the session open (the view no longer
 * validates).
 *
 * <p>Transaction calls map onto the session: {@code beginTransaction()} joins the session's transaction
 * (which opens with the first statement), {@code commitTransaction} and {@code rollbackTransaction} end it
 * early like {@link DbSession#commit()} and {@link DbSession#rollback()}, savepoints run on the session's
 * connection. The session is always transactional, so {@code isAutoCommit()} is false and turning
 * auto-commit on is refused.
 *
 * <p>{@code beginTransaction(definition)} (Spring's {@code R2dbcTransactionManager} passes its isolation
 * level and read-only flag this way) honours the definition, never weakening it:
 * <ul>
 * <li>No transaction open: the session's next transaction (that one only) opens with the definition's
 * isolation level (if it names one), {@code READ ONLY} if it asks for read-only, and its lock wait
 * timeout; anything it leaves out keeps the session's options (read-only {@code false} means "no
 * requirement", so a session configured read-only stays read-only). Nothing is sent yet: the
 * {@code BEGIN} goes out with the first statement, as always. The settings are forgotten if this
 * connection commits, rolls back or closes before any statement ran.</li>
 * <li>A transaction already open (statements ran before, e.g. in the same unit of work): it joins if the
 * open transaction already satisfies the definition: read-only asked and the transaction is read-only;
 * the isolation level asked is the same as the open one or weaker (READ UNCOMMITTED &lt; READ COMMITTED
 * &lt; REPEATABLE READ &lt; SERIALIZABLE; PostgreSQL runs READ UNCOMMITTED as READ COMMITTED). The open
 * transaction's settings are read from the server ({@code current_setting}, one round trip, only when a
 * requirement is asked). Otherwise the call fails with an {@link IllegalStateException} that says what
 * is open and what to do; the transaction is left as it was. A lock wait timeout is not applied to a
 * transaction already open.</li>
 * </ul>
 */
final class SessionConnection implements Connection {

    /** {@code ConnectionFactoryMetadata.getName()} of r2dbc-postgresql: statements count their placeholders. */
    private static final String POSTGRESQL = "PostgreSQL";

    private static final String CURRENT_SETTINGS =
            "SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')";

    private final ContextSession session;

    private final boolean postgres;

    /**
     * The options this view stored for the session's next transaction ({@code beginTransaction(definition)}),
     * forgotten when this view ends its transaction or closes; null if none.
     */
    @Nullable
    private volatile SessionOptions requested;

    /** {@link #close()} was called: the view no longer validates. */
    private volatile boolean closed;

    SessionConnection(ContextSession session) {
        this.session = session;
        this.postgres = POSTGRESQL.equals(session.database().connectionFactoryMetadata().getName());
    }

    @Override
    public Publisher<Void> beginTransaction() {
        return Mono.empty();
    }

    @Override
    public Publisher<Void> beginTransaction(TransactionDefinition definition) {
        if (definition == null) {
            throw new IllegalArgumentException("beginTransaction(null): pass a TransactionDefinition, e.g. "
                    + "IsolationLevel.SERIALIZABLE, or call beginTransaction()");
        }
        IsolationLevel isolation = definition.getAttribute(TransactionDefinition.ISOLATION_LEVEL);
        boolean readOnly = Boolean.TRUE.equals(definition.getAttribute(TransactionDefinition.READ_ONLY));
        Duration lockWaitTimeout = definition.getAttribute(TransactionDefinition.LOCK_WAIT_TIMEOUT);
        boolean lockTimeout = lockWaitTimeout != null && lockWaitTimeout.toMillis() >= 1;
        if (isolation == null && !readOnly && !lockTimeout) {
            return Mono.empty();
        }
        return Mono.defer(() -> {
            SessionOptions.Builder wanted = this.session.options().toBuilder();
            if (isolation != null) {
                wanted.isolationLevel(isolation);
            }
            if (readOnly) {
                wanted.readOnly(true);
            }
            if (lockTimeout) {
                wanted.lockTimeout(lockWaitTimeout);
            }
            SessionOptions options = wanted.build();
            // noted before it is stored, so that closing this view forgets it even if this call is cancelled
            this.requested = options;
            return this.session.openNextTransactionWith(options).flatMap(stored -> {
                if (stored) {
                    return Mono.empty();
                }
                this.requested = null;
                return joinOpenTransaction(isolation, readOnly);
            });
        });
    }

    /** Joins the open transaction if its settings satisfy {@code isolation} and {@code readOnly}; fails otherwise. */
    private Mono<Void> joinOpenTransaction(@Nullable IsolationLevel isolation, boolean readOnly) {
        if (isolation == null && !readOnly) {
            return Mono.empty();
        }
        if (!this.postgres) {
            return Mono.error(new IllegalStateException("A transaction is already open on database '"
                    + this.session.database().name() + "' and its settings can only be checked on PostgreSQL: ask for "
                    + "the isolation level or read-only before the first statement, or commit first"));
        }
        return this.session.withConnection(connection -> Flux.from(
                        connection.createStatement(CURRENT_SETTINGS).execute())
                        .concatMap(result -> result.map(row ->
                                new String[] {row.get(0, String.class), row.get(1, String.class)})))
                .next()
                .flatMap(settings -> {
                    String conflict = conflict(settings[0], "on".equals(settings[1]), isolation, readOnly);
                    if (conflict == null) {
                        return Mono.empty();
                    }
                    return Mono.error(new IllegalStateException("beginTransaction(" + describe(isolation, readOnly)
                            + ") on database '" + this.session.database().name() + "': " + conflict + ". The session's "
                            + "transaction opened with its first statement, and its settings cannot change once it has "
                            + "begun (they are never weakened silently). Ask for them before the unit of work's first "
                            + "statement on this database, run this work in a unit of work of its own "
                            + "(UnitOfWork.inNewUnitOfWork), or commit the open transaction first."));
                });
    }

    /**
     * Why an open transaction ({@code openIsolation} as the server names it) does not satisfy the request; null if it
     * does.
     */
    @Nullable
    static String conflict(String openIsolation, boolean openReadOnly, @Nullable IsolationLevel isolation,
            boolean readOnly) {
        if (readOnly && !openReadOnly) {
            return "read-only was asked, but the open transaction is read-write";
        }
        if (isolation != null && !isolation.asSql().equalsIgnoreCase(openIsolation)) {
            int asked = strength(isolation.asSql());
            int open = strength(openIsolation);
            if (asked < 0 || open < 0 || open < asked) {
                return "isolation level " + isolation.asSql() + " was asked, but the open transaction runs at "
                        + openIsolation.toUpperCase(Locale.ROOT);
            }
        }
        return null;
    }

    /** Orders the standard isolation levels; PostgreSQL runs READ UNCOMMITTED as READ COMMITTED. -1: not standard. */
    private static int strength(String level) {
        switch (level.toLowerCase(Locale.ROOT)) {
            case "read uncommitted":
            case "read committed":
                return 1;
            case "repeatable read":
                return 2;
            case "serializable":
                return 3;
            default:
                return -1;
        }
    }

    private static String describe(@Nullable IsolationLevel isolation, boolean readOnly) {
        String level = isolation == null ? "" : isolation.asSql();
        return readOnly ? (level.isEmpty() ? "READ ONLY" : level + ", READ ONLY") : level;
    }

    /** Closes this view (it no longer validates); the session stays open, its unit of work finishes it. */
    @Override
    public Publisher<Void> close() {
        return Mono.defer(() -> {
            this.closed = true;
            return endOfTransaction(Mono.empty());
        });
    }

    @Override
    public Publisher<Void> commitTransaction() {
        return endOfTransaction(this.session.commit());
    }

    @Override
    public Batch createBatch() {
        return new SessionBatch(this.session);
    }

    @Override
    public Publisher<Void> createSavepoint(String name) {
        return this.session.withConnection(connection -> connection.createSavepoint(name)).then();
    }

    @Override
    public Statement createStatement(String sql) {
        if (sql == null) {
            throw new IllegalArgumentException(
                    "createStatement(null): pass the SQL, e.g. \"SELECT * FROM item WHERE id = $1\"");
        }
        return new SessionStatement(this.session, sql, this.postgres ? PostgresParameters.count(sql) : -1);
    }

    @Override
    public boolean isAutoCommit() {
        return false;
    }

    @Override
    public ConnectionMetadata getMetadata() {
        Lease lease = this.session.currentLease();
        if (lease != null) {
            return lease.connection.getMetadata();
        }
        String product = this.session.database().connectionFactoryMetadata().getName();
        return new ConnectionMetadata() {
            @Override
            public String getDatabaseProductName() {
                return product;
            }

            @Override
            public String getDatabaseVersion() {
                return "unknown until the session connects";
            }
        };
    }

    @Override
    public IsolationLevel getTransactionIsolationLevel() {
        SessionOptions stored = this.requested;
        IsolationLevel level = (stored != null ? stored : this.session.options()).isolationLevel();
        return level != null ? level : IsolationLevel.READ_COMMITTED;
    }

    @Override
    public Publisher<Void> releaseSavepoint(String name) {
        return this.session.withConnection(connection -> connection.releaseSavepoint(name)).then();
    }

    @Override
    public Publisher<Void> rollbackTransaction() {
        return endOfTransaction(this.session.rollback());
    }

    /**
     * {@code end}, then (whatever it did) forgets the options this view stored for a transaction that never
     * began; nothing more when it stored none.
     */
    private Mono<Void> endOfTransaction(Mono<Void> end) {
        return Mono.defer(() -> {
            SessionOptions stored = this.requested;
            if (stored == null) {
                return end;
            }
            this.requested = null;
            Mono<Void> forget = this.session.forgetNextTransactionOptions(stored);
            return end.onErrorResume(error -> forget.onErrorResume(SuppressedFailure.into(error))
                    .then(Mono.error(error)))
                    .then(forget);
        });
    }

    @Override
    public Publisher<Void> rollbackTransactionToSavepoint(String name) {
        return this.session.withConnection(connection -> connection.rollbackTransactionToSavepoint(name)).then();
    }

    @Override
    public Publisher<Void> setAutoCommit(boolean autoCommit) {
        if (!autoCommit) {
            return Mono.empty();
        }
        return Mono.error(new IllegalStateException("A session of database '" + this.session.database().name()
                + "' is always transactional; its unit of work commits it. For auto-commit outside a unit of work, "
                + "build the Database with outsideUnitOfWork(AUTOCOMMIT)."));
    }

    @Override
    public Publisher<Void> setLockWaitTimeout(Duration timeout) {
        return Mono.fromRunnable(() -> this.session.options(
                this.session.options().toBuilder().lockTimeout(timeout.isZero() ? null : timeout).build()));
    }

    @Override
    public Publisher<Void> setStatementTimeout(Duration timeout) {
        return Mono.fromRunnable(() -> this.session.options(
                this.session.options().toBuilder().statementTimeout(timeout.isZero() ? null : timeout).build()));
    }

    @Override
    public Publisher<Void> setTransactionIsolationLevel(IsolationLevel isolationLevel) {
        return Mono.fromRunnable(() -> this.session.options(
                this.session.options().toBuilder().isolationLevel(isolationLevel).build()));
    }

    @Override
    public Publisher<Boolean> validate(ValidationDepth depth) {
        return Mono.fromSupplier(() -> !this.closed && !this.session.database().isClosed());
    }

    @Override
    public String toString() {
        return "SessionConnection{" + this.session + "}";
    }
}
