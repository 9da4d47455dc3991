package io.github.contextr2dbc.data;

import java.util.List;
import java.util.function.BiFunction;

import io.github.contextr2dbc.DbSession;
import io.github.contextr2dbc.SqlStatement;
import io.github.contextr2dbc.UnitOfWork;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.RowMetadata;
import io.r2dbc.spi.Statement;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One rendered statement with its bound values, and how it runs: in the current unit of work's session
 * chosen by {@link DatabaseChoice}, or, with no unit of work, on a connection of the chosen database's
 * session-aware connection factory (which fails with {@code NoUnitOfWorkException} unless the database
 * allows {@code AUTOCOMMIT} outside units of work). Never commits, never begins a transaction itself.
 */
final class Sql {

    /** A bound value; {@code value} null binds SQL NULL of {@code type}. */
    record Bind(Object value, Class<?> type) {
    }

    final String text;

    final List<Bind> binds;

    Sql(String text, List<Bind> binds) {
        this.text = text;
        this.binds = binds;
    }

    <R> Flux<R> query(DatabaseChoice.Where where, BiFunction<Row, RowMetadata, R> mapper) {
        return Flux.deferContextual(context -> {
            UnitOfWork unitOfWork = UnitOfWork.find(context).orElse(null);
            if (unitOfWork != null) {
                Mono<DbSession> routed = where.routed();
                if (routed == null) {
                    return bind(unitOfWork.session(where.database()).sql(this.text)).map(mapper);
                }
                return routed.flatMapMany(session -> bind(session.sql(this.text)).map(mapper));
            }
            return Flux.usingWhen(where.database().connectionFactory().create(),
                    connection -> Flux.from(bind(connection.createStatement(this.text)).execute())
                            .concatMap(result -> result.map(mapper)),
                    Connection::close, (connection, error) -> connection.close(), Connection::close);
        });
    }

    Mono<Long> update(DatabaseChoice.Where where) {
        return Mono.deferContextual(context -> {
            UnitOfWork unitOfWork = UnitOfWork.find(context).orElse(null);
            if (unitOfWork != null) {
                Mono<DbSession> routed = where.routed();
                if (routed == null) {
                    return bind(unitOfWork.session(where.database()).sql(this.text)).rowsUpdated();
                }
                return routed.flatMap(session -> bind(session.sql(this.text)).rowsUpdated());
            }
            return Mono.usingWhen(where.database().connectionFactory().create(),
                    connection -> Flux.from(bind(connection.createStatement(this.text)).execute())
                            .concatMap(result -> result.getRowsUpdated()).reduce(0L, Long::sum),
                    Connection::close, (connection, error) -> connection.close(), Connection::close);
        });
    }

    private SqlStatement bind(SqlStatement statement) {
        for (int i = 0; i < this.binds.size(); i++) {
            Bind bind = this.binds.get(i);
            if (bind.value() == null) {
                statement.bindNull(i, bind.type());
            } else {
                statement.bind(i, bind.value());
            }
        }
        return statement;
    }

    private Statement bind(Statement statement) {
        for (int i = 0; i < this.binds.size(); i++) {
            Bind bind = this.binds.get(i);
            if (bind.value() == null) {
                statement.bindNull(i, bind.type());
            } else {
                statement.bind(i, bind.value());
            }
        }
        return statement;
    }

    @Override
    public String toString() {
        return this.text;
    }
}
