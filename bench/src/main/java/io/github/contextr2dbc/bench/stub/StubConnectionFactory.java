package io.github.contextr2dbc.bench.stub;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import reactor.core.publisher.Mono;

/**
 * An in-memory R2DBC connection factory: connections that answer every statement at once, on the
 * calling thread, from preallocated results, so that a benchmark on it measures the code around the
 * driver (pool, transactions, context machinery) and nothing else.
 *
 * <p>A statement starting with {@code SELECT} (or ending with a {@code RETURNING} clause) yields one row,
 * {@code id = 1, name = 'item 1', price = 1} (the {@code bench_item} row of id 1); anything else
 * ({@code BEGIN}, {@code ROLLBACK}, an update) yields an update count. Bound values are ignored.
 * Transaction methods complete at once.
 */
public final class StubConnectionFactory implements ConnectionFactory {

    private static final ConnectionFactoryMetadata METADATA = () -> "stub";

    @Override
    public Mono<Connection> create() {
        return Mono.fromSupplier(StubConnection::new);
    }

    @Override
    public ConnectionFactoryMetadata getMetadata() {
        return METADATA;
    }
}
