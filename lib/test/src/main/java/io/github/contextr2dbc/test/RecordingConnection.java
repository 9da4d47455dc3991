package io.github.contextr2dbc.test;

import java.time.Duration;

import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionMetadata;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.TransactionDefinition;
import io.r2dbc.spi.ValidationDepth;
import io.r2dbc.spi.Wrapped;
import org.reactivestreams.Publisher;

/** A pooled connection that notes the tables its statements write (see {@link CommitAndCleanUp}). */
final class RecordingConnection implements Connection, Wrapped<Connection> {

    private final Connection delegate;

    private final TouchedTables touched;

    RecordingConnection(Connection delegate, TouchedTables touched) {
        this.delegate = delegate;
        this.touched = touched;
    }

    @Override
    public Statement createStatement(String sql) {
        this.touched.record(sql);
        return this.delegate.createStatement(sql);
    }

    @Override
    public Batch createBatch() {
        Batch batch = this.delegate.createBatch();
        return new Batch() {
            @Override
            public Batch add(String sql) {
                RecordingConnection.this.touched.record(sql);
                batch.add(sql);
                return this;
            }

            @Override
            public Publisher<? extends Result> execute() {
                return batch.execute();
            }
        };
    }

    @Override
    public Connection unwrap() {
        // the driver's connection under the pool's, as the pool's own connection answers
        if (this.delegate instanceof Wrapped) {
            Object unwrapped = ((Wrapped<?>) this.delegate).unwrap();
            if (unwrapped instanceof Connection) {
                return (Connection) unwrapped;
            }
        }
        return this.delegate;
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
}
