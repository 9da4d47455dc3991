package io.github.contextr2dbc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;

import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.ConnectionMetadata;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.RowMetadata;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.TransactionDefinition;
import io.r2dbc.spi.ValidationDepth;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A scripted R2DBC connection double (in the style of r2dbc-postgresql's {@code TestClient} and r2dbc-spi-test's
 * {@code MockConnection}): it answers every statement at once, on the calling thread, unless the script says
 * otherwise ({@link #answer}), and records the exact sequence of what the session sent: each statement's SQL,
 * {@code COMMIT} for {@code commitTransaction()}, and {@code ROLLBACK (SPI)} for {@code rollbackTransaction()}.
 * Savepoint names are recorded as {@code sp} (they carry a JVM-wide counter).
 */
final class ScriptedConnection implements Connection {

    private final List<String> sent = new ArrayList<>();

    private final Map<String, Function<String, Publisher<? extends Result>>> answers = new HashMap<>();

    private boolean autoCommit = true;

    /** A factory handing out this one connection (the database pools it: keep maxSize at 1). */
    ConnectionFactory factory() {
        ScriptedConnection connection = this;
        return new ConnectionFactory() {
            @Override
            public Publisher<? extends Connection> create() {
                return Mono.just(connection);
            }

            @Override
            public ConnectionFactoryMetadata getMetadata() {
                return () -> "scripted";
            }
        };
    }

    /** Answers statements whose SQL starts with {@code prefix} with {@code answer} instead of at once. */
    ScriptedConnection answer(String prefix, Function<String, Publisher<? extends Result>> answer) {
        this.answers.put(prefix, answer);
        return this;
    }

    /** Fails statements whose SQL starts with {@code prefix} with an R2DBC error (as the server would). */
    ScriptedConnection fail(String prefix) {
        return answer(prefix, sql -> Mono.error(new R2dbcNonTransientResourceException("scripted failure: " + sql)));
    }

    /** What the session sent, in order. */
    synchronized List<String> sent() {
        return List.copyOf(this.sent);
    }

    private synchronized void record(String what) {
        this.sent.add(what.replaceAll("context_r2dbc_sp_\\d+", "sp"));
    }

    private Publisher<? extends Result> execute(String sql) {
        record(sql);
        for (Map.Entry<String, Function<String, Publisher<? extends Result>>> scripted : this.answers.entrySet()) {
            if (sql.startsWith(scripted.getKey())) {
                return scripted.getValue().apply(sql);
            }
        }
        return Mono.just(new Answered());
    }

    @Override
    public Statement createStatement(String sql) {
        return new Statement() {
            @Override
            public Statement add() {
                return this;
            }

            @Override
            public Statement bind(int index, Object value) {
                return this;
            }

            @Override
            public Statement bind(String name, Object value) {
                return this;
            }

            @Override
            public Statement bindNull(int index, Class<?> type) {
                return this;
            }

            @Override
            public Statement bindNull(String name, Class<?> type) {
                return this;
            }

            @Override
            public Publisher<? extends Result> execute() {
                return Flux.defer(() -> ScriptedConnection.this.execute(sql));
            }
        };
    }

    @Override
    public Publisher<Void> commitTransaction() {
        return Mono.fromRunnable(() -> record("COMMIT"));
    }

    @Override
    public Publisher<Void> rollbackTransaction() {
        return Mono.fromRunnable(() -> record("ROLLBACK (SPI)"));
    }

    @Override
    public Publisher<Void> beginTransaction() {
        return Mono.fromRunnable(() -> record("BEGIN (SPI)"));
    }

    @Override
    public Publisher<Void> beginTransaction(TransactionDefinition definition) {
        return beginTransaction();
    }

    @Override
    public Publisher<Void> close() {
        return Mono.empty();
    }

    @Override
    public Batch createBatch() {
        throw new UnsupportedOperationException("not scripted");
    }

    @Override
    public Publisher<Void> createSavepoint(String name) {
        return Mono.fromRunnable(() -> record("SAVEPOINT (SPI) " + name));
    }

    @Override
    public Publisher<Void> releaseSavepoint(String name) {
        return Mono.fromRunnable(() -> record("RELEASE SAVEPOINT (SPI) " + name));
    }

    @Override
    public Publisher<Void> rollbackTransactionToSavepoint(String name) {
        return Mono.fromRunnable(() -> record("ROLLBACK TO SAVEPOINT (SPI) " + name));
    }

    @Override
    public boolean isAutoCommit() {
        return this.autoCommit;
    }

    @Override
    public Publisher<Void> setAutoCommit(boolean autoCommit) {
        return Mono.fromRunnable(() -> this.autoCommit = autoCommit);
    }

    @Override
    public ConnectionMetadata getMetadata() {
        return new ConnectionMetadata() {
            @Override
            public String getDatabaseProductName() {
                return "scripted";
            }

            @Override
            public String getDatabaseVersion() {
                return "1";
            }
        };
    }

    @Override
    public IsolationLevel getTransactionIsolationLevel() {
        return IsolationLevel.READ_COMMITTED;
    }

    @Override
    public Publisher<Void> setLockWaitTimeout(Duration timeout) {
        return Mono.empty();
    }

    @Override
    public Publisher<Void> setStatementTimeout(Duration timeout) {
        return Mono.empty();
    }

    @Override
    public Publisher<Void> setTransactionIsolationLevel(IsolationLevel isolationLevel) {
        return Mono.empty();
    }

    @Override
    public Publisher<Boolean> validate(ValidationDepth depth) {
        return Mono.just(true);
    }

    /** The answer of a statement that succeeded: no rows, nothing updated. */
    static final class Answered implements Result {

        @Override
        public Publisher<Long> getRowsUpdated() {
            return Mono.just(0L);
        }

        @Override
        public <T> Publisher<T> map(BiFunction<Row, RowMetadata, ? extends T> mappingFunction) {
            return Flux.empty();
        }

        @Override
        public <T> Publisher<T> map(Function<? super Readable, ? extends T> mappingFunction) {
            return Flux.empty();
        }

        @Override
        public Result filter(Predicate<Segment> filter) {
            return this;
        }

        @Override
        public <T> Publisher<T> flatMap(Function<Segment, ? extends Publisher<? extends T>> mappingFunction) {
            return Flux.empty();
        }
    }
}
