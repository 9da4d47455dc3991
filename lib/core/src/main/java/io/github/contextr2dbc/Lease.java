package io.github.contextr2dbc;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Wrapped;
import reactor.core.publisher.Mono;

/** A pooled connection and the pool generation it goes back to. */
final class Lease {

    final Connection connection;

    final PoolGeneration generation;

    Lease(Connection connection, PoolGeneration generation) {
        this.connection = connection;
        this.generation = generation;
    }

    /**
     * Gives the connection back; counts the user out even if closing fails. Call it when the connection is
     * to go back: it reads the connection's state then.
     *
     * <p>A connection given back inside a transaction (a plain pooled connection closed after {@code BEGIN},
     * a savepoint or {@code setAutoCommit(false)}) is first rolled back and put back in auto-commit mode, so
     * that the pool never hands out a connection inside someone else's transaction, as HikariCP resets what
     * a connection was dirtied with. A connection in auto-commit mode and outside a transaction (every
     * session's: it commits or rolls back before release) costs one {@code isAutoCommit()} call, the driver's
     * last transaction status: no round trip, no allocation. If the reset fails, the driver's connection is
     * closed before it goes back, so that the pool's validation discards it instead of handing it out.
     */
    Mono<Void> release() {
        Mono<Void> giveBack = Mono.from(this.connection.close())
                .onErrorResume(error -> this.generation.leave().then(Mono.error(error)))
                .then(this.generation.leave());
        if (this.connection.isAutoCommit()) {
            return giveBack;
        }
        return this.generation.runtime().reset(this.connection)
                .onErrorResume(failure -> discard()
                        .onErrorResume(SuppressedFailure.into(failure))
                        .then(giveBack)
                        .onErrorResume(SuppressedFailure.into(failure))
                        .then(Mono.error(failure)))
                .then(giveBack);
    }

    /** The name of the database the connection belongs to. */
    String databaseName() {
        return this.generation.runtime().name();
    }

    /** Closes the driver's connection under the pool's, so that the pool's validation discards it. */
    private Mono<Void> discard() {
        if (this.connection instanceof Wrapped) {
            Object unwrapped = ((Wrapped<?>) this.connection).unwrap();
            if (unwrapped instanceof Connection) {
                return Mono.from(((Connection) unwrapped).close());
            }
        }
        return Mono.empty();
    }
}
