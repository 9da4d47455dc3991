package io.github.contextr2dbc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionMetadata;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.TransactionDefinition;
import io.r2dbc.spi.ValidationDepth;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A {@link Connection} that is a view of a session: statements run through the session (lazily
 * connecting, in its transaction, one at a time); closing it leaves the session open.
 *
 * <p>Transaction calls map onto the session: {@code beginTransaction} joins the session's transaction
 * (which opens with the first statement), {@code commitTransaction} and {@code rollbackTransaction} end it
 * early like {@link DbSession#commit()} and {@link DbSession#rollback()}, savepoints run on the session's
 * connection. The session is always transactional, so {@code isAutoCommit()} is false and turning
 * auto-commit on is refused.
 */
final class SessionConnection implements Connection {

    private final ContextSession session;

    SessionConnection(ContextSession session) {
        this.session = session;
    }

    @Override
    public Publisher<Void> beginTransaction() {
        return Mono.empty();
    }

    @Override
    public Publisher<Void> beginTransaction(TransactionDefinition definition) {
        return Mono.empty();
    }

    @Override
    public Publisher<Void> close() {
        return Mono.empty();
    }

    @Override
    public Publisher<Void> commitTransaction() {
        return this.session.commit();
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
        return new SessionStatement(sql);
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
        IsolationLevel level = this.session.options().isolationLevel();
        return level != null ? level : IsolationLevel.READ_COMMITTED;
    }

    @Override
    public Publisher<Void> releaseSavepoint(String name) {
        return this.session.withConnection(connection -> connection.releaseSavepoint(name)).then();
    }

    @Override
    public Publisher<Void> rollbackTransaction() {
        return this.session.rollback();
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
        return Mono.just(!this.session.database().isClosed());
    }

    @Override
    public String toString() {
        return "SessionConnection{" + this.session + "}";
    }

    /** Records bindings, then replays them on the session's connection when executed. */
    private final class SessionStatement implements Statement {

        private final String sql;

        private final List<Consumer<Statement>> calls = new ArrayList<>(4);

        SessionStatement(String sql) {
            this.sql = sql;
        }

        @Override
        public Statement add() {
            this.calls.add(Statement::add);
            return this;
        }

        @Override
        public Statement bind(int index, Object value) {
            this.calls.add(statement -> statement.bind(index, value));
            return this;
        }

        @Override
        public Statement bind(String name, Object value) {
            this.calls.add(statement -> statement.bind(name, value));
            return this;
        }

        @Override
        public Statement bindNull(int index, Class<?> type) {
            this.calls.add(statement -> statement.bindNull(index, type));
            return this;
        }

        @Override
        public Statement bindNull(String name, Class<?> type) {
            this.calls.add(statement -> statement.bindNull(name, type));
            return this;
        }

        @Override
        public Statement returnGeneratedValues(String... columns) {
            this.calls.add(statement -> statement.returnGeneratedValues(columns));
            return this;
        }

        @Override
        public Statement fetchSize(int rows) {
            this.calls.add(statement -> statement.fetchSize(rows));
            return this;
        }

        @Override
        public Publisher<? extends Result> execute() {
            List<Consumer<Statement>> recorded = List.copyOf(this.calls);
            return SessionConnection.this.session.withConnection(connection -> {
                Statement statement = connection.createStatement(this.sql);
                for (Consumer<Statement> call : recorded) {
                    call.accept(statement);
                }
                return Flux.from(statement.execute());
            });
        }
    }

    /** Records statements, then runs them as one batch on the session's connection. */
    private final class SessionBatch implements Batch {

        private final List<String> statements = new ArrayList<>(4);

        @Override
        public Batch add(String sql) {
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
