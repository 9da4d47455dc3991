package io.github.contextr2dbc;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

import io.r2dbc.spi.ColumnMetadata;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.RowMetadata;
import io.r2dbc.spi.Statement;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A {@link SqlStatement} run through its session's queue; bindings are recorded, then replayed per run.
 *
 * <p>A unit of work may wait long for its connection (thousands queue behind a pool of 16), so what a statement
 * keeps until it runs is kept small: the bindings in one array of (index or name, value) pairs, shared with the
 * runs made from it (a later {@code bind} copies it first), and one {@link Execution} per run that is both the
 * queue's operation and the work run on the connection. No lambda per binding, none per run.
 */
final class DefaultSqlStatement implements SqlStatement {

    private final ContextSession session;

    private final String sql;

    /**
     * The bindings in call order, two slots each: the parameter (an {@link Integer} index or a {@link String}
     * name) and its value (a {@link NullValue} for {@code bindNull}); null until the first.
     */
    private Object @Nullable [] bindings;

    /** Slots of {@link #bindings} in use. */
    private int bound;

    /** {@link #bindings} is referenced by a run: the next binding copies it first (a run keeps what it was given). */
    private boolean shared;

    DefaultSqlStatement(ContextSession session, String sql) {
        this.session = session;
        this.sql = sql;
    }

    @Override
    public SqlStatement bind(int index, Object value) {
        if (index < 0) {
            throw new IllegalArgumentException("Parameter index must be 0 or more (0 is $1), got " + index);
        }
        if (value == null) {
            throw new IllegalArgumentException("Null bound to parameter " + index + ": use bindNull(" + index
                    + ", Type.class) so the driver knows the type");
        }
        record(index, value);
        return this;
    }

    @Override
    public SqlStatement bind(String name, Object value) {
        if (name == null) {
            throw new IllegalArgumentException("Parameter name must not be null (for PostgreSQL: \"$1\", \"$2\", ...)");
        }
        if (value == null) {
            throw new IllegalArgumentException("Null bound to parameter " + name + ": use bindNull(\"" + name
                    + "\", Type.class) so the driver knows the type");
        }
        record(name, value);
        return this;
    }

    @Override
    public SqlStatement bindNull(int index, Class<?> type) {
        if (index < 0 || type == null) {
            throw new IllegalArgumentException(
                    "bindNull needs an index of 0 or more and a type, e.g. bindNull(0, String.class)");
        }
        record(index, new NullValue(type));
        return this;
    }

    @Override
    public SqlStatement bindNull(String name, Class<?> type) {
        if (name == null || type == null) {
            throw new IllegalArgumentException("bindNull needs a name and a type, e.g. bindNull(\"$1\", String.class)");
        }
        record(name, new NullValue(type));
        return this;
    }

    @Override
    public <T> Flux<T> map(Function<? super Readable, ? extends T> mapper) {
        return results(Execution.READABLE, mapper);
    }

    @Override
    public <T> Flux<T> map(BiFunction<? super Row, ? super RowMetadata, ? extends T> mapper) {
        return results(Execution.ROW, mapper);
    }

    @Override
    public Flux<Map<String, Object>> rows() {
        return map((row, metadata) -> {
            List<? extends ColumnMetadata> columns = metadata.getColumnMetadatas();
            Map<String, Object> values = new LinkedHashMap<>(columns.size() * 2);
            for (int i = 0; i < columns.size(); i++) {
                values.put(columns.get(i).getName(), row.get(i));
            }
            return values;
        });
    }

    @Override
    public <T> Mono<T> one(Function<? super Readable, ? extends T> mapper) {
        return this.<T>map(mapper).next();
    }

    @Override
    public <T> Mono<T> single(Function<? super Readable, ? extends T> mapper) {
        return this.<T>map(mapper).take(2).collectList().flatMap(rows -> {
            if (rows.isEmpty()) {
                return Mono.error(new RowNotFoundException(this.sql));
            }
            if (rows.size() > 1) {
                return Mono.error(new IllegalStateException("Expected one row, found more, from: " + this.sql
                        + ". Narrow the WHERE clause (a unique key) or read the rows with map(...)"));
            }
            return Mono.just(rows.get(0));
        });
    }

    @Override
    public Mono<Long> rowsUpdated() {
        return this.<Long>results(Execution.COUNT, null).reduce(0L, Long::sum);
    }

    @Override
    public Mono<Void> execute() {
        return this.<Long>results(Execution.COUNT, null).then();
    }

    private void record(Object parameter, Object value) {
        Object[] slots = this.bindings;
        if (slots == null) {
            slots = new Object[4];
        } else if (this.shared || this.bound == slots.length) {
            slots = Arrays.copyOf(slots, this.bound == slots.length ? slots.length * 2 : slots.length);
        }
        this.shared = false;
        slots[this.bound] = parameter;
        slots[this.bound + 1] = value;
        this.bindings = slots;
        this.bound += 2;
    }

    private <T> Flux<T> results(int read, @Nullable Object mapper) {
        RuntimeException refused = StatementGuard.refusal(this.session, this.sql);
        if (refused != null) {
            return Flux.error(refused);
        }
        this.shared = true;
        // what ContextSession.withConnection does, with the run itself as the queue's operation (no lambda)
        return this.session.queue.run(new Execution<T>(this.session, this.sql, this.bindings, this.bound, read,
                mapper));
    }

    /**
     * One run of the statement: the operation of the session's queue (it asks the session for its transaction
     * and connection), then, once the connection is there, the statement made, bound and executed on it.
     */
    private static final class Execution<T> implements Supplier<Publisher<T>>, Function<Connection, Publisher<T>> {

        /** Rows mapped by a {@code Function<Readable, T>}. */
        static final int READABLE = 0;

        /** Rows mapped by a {@code BiFunction<Row, RowMetadata, T>}. */
        static final int ROW = 1;

        /** The update counts. */
        static final int COUNT = 2;

        private final ContextSession session;

        private final String sql;

        private final Object @Nullable [] bindings;

        private final int bound;

        private final int read;

        @Nullable
        private final Object mapper;

        Execution(ContextSession session, String sql, Object @Nullable [] bindings, int bound, int read,
                @Nullable Object mapper) {
            this.session = session;
            this.sql = sql;
            this.bindings = bindings;
            this.bound = bound;
            this.read = read;
            this.mapper = mapper;
        }

        /** The operation's turn has come: the statement in the session's transaction (connecting first if need be). */
        @Override
        public Publisher<T> get() {
            return this.session.inTransaction(this);
        }

        /** On the session's connection, in its transaction. */
        @Override
        public Publisher<T> apply(Connection connection) {
            StatementGuard.sending(this.session, this.sql);
            Statement statement = connection.createStatement(this.sql);
            Object[] slots = this.bindings;
            for (int i = 0; i < this.bound; i += 2) {
                bindOne(statement, slots[i], slots[i + 1]);
            }
            return Flux.from(statement.execute()).concatMap(reader());
        }

        @SuppressWarnings("unchecked")
        private Function<Result, Publisher<T>> reader() {
            switch (this.read) {
                case READABLE: {
                    Function<? super Readable, ? extends T> rows =
                            (Function<? super Readable, ? extends T>) this.mapper;
                    return result -> result.<T>map(rows);
                }
                case ROW: {
                    BiFunction<? super Row, ? super RowMetadata, ? extends T> rows =
                            (BiFunction<? super Row, ? super RowMetadata, ? extends T>) this.mapper;
                    return result -> result.map((Row row, RowMetadata metadata) -> rows.apply(row, metadata));
                }
                default:
                    return result -> (Publisher<T>) result.getRowsUpdated();
            }
        }

        private static void bindOne(Statement statement, Object parameter, Object value) {
            if (parameter instanceof Integer) {
                int index = (Integer) parameter;
                if (value instanceof NullValue) {
                    statement.bindNull(index, ((NullValue) value).type);
                } else {
                    statement.bind(index, value);
                }
            } else {
                String name = (String) parameter;
                if (value instanceof NullValue) {
                    statement.bindNull(name, ((NullValue) value).type);
                } else {
                    statement.bind(name, value);
                }
            }
        }
    }

    /** A {@code bindNull} recorded among the bindings. */
    private static final class NullValue {

        final Class<?> type;

        NullValue(Class<?> type) {
            this.type = type;
        }
    }
}
