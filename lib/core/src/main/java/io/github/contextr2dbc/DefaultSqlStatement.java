package io.github.contextr2dbc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

import io.r2dbc.spi.ColumnMetadata;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.RowMetadata;
import io.r2dbc.spi.Statement;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** A {@link SqlStatement} run through its session's queue; bindings are recorded, then replayed per run. */
final class DefaultSqlStatement implements SqlStatement {

    private final ContextSession session;

    private final String sql;

    private final List<Consumer<Statement>> bindings = new ArrayList<>(4);

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
        this.bindings.add(statement -> statement.bind(index, value));
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
        this.bindings.add(statement -> statement.bind(name, value));
        return this;
    }

    @Override
    public SqlStatement bindNull(int index, Class<?> type) {
        if (index < 0 || type == null) {
            throw new IllegalArgumentException(
                    "bindNull needs an index of 0 or more and a type, e.g. bindNull(0, String.class)");
        }
        this.bindings.add(statement -> statement.bindNull(index, type));
        return this;
    }

    @Override
    public SqlStatement bindNull(String name, Class<?> type) {
        if (name == null || type == null) {
            throw new IllegalArgumentException("bindNull needs a name and a type, e.g. bindNull(\"$1\", String.class)");
        }
        this.bindings.add(statement -> statement.bindNull(name, type));
        return this;
    }

    @Override
    public <T> Flux<T> map(Function<? super Readable, ? extends T> mapper) {
        return results(result -> result.<T>map(mapper));
    }

    @Override
    public <T> Flux<T> map(BiFunction<? super Row, ? super RowMetadata, ? extends T> mapper) {
        return results(result -> result.map((Row row, RowMetadata metadata) -> mapper.apply(row, metadata)));
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
        return results(Result::getRowsUpdated).reduce(0L, Long::sum);
    }

    @Override
    public Mono<Void> execute() {
        return results(Result::getRowsUpdated).then();
    }

    private <T> Flux<T> results(Function<? super Result, ? extends org.reactivestreams.Publisher<T>> read) {
        List<Consumer<Statement>> bound = List.copyOf(this.bindings);
        RuntimeException refused = StatementGuard.refusal(this.session, this.sql);
        if (refused != null) {
            return Flux.error(refused);
        }
        return this.session.withConnection(connection -> {
            StatementGuard.sending(this.session, this.sql);
            Statement statement = connection.createStatement(this.sql);
            for (Consumer<Statement> binding : bound) {
                binding.accept(statement);
            }
            return Flux.from(statement.execute()).concatMap(read);
        });
    }
}
