package io.github.contextr2dbc.conformance;

import java.time.Duration;

import io.github.contextr2dbc.UnitOfWork;
import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.ConnectionMetadata;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.TransactionDefinition;
import io.r2dbc.spi.ValidationDepth;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/**
 * Gives each TestKit connection a unit of work of its own, the way an application's request would: the
 * connection is created under {@code contextWrite(unitOfWork.bind())} from the session-aware factory, and
 * closing it closes the view, then commits the unit of work and closes it (releasing the connection).
 */
final class UnitOfWorkPerConnection implements ConnectionFactory {

    private final ConnectionFactory sessions;

    UnitOfWorkPerConnection(ConnectionFactory sessions) {
        this.sessions = sessions;
    }

    @Override
    public Publisher<? extends Connection> create() {
        return Mono.defer(() -> {
            UnitOfWork unitOfWork = UnitOfWork.create();
            return Mono.from(this.sessions.create())
                    .contextWrite(unitOfWork.bind())
                    .map(connection -> new UnitOfWorkConnection(connection, unitOfWork));
        });
    }

    @Override
    public ConnectionFactoryMetadata getMetadata() {
        return this.sessions.getMetadata();
    }

    /** Everything goes to the session's view; {@code close()} also commits and ends the unit of work. */
    private static final class UnitOfWorkConnection implements Connection {

        private final Connection view;

        private final UnitOfWork unitOfWork;

        UnitOfWorkConnection(Connection view, UnitOfWork unitOfWork) {
            this.view = view;
            this.unitOfWork = unitOfWork;
        }

        @Override
        public Publisher<Void> close() {
            return Mono.from(this.view.close())
                    .then(this.unitOfWork.commit())
                    .onErrorResume(error -> this.unitOfWork.close().then(Mono.error(error)))
                    .then(this.unitOfWork.close());
        }

        @Override
        public Publisher<Void> beginTransaction() {
            return this.view.beginTransaction();
        }

        @Override
        public Publisher<Void> beginTransaction(TransactionDefinition definition) {
            return this.view.beginTransaction(definition);
        }

        @Override
        public Publisher<Void> commitTransaction() {
            return this.view.commitTransaction();
        }

        @Override
        public Batch createBatch() {
            return this.view.createBatch();
        }

        @Override
        public Publisher<Void> createSavepoint(String name) {
            return this.view.createSavepoint(name);
        }

        @Override
        public Statement createStatement(String sql) {
            return this.view.createStatement(sql);
        }

        @Override
        public boolean isAutoCommit() {
            return this.view.isAutoCommit();
        }

        @Override
        public ConnectionMetadata getMetadata() {
            return this.view.getMetadata();
        }

        @Override
        public IsolationLevel getTransactionIsolationLevel() {
            return this.view.getTransactionIsolationLevel();
        }

        @Override
        public Publisher<Void> releaseSavepoint(String name) {
            return this.view.releaseSavepoint(name);
        }

        @Override
        public Publisher<Void> rollbackTransaction() {
            return this.view.rollbackTransaction();
        }

        @Override
        public Publisher<Void> rollbackTransactionToSavepoint(String name) {
            return this.view.rollbackTransactionToSavepoint(name);
        }

        @Override
        public Publisher<Void> setAutoCommit(boolean autoCommit) {
            return this.view.setAutoCommit(autoCommit);
        }

        @Override
        public Publisher<Void> setLockWaitTimeout(Duration timeout) {
            return this.view.setLockWaitTimeout(timeout);
        }

        @Override
        public Publisher<Void> setStatementTimeout(Duration timeout) {
            return this.view.setStatementTimeout(timeout);
        }

        @Override
        public Publisher<Void> setTransactionIsolationLevel(IsolationLevel isolationLevel) {
            return this.view.setTransactionIsolationLevel(isolationLevel);
        }

        @Override
        public Publisher<Boolean> validate(ValidationDepth depth) {
            return this.view.validate(depth);
        }
    }
}
