package io.github.contextr2dbc.bench.stub;

import java.time.Duration;

import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionMetadata;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.TransactionDefinition;
import io.r2dbc.spi.ValidationDepth;
import reactor.core.publisher.Mono;

/** A connection of {@link StubConnectionFactory}: statements are preallocated, every other call completes at once. */
final class StubConnection implements Connection {

    private static final Mono<Boolean> VALID = Mono.just(true);

    private static final ConnectionMetadata METADATA = new ConnectionMetadata() {

        @Override
        public String getDatabaseProductName() {
            return "stub";
        }

        @Override
        public String getDatabaseVersion() {
            return "1";
        }
    };

    private volatile boolean autoCommit = true;

    private volatile IsolationLevel isolationLevel = IsolationLevel.READ_COMMITTED;

    @Override
    public Statement createStatement(String sql) {
        return StubStatement.of(sql);
    }

    @Override
    public Mono<Void> beginTransaction() {
        return Mono.empty();
    }

    @Override
    public Mono<Void> beginTransaction(TransactionDefinition definition) {
        return Mono.empty();
    }

    @Override
    public Mono<Void> commitTransaction() {
        return Mono.empty();
    }

    @Override
    public Mono<Void> rollbackTransaction() {
        return Mono.empty();
    }

    @Override
    public Mono<Void> close() {
        return Mono.empty();
    }

    @Override
    public Batch createBatch() {
        throw new UnsupportedOperationException("The stub runs no batches");
    }

    @Override
    public Mono<Void> createSavepoint(String name) {
        return Mono.empty();
    }

    @Override
    public Mono<Void> releaseSavepoint(String name) {
        return Mono.empty();
    }

    @Override
    public Mono<Void> rollbackTransactionToSavepoint(String name) {
        return Mono.empty();
    }

    @Override
    public boolean isAutoCommit() {
        return this.autoCommit;
    }

    @Override
    public Mono<Void> setAutoCommit(boolean autoCommit) {
        return Mono.fromRunnable(() -> this.autoCommit = autoCommit);
    }

    @Override
    public ConnectionMetadata getMetadata() {
        return METADATA;
    }

    @Override
    public IsolationLevel getTransactionIsolationLevel() {
        return this.isolationLevel;
    }

    @Override
    public Mono<Void> setTransactionIsolationLevel(IsolationLevel isolationLevel) {
        return Mono.fromRunnable(() -> this.isolationLevel = isolationLevel);
    }

    @Override
    public Mono<Void> setLockWaitTimeout(Duration timeout) {
        return Mono.empty();
    }

    @Override
    public Mono<Void> setStatementTimeout(Duration timeout) {
        return Mono.empty();
    }

    @Override
    public Mono<Boolean> validate(ValidationDepth depth) {
        return VALID;
    }
}
