package io.github.contextr2dbc;

import java.time.Duration;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;

import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionMetadata;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.RowMetadata;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.TransactionDefinition;
import io.r2dbc.spi.ValidationDepth;
import io.r2dbc.spi.Wrapped;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;

/**
 * A connection made by {@link PrimaryResolver#connectionFactory(String)}: the driver's connection, unchanged,
 * except that every statement's, batch's and result's errors (and error segments) are looked at on their way
 * through. One carrying SQLSTATE 25006 (read-only transaction) means the host answering is not the primary any
 * more (an old primary back as a standby after a failover): the resolver is told ({@code onReadOnly}), and the
 * next session looks for the primary again. The error itself goes on unchanged.
 */
final class PrimaryConnection implements Connection, Wrapped<Connection> {

    static final String READ_ONLY_TRANSACTION = "25006";

    private final Connection delegate;

    private final Runnable onReadOnly;

    PrimaryConnection(Connection delegate, Runnable onReadOnly) {
        this.delegate = delegate;
        this.onReadOnly = onReadOnly;
    }

    /** Whether {@code error}, or an error in its cause chain, is a refusal as read-only (SQLSTATE 25006). */
    static boolean readOnlyRefusal(Throwable error) {
        for (Throwable current = error; current != null; current = current.getCause()) {
            if (current instanceof R2dbcException r2dbc && READ_ONLY_TRANSACTION.equals(r2dbc.getSqlState())) {
                return true;
            }
            if (current.getCause() == current) {
                break;
            }
        }
        return false;
    }

    private void observe(Throwable error) {
        if (readOnlyRefusal(error)) {
            this.onReadOnly.run();
        }
    }

    private Flux<Result> watched(Publisher<? extends Result> results) {
        return Flux.<Result>from(results).<Result>map(WatchedResult::new).doOnError(this::observe);
    }

    @Override
    public Connection unwrap() {
        return this.delegate;
    }

    @Override
    public Statement createStatement(String sql) {
        return new WatchedStatement(this.delegate.createStatement(sql));
    }

    @Override
    public Batch createBatch() {
        Batch batch = this.delegate.createBatch();
        return new Batch() {
            @Override
            public Batch add(String sql) {
                batch.add(sql);
                return this;
            }

            @Override
            public Publisher<? extends Result> execute() {
                return watched(batch.execute());
            }
        };
    }

    @Override
    public Publisher<Void> beginTransaction() {
        return this.delegate.beginTransaction();
    }

    @Override
    public Publisher<Void> beginTransaction(TransactionDefinition definition) {
        return this.delegate.beginTransaction(definition);
    }

    @Override
    public Publisher<Void> close() {
        return this.delegate.close();
    }

    @Override
    public Publisher<Void> commitTransaction() {
        return this.delegate.commitTransaction();
    }

    @Override
    public Publisher<Void> createSavepoint(String name) {
        return this.delegate.createSavepoint(name);
    }

    @Override
    public boolean isAutoCommit() {
        return this.delegate.isAutoCommit();
    }

    @Override
    public ConnectionMetadata getMetadata() {
        return this.delegate.getMetadata();
    }

    @Override
    public IsolationLevel getTransactionIsolationLevel() {
        return this.delegate.getTransactionIsolationLevel();
    }

    @Override
    public Publisher<Void> releaseSavepoint(String name) {
        return this.delegate.releaseSavepoint(name);
    }

    @Override
    public Publisher<Void> rollbackTransaction() {
        return this.delegate.rollbackTransaction();
    }

    @Override
    public Publisher<Void> rollbackTransactionToSavepoint(String name) {
        return this.delegate.rollbackTransactionToSavepoint(name);
    }

    @Override
    public Publisher<Void> setAutoCommit(boolean autoCommit) {
        return this.delegate.setAutoCommit(autoCommit);
    }

    @Override
    public Publisher<Void> setLockWaitTimeout(Duration timeout) {
        return this.delegate.setLockWaitTimeout(timeout);
    }

    @Override
    public Publisher<Void> setStatementTimeout(Duration timeout) {
        return this.delegate.setStatementTimeout(timeout);
    }

    @Override
    public Publisher<Void> setTransactionIsolationLevel(IsolationLevel isolationLevel) {
        return this.delegate.setTransactionIsolationLevel(isolationLevel);
    }

    @Override
    public Publisher<Boolean> validate(ValidationDepth depth) {
        return this.delegate.validate(depth);
    }

    @Override
    public String toString() {
        return "PrimaryConnection{" + this.delegate + "}";
    }

    /** The driver's statement; its results are watched. */
    private final class WatchedStatement implements Statement {

        private final Statement statement;

        WatchedStatement(Statement statement) {
            this.statement = statement;
        }

        @Override
        public Statement add() {
            this.statement.add();
            return this;
        }

        @Override
        public Statement bind(int index, Object value) {
            this.statement.bind(index, value);
            return this;
        }

        @Override
        public Statement bind(String name, Object value) {
            this.statement.bind(name, value);
            return this;
        }

        @Override
        public Statement bindNull(int index, Class<?> type) {
            this.statement.bindNull(index, type);
            return this;
        }

        @Override
        public Statement bindNull(String name, Class<?> type) {
            this.statement.bindNull(name, type);
            return this;
        }

        @Override
        public Statement returnGeneratedValues(String... columns) {
            this.statement.returnGeneratedValues(columns);
            return this;
        }

        @Override
        public Statement fetchSize(int rows) {
            this.statement.fetchSize(rows);
            return this;
        }

        @Override
        public Publisher<? extends Result> execute() {
            return watched(this.statement.execute());
        }
    }

    /** The driver's result; its errors, and its error segments, are looked at. */
    private final class WatchedResult implements Result {

        private final Result result;

        WatchedResult(Result result) {
            this.result = result;
        }

        @Override
        public Publisher<Long> getRowsUpdated() {
            return Flux.from(this.result.getRowsUpdated()).doOnError(PrimaryConnection.this::observe);
        }

        @Override
        public <T> Publisher<T> map(BiFunction<Row, RowMetadata, ? extends T> mapping) {
            return Flux.<T>from(this.result.map(mapping)).doOnError(PrimaryConnection.this::observe);
        }

        @Override
        public <T> Publisher<T> map(Function<? super Readable, ? extends T> mapping) {
            return Flux.<T>from(this.result.map(mapping)).doOnError(PrimaryConnection.this::observe);
        }

        @Override
        public Result filter(Predicate<Segment> filter) {
            return new WatchedResult(this.result.filter(filter));
        }

        @Override
        public <T> Publisher<T> flatMap(Function<Segment, ? extends Publisher<? extends T>> mapping) {
            return Flux.<T>from(this.result.flatMap(segment -> {
                if (segment instanceof Message message
                        && READ_ONLY_TRANSACTION.equals(message.sqlState())) {
                    PrimaryConnection.this.onReadOnly.run();
                }
                return mapping.apply(segment);
            })).doOnError(PrimaryConnection.this::observe);
        }
    }
}
