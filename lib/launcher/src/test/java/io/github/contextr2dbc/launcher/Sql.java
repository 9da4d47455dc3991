package io.github.contextr2dbc.launcher;

import java.time.Duration;
import java.util.List;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Result;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Plain R2DBC calls for the tests: what a user of the launcher would write. */
final class Sql {

    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private Sql() {
    }

    /** Runs statements on a fresh connection; completes empty or with the driver's error. */
    static Mono<Void> run(ConnectionFactory factory, String sql) {
        return Mono.usingWhen(factory.create(),
                connection -> Flux.from(connection.createStatement(sql).execute())
                        .concatMap(Result::getRowsUpdated)
                        .then(),
                Connection::close);
    }

    /** Reads the first column of every row as text, on a fresh connection. */
    static Mono<List<String>> texts(ConnectionFactory factory, String sql) {
        return Mono.usingWhen(factory.create(),
                connection -> Flux.from(connection.createStatement(sql).execute())
                        .concatMap(result -> result.map(row -> String.valueOf(row.get(0))))
                        .collectList(),
                Connection::close);
    }

    /** The first column of the only row, as text, waiting on the calling (test) thread. */
    static String text(ConnectionFactory factory, String sql) {
        List<String> rows = texts(factory, sql).block(TIMEOUT);
        if (rows == null || rows.size() != 1) {
            throw new AssertionError("Expected one row from " + sql + " but got " + rows);
        }
        return rows.get(0);
    }
}
