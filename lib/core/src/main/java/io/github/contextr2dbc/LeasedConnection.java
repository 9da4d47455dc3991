package io.github.contextr2dbc;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionMetadata;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.TransactionDefinition;
import io.r2dbc.spi.ValidationDepth;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/**
 * A plain pooled connection handed out outside a unit of work ({@link OutsideUnitOfWork#AUTOCOMMIT}):
 * everything goes to the connection, and closing it gives it back through the {@link Lease}
 * (so a pool retired by a host switch is still disposed when its last connection returns).
 */
final class LeasedConnection implements Connection {

    private final Lease lease;

    private final Connection connection;

    private final AtomicBoolean closed = new AtomicBoolean();

    LeasedConnection(Lease lease) {
        this.lease = lease;
        this.connection = lease.connection;
    }

    /**
     * Gives the connection back (rolled back first if it is inside a transaction, see
     * {@link Lease#release()}); once started this runs to its end even if the subscriber cancels, so
     * that the connection is never lost to the pool. Calling it again does nothing.
     */
    @Override
    public Publisher<Void> close() {
        return Mono.defer(() -> this.closed.compareAndSet(false, true)
                ? Uncancellable.run("Giving back a connection of", this.lease.databaseName(),
                        this.lease.release())
                : Mono.empty());
    }

    @Override
    public Publisher<Void> beginTransaction() {
        return this.connection.beginTransaction();
    }

    @Override
    public Publisher<Void> beginTransaction(TransactionDefinition definition) {
        return this.connection.beginTransaction(definition);
    }

    @Override
    public Publisher<Void> commitTransaction() {
        return this.connection.commitTransaction();
    }

    @Override
    public Batch createBatch() {
        return this.connection.createBatch();
    }

    @Override
    public Publisher<Void> createSavepoint(String name) {
        return this.connection.createSavepoint(name);
    }

    @Override
    public Statement createStatement(String sql) {
        return this.connection.createStatement(sql);
    }

    @Override
    public boolean isAutoCommit() {
        return this.connection.isAutoCommit();
    }

    @Override
    public ConnectionMetadata getMetadata() {
        return this.connection.getMetadata();
    }

    @Override
    public IsolationLevel getTransactionIsolationLevel() {
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
    public Publisher<Void> setLockWaitTimeout(Duration timeout) {
        return this.connection.setLockWaitTimeout(timeout);
    }

    @Override
    public Publisher<Void> setStatementTimeout(Duration timeout) {
        return this.connection.setStatementTimeout(timeout);
    }

    @Override
    public Publisher<Void> setTransactionIsolationLevel(IsolationLevel isolationLevel) {
        return this.connection.setTransactionIsolationLevel(isolationLevel);
    }

    @Override
    public Publisher<Boolean> validate(ValidationDepth depth) {
        // r2dbc-pool's pooled connection still validates once closed; a closed connection is not valid
        return Mono.defer(() -> this.closed.get() ? Mono.just(false) : Mono.from(this.connection.validate(depth)));
    }
}
