package io.github.contextr2dbc.launcher;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.ValidationDepth;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One connection used from a test thread with blocking calls; for the launcher's own set-up and polling
 * queries. Never use it on a Reactor non-blocking thread.
 */
final class SqlSession implements AutoCloseable {

    /** How long one connect, statement or close may take. */
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static final Logger log = LoggerFactory.getLogger(SqlSession.class);

    private final Connection connection;

    private SqlSession(Connection connection) {
        this.connection = connection;
    }

    /**
     * Opens a session.
     *
     * @param factory where to connect
     * @return the open session; close it
     */
    static SqlSession open(ConnectionFactory factory) {
        Connection connection = Mono.from(factory.create()).block(TIMEOUT);
        if (connection == null) {
            throw new IllegalStateException("The connection factory completed without a connection: " + factory);
        }
        return new SqlSession(connection);
    }

    /**
     * Runs SQL (one or more statements, simple query protocol) and waits until it completed.
     *
     * @param sql the SQL
     */
    void execute(String sql) {
        Flux.from(connection.createStatement(sql).execute())
                .concatMap(Result::getRowsUpdated)
                .then()
                .block(TIMEOUT);
    }

    /**
     * Runs one query and returns the first column of its first row as text.
     *
     * @param sql a query whose first column is text (cast with {@code ::text} when in doubt)
     * @return the value, or {@code null} if there is no row or the value is SQL {@code NULL}
     */
    String queryString(String sql) {
        List<Optional<String>> rows = Flux.from(connection.createStatement(sql).execute())
                .concatMap(result -> result.map(row -> Optional.ofNullable(row.get(0, String.class))))
                .collectList()
                .block(TIMEOUT);
        return rows == null || rows.isEmpty() ? null : rows.get(0).orElse(null);
    }

    /**
     * Tells whether the connection is still open (a local check, no round trip).
     *
     * @return {@code false} once the server or the network closed it
     */
    boolean isOpen() {
        try {
            return Boolean.TRUE.equals(Mono.from(connection.validate(ValidationDepth.LOCAL)).block(TIMEOUT));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Closes the connection; a failure to close is logged and otherwise ignored. */
    @Override
    public void close() {
        try {
            Mono.from(connection.close()).block(TIMEOUT);
        } catch (RuntimeException e) {
            log.debug("Closing a launcher connection failed", e);
        }
    }
}
