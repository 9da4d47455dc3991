package io.github.contextr2dbc.bench.stub;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.Wrapped;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The stub ({@link StubConnectionFactory}) with a gate: while it is {@linkplain #close() closed}, every statement
 * waits for it to {@linkplain #open() open} before answering. Units of work that hold a connection then hold it
 * (as behind a table lock in PostgreSQL), and the others wait for the pool: what a unit of work queued for a
 * connection retains can be measured without a database. Transaction calls ({@code beginTransaction()} ...) are
 * not gated.
 */
public final class GatedConnectionFactory implements ConnectionFactory {

    private final StubConnectionFactory stub = new StubConnectionFactory();

    private volatile Sinks.Empty<Void> gate = opened();

    /** From now on, statements wait for {@link #open()}. */
    public void close() {
        this.gate = Sinks.empty();
    }

    /** Lets every waiting statement answer, and the next ones at once. */
    public void open() {
        this.gate.tryEmitEmpty();
    }

    private static Sinks.Empty<Void> opened() {
        Sinks.Empty<Void> gate = Sinks.empty();
        gate.tryEmitEmpty();
        return gate;
    }

    @Override
    public Mono<Connection> create() {
        return this.stub.create().map(GatedConnection::new);
    }

    @Override
    public ConnectionFactoryMetadata getMetadata() {
        return this.stub.getMetadata();
    }

    /** A stub connection whose statements wait for the gate. */
    private final class GatedConnection implements Connection, Wrapped<Connection> {

        private final Connection connection;

        GatedConnection(Connection connection) {
            this.connection = connection;
        }

        @Override
        public Connection unwrap() {
            return this.connection;
        }

        @Override
        public Statement createStatement(String sql) {
            Statement statement = this.connection.createStatement(sql);
            return new GatedStatement(statement, GatedConnectionFactory.this.gate.asMono());
        }

        @Override
        public Publisher<Void> beginTransaction() {
            return this.connection.beginTransaction();
        }

        @Override
        public Publisher<Void> beginTransaction(io.r2dbc.spi.TransactionDefinition definition) {
            return this.connection.beginTransaction(definition);
        }

        @Override
        public Publisher<Void> close() {
            return this.connection.close();
        }

        @Override
        public Publisher<Void> commitTransaction() {
            return this.connection.commitTransaction();
        }

        @Override
        public io.r2dbc.spi.Batch createBatch() {
            return this.connection.createBatch();
        }

        @Override
        public Publisher<Void> createSavepoint(String name) {
            return this.connection.createSavepoint(name);
        }

        @Override
        public boolean isAutoCommit() {
            return this.connection.isAutoCommit();
        }

        @Override
        public io.r2dbc.spi.ConnectionMetadata getMetadata() {
            return this.connection.getMetadata();
        }

        @Override
        public io.r2dbc.spi.IsolationLevel getTransactionIsolationLevel() {
            return this.connection.getTransactionIsolationLevel();
        }

        @Override
        public Publisher<Void> releaseSavepoint(String name) {
            return this.connection.releaseSavepoint(name);
        }

        @Override
        public Publisher<Void> rollbackTransaction() {
            return this.connection.rollbackTransaction();
        }

        @Override
        public Publisher<Void> rollbackTransactionToSavepoint(String name) {
            return this.connection.rollbackTransactionToSavepoint(name);
        }

        @Override
        public Publisher<Void> setAutoCommit(boolean autoCommit) {
            return this.connection.setAutoCommit(autoCommit);
        }

        @Override
        public Publisher<Void> setLockWaitTimeout(java.time.Duration timeout) {
            return this.connection.setLockWaitTimeout(timeout);
        }

        @Override
        public Publisher<Void> setStatementTimeout(java.time.Duration timeout) {
            return this.connection.setStatementTimeout(timeout);
        }

        @Override
        public Publisher<Void> setTransactionIsolationLevel(io.r2dbc.spi.IsolationLevel isolationLevel) {
            return this.connection.setTransactionIsolationLevel(isolationLevel);
        }

        @Override
        public Publisher<Boolean> validate(io.r2dbc.spi.ValidationDepth depth) {
            return this.connection.validate(depth);
        }
    }

    /** A stub statement that answers once the gate it was created under is open. */
    private static final class GatedStatement implements Statement {

        private Statement statement;

        private final Mono<Void> gate;

        GatedStatement(Statement statement, Mono<Void> gate) {
            this.statement = statement;
            this.gate = gate;
        }

        @Override
        public Statement add() {
            this.statement = this.statement.add();
            return this;
        }

        @Override
        public Statement bind(int index, Object value) {
            this.statement = this.statement.bind(index, value);
            return this;
        }

        @Override
        public Statement bind(String name, Object value) {
            this.statement = this.statement.bind(name, value);
            return this;
        }

        @Override
        public Statement bindNull(int index, Class<?> type) {
            this.statement = this.statement.bindNull(index, type);
            return this;
        }

        @Override
        public Statement bindNull(String name, Class<?> type) {
            this.statement = this.statement.bindNull(name, type);
            return this;
        }

        @Override
        public Statement returnGeneratedValues(String... columns) {
            this.statement = this.statement.returnGeneratedValues(columns);
            return this;
        }

        @Override
        public Publisher<? extends Result> execute() {
            Publisher<? extends Result> execution = this.statement.execute();
            return this.gate.thenMany(Flux.from(execution));
        }
    }
}
