package io.github.contextr2dbc.test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

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
 * One unit of work's turn on a {@link PinnedConnection}: the physical connection, with the transaction
 * control of a connection of its own run on a savepoint of the test's transaction.
 *
 * <ul>
 * <li>{@code BEGIN ...} (a statement, as the core pipelines it, or {@link #beginTransaction()}) becomes
 * {@code SAVEPOINT}; its isolation level is ignored (a savepoint cannot change it), {@code READ ONLY}
 * becomes {@code SET TRANSACTION READ ONLY} for the savepoint, and {@code SET LOCAL} settings are kept;</li>
 * <li>{@code COMMIT} becomes {@code RELEASE SAVEPOINT}, after a check of deferred constraints
 * ({@code SET CONSTRAINTS ALL IMMEDIATE} inside a savepoint rolled back at once, so that they stay deferred
 * for the rest of the test); a read-only transaction is rolled back to its savepoint instead, which also
 * undoes its settings; {@code SET LOCAL} settings of a released savepoint are reset to the session's;</li>
 * <li>{@code ROLLBACK} becomes {@code ROLLBACK TO SAVEPOINT} and {@code RELEASE SAVEPOINT};</li>
 * <li>{@code close()} ends the simulated transaction (rolling back) and gives the turn on, without closing
 * the physical connection.</li>
 * </ul>
 * Everything else goes to the physical connection. Once the test has ended, statements are refused.
 */
final class PinnedLease implements Connection {

    private final PinnedConnection pinned;

    private final Connection physical;

    /** The savepoint standing for the open transaction, or null outside one. */
    @Nullable
    private volatile String savepoint;

    private volatile boolean readOnly;

    private volatile List<String> localSettings = List.of();

    private volatile boolean closed;

    PinnedLease(PinnedConnection pinned) {
        this.pinned = pinned;
        this.physical = pinned.physical();
    }

    // ---- transaction control ----

    @Override
    public Statement createStatement(String sql) {
        String command = sql.strip().toUpperCase(Locale.ROOT);
        if (command.startsWith("BEGIN") || command.startsWith("START TRANSACTION")) {
            return new ControlStatement(() -> beginSql(sql));
        }
        if (command.equals("COMMIT") || command.equals("END") || command.equals("COMMIT WORK")) {
            return new ControlStatement(() -> Mono.from(commitTransaction()).then(Mono.<Result>empty()));
        }
        if (command.equals("ROLLBACK") || command.equals("ABORT") || command.equals("ROLLBACK WORK")) {
            return new ControlStatement(() -> Mono.from(rollbackTransaction()).then(Mono.<Result>empty()));
        }
        checkOpen();
        return this.physical.createStatement(sql);
    }

    @Override
    public Publisher<Void> beginTransaction() {
        return Flux.defer(() -> beginSql("BEGIN")).concatMap(Result::getRowsUpdated).then();
    }

    @Override
    public Publisher<Void> beginTransaction(TransactionDefinition definition) {
        Boolean readOnlyAsked = definition.getAttribute(TransactionDefinition.READ_ONLY);
        return Flux.defer(() -> beginSql(Boolean.TRUE.equals(readOnlyAsked) ? "BEGIN READ ONLY" : "BEGIN"))
                .concatMap(Result::getRowsUpdated).then();
    }

    @Override
    public Publisher<Void> commitTransaction() {
        return Mono.defer(() -> {
            checkOpen();
            String name = this.savepoint;
            if (name == null) {
                return Mono.empty();
            }
            StringBuilder sql = new StringBuilder();
            if (this.readOnly) {
                sql.append("ROLLBACK TO SAVEPOINT ").append(name).append("; RELEASE SAVEPOINT ").append(name);
            } else {
                if (this.pinned.checksDeferredConstraints()) {
                    String check = name + "_check";
                    sql.append("SAVEPOINT ").append(check).append("; SET CONSTRAINTS ALL IMMEDIATE; ")
                            .append("ROLLBACK TO SAVEPOINT ").append(check).append("; RELEASE SAVEPOINT ")
                            .append(check).append("; ");
                }
                sql.append("RELEASE SAVEPOINT ").append(name);
                for (String setting : this.localSettings) {
                    sql.append("; SET LOCAL ").append(setting).append(" TO DEFAULT");
                }
            }
            ended();
            // a failed COMMIT ends the transaction rolled back; so does a failed check here
            return run(sql.toString())
                    .onErrorResume(failure -> run("ROLLBACK TO SAVEPOINT " + name + "; RELEASE SAVEPOINT " + name)
                            .onErrorResume(second -> {
                                failure.addSuppressed(second);
                                return Mono.empty();
                            })
                            .then(Mono.error(failure)));
        });
    }

    @Override
    public Publisher<Void> rollbackTransaction() {
        return Mono.defer(() -> {
            checkOpen();
            String name = this.savepoint;
            if (name == null) {
                return Mono.empty();
            }
            ended();
            return run("ROLLBACK TO SAVEPOINT " + name + "; RELEASE SAVEPOINT " + name);
        });
    }

    @Override
    public boolean isAutoCommit() {
        return this.savepoint == null;
    }

    @Override
    public Publisher<Void> setAutoCommit(boolean autoCommit) {
        if (autoCommit) {
            return commitTransaction();
        }
        return Mono.defer(() -> this.savepoint != null ? Mono.empty() : Mono.from(beginTransaction()));
    }

    @Override
    public Publisher<Void> close() {
        return Mono.defer(() -> {
            if (this.closed) {
                return Mono.empty();
            }
            Mono<Void> rollback = this.savepoint != null && !this.pinned.isEnded()
                    ? Mono.from(rollbackTransaction()) : Mono.empty();
            Mono<Void> passOn = Mono.fromRunnable(() -> {
                this.closed = true;
                this.pinned.release(this);
            });
            return rollback.onErrorResume(error -> passOn.then(Mono.error(error))).then(passOn);
        });
    }

    /** Closed by the pinned connection itself (the turn is passed on by the caller). */
    void markClosedWithoutPassingOn() {
        this.closed = true;
    }

    private Flux<Result> beginSql(String sql) {
        checkOpen();
        if (this.savepoint != null) {
            return Flux.error(new IllegalStateException("A transaction is already open on this connection of "
                    + "database '" + this.pinned.databaseName() + "' (pinned for the test)"));
        }
        String[] parts = sql.split(";");
        String name = this.pinned.nextSavepoint();
        boolean readOnlyAsked = parts[0].toUpperCase(Locale.ROOT).contains("READ ONLY");
        StringBuilder translated = new StringBuilder("SAVEPOINT ").append(name);
        if (readOnlyAsked) {
            translated.append("; SET TRANSACTION READ ONLY");
        }
        List<String> settings = new ArrayList<>();
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i].strip();
            if (part.isEmpty()) {
                continue;
            }
            translated.append("; ").append(part);
            String[] words = part.split("\\s+");
            if (words.length > 2 && words[0].equalsIgnoreCase("SET") && words[1].equalsIgnoreCase("LOCAL")) {
                settings.add(words[2]);
            }
        }
        this.savepoint = name;
        this.readOnly = readOnlyAsked;
        this.localSettings = settings;
        return Flux.from(this.physical.createStatement(translated.toString()).execute());
    }

    private void ended() {
        this.savepoint = null;
        this.readOnly = false;
        this.localSettings = List.of();
    }

    private Mono<Void> run(String sql) {
        return Flux.from(this.physical.createStatement(sql).execute()).concatMap(Result::getRowsUpdated).then();
    }

    private void checkOpen() {
        if (this.pinned.isEnded()) {
            throw this.pinned.endedError();
        }
        if (this.closed) {
            throw new IllegalStateException("This connection of database '" + this.pinned.databaseName()
                    + "' was closed: its unit of work has given back its turn on the test's connection");
        }
    }

    // ---- everything else: the physical connection ----

    @Override
    public Batch createBatch() {
        checkOpen();
        return this.physical.createBatch();
    }

    @Override
    public Publisher<Void> createSavepoint(String name) {
        return Mono.defer(() -> {
            checkOpen();
            return Mono.from(this.physical.createSavepoint(name));
        });
    }

    @Override
    public Publisher<Void> releaseSavepoint(String name) {
        return Mono.defer(() -> {
            checkOpen();
            return Mono.from(this.physical.releaseSavepoint(name));
        });
    }

    @Override
    public Publisher<Void> rollbackTransactionToSavepoint(String name) {
        return Mono.defer(() -> {
            checkOpen();
            return Mono.from(this.physical.rollbackTransactionToSavepoint(name));
        });
    }

    @Override
    public ConnectionMetadata getMetadata() {
        return this.physical.getMetadata();
    }

    @Override
    public IsolationLevel getTransactionIsolationLevel() {
        return this.physical.getTransactionIsolationLevel();
    }

    /** Ignored: the test's transaction has one isolation level, which a savepoint cannot change. */
    @Override
    public Publisher<Void> setTransactionIsolationLevel(IsolationLevel isolationLevel) {
        return Mono.empty();
    }

    @Override
    public Publisher<Void> setLockWaitTimeout(Duration timeout) {
        return this.physical.setLockWaitTimeout(timeout);
    }

    @Override
    public Publisher<Void> setStatementTimeout(Duration timeout) {
        return this.physical.setStatementTimeout(timeout);
    }

    @Override
    public Publisher<Boolean> validate(ValidationDepth depth) {
        return Mono.defer(() -> this.closed || this.pinned.isEnded() ? Mono.just(false)
                : Mono.from(this.physical.validate(depth)));
    }

    @Override
    public String toString() {
        return "PinnedLease{" + this.pinned.databaseName() + (this.savepoint != null ? ", in transaction" : "")
                + (this.closed ? ", closed" : "") + "}";
    }

    /** A transaction-control statement, translated when executed. */
    private static final class ControlStatement implements Statement {

        private final Supplier<Publisher<? extends Result>> execution;

        ControlStatement(Supplier<Publisher<? extends Result>> execution) {
            this.execution = execution;
        }

        @Override
        public Statement add() {
            return this;
        }

        @Override
        public Statement bind(int index, Object value) {
            throw noParameters();
        }

        @Override
        public Statement bind(String name, Object value) {
            throw noParameters();
        }

        @Override
        public Statement bindNull(int index, Class<?> type) {
            throw noParameters();
        }

        @Override
        public Statement bindNull(String name, Class<?> type) {
            throw noParameters();
        }

        @Override
        public Publisher<? extends Result> execute() {
            return Flux.<Result>defer(() -> Flux.from(this.execution.get()));
        }

        private static IllegalArgumentException noParameters() {
            return new IllegalArgumentException("Transaction control statements take no parameters");
        }
    }
}
