package io.github.contextr2dbc.spring;

import java.time.Duration;

import io.github.contextr2dbc.Database;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Result;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Plain blocking SQL on a database of its own connection, for test set-up and checks from the test thread
 * (never from a reactive pipeline).
 */
public final class TestSql {

    public static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final ConnectionFactory direct;

    public TestSql(String url) {
        this.direct = ConnectionFactories.get(url);
    }

    /** Runs statements in auto-commit mode. */
    public void execute(String... statements) {
        Mono.usingWhen(Mono.from(this.direct.create()),
                connection -> Flux.fromArray(statements)
                        .concatMap(sql -> Flux.from(connection.createStatement(sql).execute())
                                .concatMap(Result::getRowsUpdated))
                        .then(),
                Connection::close)
                .block(TIMEOUT);
    }

    /** The first column of the first row of {@code sql}, as a long. */
    public long queryLong(String sql) {
        Long value = Mono.usingWhen(Mono.from(this.direct.create()),
                connection -> Flux.from(connection.createStatement(sql).execute())
                        .concatMap(result -> result.map(row -> ((Number) row.get(0)).longValue()))
                        .next(),
                Connection::close)
                .block(TIMEOUT);
        return value == null ? 0 : value;
    }

    /** Waits (on the test thread) until no connection of {@code db} is in use; cleanup after a cancel is asynchronous. */
    public static void awaitNoConnectionsInUse(Database db) throws InterruptedException {
        awaitConnectionsInUse(db, 0);
    }

    /** Waits (on the test thread) until {@code count} connections of {@code db} are in use. */
    public static void awaitConnectionsInUse(Database db, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (db.connectionsInUse() != count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }
}
