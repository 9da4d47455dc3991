package io.github.contextr2dbc.launcher;

import java.time.Duration;
import java.util.List;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Result;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Plain SQL on a connection of its own, in auto-commit mode, for test set-up and for checking from
 * outside what the code under test committed. Every method blocks the calling thread (bounded by
 * {@link #TIMEOUT}): call it from test threads, never from a reactive pipeline.
 */
public final class DirectSql {

    /** The longest any call waits. */
    public static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final ConnectionFactory connectionFactory;

    /**
     * Plain SQL on the database at {@code url} (an R2DBC URL such as {@link PostgresPair#primaryUrl(String)}).
     *
     * @param url the R2DBC URL
     */
    public DirectSql(String url) {
        this.connectionFactory = ConnectionFactories.get(url);
    }

    /**
     * Runs {@code statements} one after the other, each committed on its own.
     *
     * @param statements the SQL statements
     */
    public void execute(String... statements) {
        Mono.usingWhen(Mono.from(this.connectionFactory.create()),
                connection -> Flux.fromArray(statements)
                        .concatMap(sql -> Flux.from(connection.createStatement(sql).execute())
                                .concatMap(Result::getRowsUpdated))
                        .then(),
                Connection::close)
                .block(TIMEOUT);
    }

    /**
     * The first column of the first row of {@code sql}, as a number.
     *
     * @param sql a query whose first column is a number
     * @return the value, 0 if there is no row
     */
    public long queryLong(String sql) {
        Long value = Mono.usingWhen(Mono.from(this.connectionFactory.create()),
                connection -> Flux.from(connection.createStatement(sql).execute())
                        .concatMap(result -> result.map(row -> ((Number) row.get(0)).longValue()))
                        .next(),
                Connection::close)
                .block(TIMEOUT);
        return value == null ? 0 : value;
    }

    /**
     * The first column of every row of {@code sql}, as text.
     *
     * @param sql a query
     * @return the values in row order ({@code "null"} for SQL NULL)
     */
    public List<String> queryStrings(String sql) {
        return Mono.usingWhen(Mono.from(this.connectionFactory.create()),
                connection -> Flux.from(connection.createStatement(sql).execute())
                        .concatMap(result -> result.map(row -> String.valueOf(row.get(0))))
                        .collectList(),
                Connection::close)
                .block(TIMEOUT);
    }
}
