package io.github.contextr2dbc;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Result;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A control statement of a session's transaction ({@code BEGIN}, {@code SAVEPOINT}, {@code RELEASE SAVEPOINT},
 * {@code ROLLBACK TO SAVEPOINT}, {@code ROLLBACK}), sent as SQL and drained. {@code ROLLBACK} goes this way
 * rather than through {@code Connection.rollbackTransaction()}: the driver skips that call while it has not
 * yet seen the server confirm a {@code BEGIN} still in flight (after a cancel), while a statement is queued
 * behind that {@code BEGIN} and so always takes effect.
 */
final class ControlStatement {

    private ControlStatement() {
    }

    /** Runs {@code sql} on {@code connection} and drains its results; cold. */
    static Mono<Void> run(Connection connection, String sql) {
        return Flux.from(connection.createStatement(sql).execute()).concatMap(Result::getRowsUpdated).then();
    }
}
