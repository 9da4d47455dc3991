package io.github.contextr2dbc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.function.Consumer;

import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionMetadata;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.Result;
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
        return this.session.withConnection(connection -> Flux.from(connection.createStatement(CURRENT_SETTINGS).execute())
                        .concatMap(result -> result.map(row -> new String[] {row.get(0, String.class), row.get(1, String.class)})))
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

    /** Why an open transaction ({@code openIsolation} as the server names it) does not satisfy the request; null if it does. */
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
        return new SessionBatch();
    }

    @Override
    public Publisher<Void> createSavepoint(String name) {
        return this.session.withConnection(connection -> connection.createSavepoint(name)).then();
    }

    @Override
    public Statement createStatement(String sql) {
        if (sql == null) {
            throw new IllegalArgumentException("createStatement(null): pass the SQL, e.g. \"SELECT * FROM item WHERE id = $1\"");
        }
        return new SessionStatement(sql, this.postgres ? PostgresParameters.count(sql) : -1);
    }

    @Override
    public boolean isAutoCommit() {
        return false;
    }

    @Override
    public ConnectionMetadata getMetadata() {
        Database.Lease lease = this.session.currentLease();
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
            return end.onErrorResume(error -> forget.onErrorResume(SuppressedFailure.into(error)).then(Mono.error(error)))
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

    /**
     * Checks each call when it is made, as the SPI says (an argument error throws at the call, not at
     * {@code execute()}), records the bindings, then runs them on the session's connection when executed.
     * On PostgreSQL the statement's {@code $n} placeholders are counted up front, so that an index or name
     * out of range and an incomplete binding are refused at the call too; with another driver, bindings are
     * checked for null arguments only and passed on as made.
     */
    private final class SessionStatement implements Statement {

        private final String sql;

        /** The statement's parameter count; -1 if unknown (not PostgreSQL): calls are then recorded as made. */
        private final int parameters;

        /** The bindings of the current row (a {@link NullValue} for {@code bindNull}); null until the first bind. */
        private Object @Nullable [] current;

        /** The rows finished by {@code add()}; null until the first. */
        @Nullable
        private List<Object[]> rows;

        /** With an unknown parameter count: the calls, replayed in order. */
        @Nullable
        private List<Consumer<Statement>> calls;

        private String @Nullable [] generatedColumns;

        private int fetchSize = -1;

        SessionStatement(String sql, int parameters) {
            this.sql = sql;
            this.parameters = parameters;
        }

        @Override
        public Statement add() {
            if (this.parameters < 0) {
                record(Statement::add);
                return this;
            }
            Object[] row = this.current;
            if (row == null && this.parameters > 0) {
                throw new IllegalStateException("add() with nothing bound: bind " + placeholders(this.parameters)
                        + " first, then add() to start the next set of bindings");
            }
            requireComplete(row, "add()");
            rows().add(row == null ? new Object[0] : row);
            this.current = null;
            return this;
        }

        @Override
        public Statement bind(int index, Object value) {
            requireValue(value, index);
            if (this.parameters < 0) {
                record(statement -> statement.bind(index, value));
            } else {
                set(index, value);
            }
            return this;
        }

        @Override
        public Statement bind(String name, Object value) {
            requireName(name, "bind");
            requireValue(value, name);
            if (this.parameters < 0) {
                record(statement -> statement.bind(name, value));
            } else {
                set(indexOf(name), value);
            }
            return this;
        }

        @Override
        public Statement bindNull(int index, Class<?> type) {
            requireType(type, index);
            if (this.parameters < 0) {
                record(statement -> statement.bindNull(index, type));
            } else {
                set(index, new NullValue(type));
            }
            return this;
        }

        @Override
        public Statement bindNull(String name, Class<?> type) {
            requireName(name, "bindNull");
            requireType(type, name);
            if (this.parameters < 0) {
                record(statement -> statement.bindNull(name, type));
            } else {
                set(indexOf(name), new NullValue(type));
            }
            return this;
        }

        @Override
        public Statement returnGeneratedValues(String... columns) {
            if (columns == null) {
                throw new IllegalArgumentException("returnGeneratedValues(null): pass no argument for every generated "
                        + "column, or the column names");
            }
            for (String column : columns) {
                if (column == null) {
                    throw new IllegalArgumentException("returnGeneratedValues(...) got a null column name");
                }
            }
            this.generatedColumns = columns.clone();
            return this;
        }

        @Override
        public Statement fetchSize(int rows) {
            if (rows < 0) {
                throw new IllegalArgumentException("fetchSize must be 0 (the driver's default) or more (got " + rows + ")");
            }
            this.fetchSize = rows;
            return this;
        }

        @Override
        public Publisher<? extends Result> execute() {
            Consumer<Statement> bindings = takeBindings();
            String[] generatedColumns = this.generatedColumns;
            int fetchSize = this.fetchSize;
            return SessionConnection.this.session.withConnection(connection -> {
                Statement statement = connection.createStatement(this.sql);
                bindings.accept(statement);
                if (generatedColumns != null) {
                    statement.returnGeneratedValues(generatedColumns);
                }
                if (fetchSize >= 0) {
                    statement.fetchSize(fetchSize);
                }
                return Flux.from(statement.execute());
            });
        }

        /** The recorded bindings, checked complete, as one step to run on the driver's statement; the statement starts afresh. */
        private Consumer<Statement> takeBindings() {
            if (this.parameters < 0) {
                List<Consumer<Statement>> recorded = this.calls == null ? List.of() : List.copyOf(this.calls);
                this.calls = null;
                return statement -> recorded.forEach(call -> call.accept(statement));
            }
            Object[] row = this.current;
            List<Object[]> finished = this.rows;
            if (row == null && finished != null) {
                throw new IllegalStateException("execute() after add() with nothing bound since: add() ends a set of "
                        + "bindings and starts the next one; call it between sets, not after the last");
            }
            if (row == null && this.parameters > 0) {
                throw new IllegalStateException("execute() with nothing bound: the statement has " + this.parameters
                        + " parameter(s); bind " + placeholders(this.parameters) + " first");
            }
            requireComplete(row, "execute()");
            this.current = null;
            this.rows = null;
            if (finished == null) {
                return row == null ? statement -> { } : statement -> bindRow(statement, row);
            }
            if (row != null) {
                finished.add(row);
            }
            return statement -> {
                for (int i = 0; i < finished.size(); i++) {
                    if (i > 0) {
                        statement.add();
                    }
                    bindRow(statement, finished.get(i));
                }
            };
        }

        private void set(int index, Object value) {
            if (index < 0 || index >= this.parameters) {
                throw new IndexOutOfBoundsException("Parameter index " + index + " is out of range: the statement has "
                        + this.parameters + " parameter(s)" + (this.parameters > 0 ? ", indexes 0 to "
                        + (this.parameters - 1) + " for " + placeholders(this.parameters) : "") + ": " + this.sql);
            }
            Object[] row = this.current;
            if (row == null) {
                row = new Object[this.parameters];
                this.current = row;
            }
            row[index] = value;
        }

        private int indexOf(String name) {
            if (name.length() > 1 && name.charAt(0) == '$') {
                try {
                    int number = Integer.parseInt(name, 1, name.length(), 10);
                    if (number >= 1 && number <= this.parameters) {
                        return number - 1;
                    }
                } catch (NumberFormatException notANumber) {
                    // not a placeholder: refused below
                }
            }
            throw new NoSuchElementException("The statement has no placeholder \"" + name + "\": its placeholders are "
                    + (this.parameters > 0 ? placeholders(this.parameters) : "none") + " (PostgreSQL numbers them $1, "
                    + "$2, ...; bind by that name or by index from 0): " + this.sql);
        }

        private void requireComplete(Object @Nullable [] row, String call) {
            if (row == null) {
                return;
            }
            StringBuilder missing = null;
            for (int i = 0; i < row.length; i++) {
                if (row[i] == null) {
                    missing = missing == null ? new StringBuilder() : missing.append(", ");
                    missing.append('$').append(i + 1);
                }
            }
            if (missing != null) {
                throw new IllegalStateException(call + " with an incomplete binding: " + missing + " not bound. Bind "
                        + "every parameter (bindNull for SQL NULL): " + this.sql);
            }
        }

        private void record(Consumer<Statement> call) {
            List<Consumer<Statement>> recorded = this.calls;
            if (recorded == null) {
                recorded = new ArrayList<>(4);
                this.calls = recorded;
            }
            recorded.add(call);
        }

        private List<Object[]> rows() {
            List<Object[]> finished = this.rows;
            if (finished == null) {
                finished = new ArrayList<>(4);
                this.rows = finished;
            }
            return finished;
        }
    }

    /** A {@code bindNull} recorded in a row of bindings. */
    private static final class NullValue {

        final Class<?> type;

        NullValue(Class<?> type) {
            this.type = type;
        }
    }

    private static void bindRow(Statement statement, Object[] row) {
        for (int i = 0; i < row.length; i++) {
            Object value = row[i];
            if (value instanceof NullValue) {
                statement.bindNull(i, ((NullValue) value).type);
            } else {
                statement.bind(i, value);
            }
        }
    }

    private static String placeholders(int count) {
        return count == 1 ? "$1" : "$1 to $" + count;
    }

    private static void requireName(@Nullable String name, String call) {
        if (name == null) {
            throw new IllegalArgumentException(call + "(null, ...): a placeholder name must not be null, e.g. \"$1\"");
        }
    }

    /** A value to bind: not null, not a Class (a mistaken {@code bind(0, Integer.class)} for {@code bindNull}). */
    private static void requireValue(@Nullable Object value, Object identifier) {
        if (value == null) {
            throw new IllegalArgumentException("bind(" + quoted(identifier) + ", null): the value must not be null; for "
                    + "SQL NULL call bindNull(" + quoted(identifier) + ", type), e.g. with Integer.class");
        }
        if (value instanceof Class) {
            throw new IllegalArgumentException("bind(" + quoted(identifier) + ", " + ((Class<?>) value).getSimpleName()
                    + ".class) binds a Class, which is not a value; for a typed SQL NULL call bindNull("
                    + quoted(identifier) + ", " + ((Class<?>) value).getSimpleName() + ".class)");
        }
    }

    private static void requireType(@Nullable Class<?> type, Object identifier) {
        if (type == null) {
            throw new IllegalArgumentException("bindNull(" + quoted(identifier) + ", null): the type must not be null, "
                    + "e.g. bindNull(" + quoted(identifier) + ", Integer.class)");
        }
    }

    private static String quoted(Object identifier) {
        return identifier instanceof String ? "\"" + identifier + "\"" : identifier.toString();
    }

    /** Records statements, then runs them as one batch on the session's connection. */
    private final class SessionBatch implements Batch {

        private final List<String> statements = new ArrayList<>(4);

        @Override
        public Batch add(String sql) {
            if (sql == null) {
                throw new IllegalArgumentException("A batch statement must not be null");
            }
            this.statements.add(sql);
            return this;
        }

        @Override
        public Publisher<? extends Result> execute() {
            List<String> recorded = List.copyOf(this.statements);
            return SessionConnection.this.session.withConnection(connection -> {
                Batch batch = connection.createBatch();
                recorded.forEach(batch::add);
                return Flux.from(batch.execute());
            });
        }
    }
}
