package io.github.contextr2dbc.bench;

import java.time.Duration;
import java.util.function.Function;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.PoolMetrics;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Hand-written r2dbc-pool + r2dbc-postgresql code, the floor of overhead: acquire, {@code BEGIN},
 * statement, {@code COMMIT}, release, with {@code Mono.usingWhen} (rollback and release on error and on
 * cancel).
 */
final class RawVariant implements Variant {

    private final CountingConnectionFactory pool;

    /** The variant on an r2dbc-pool over {@code connectionFactory} (unpooled). */
    RawVariant(ConnectionFactory connectionFactory) {
        this.pool = new CountingConnectionFactory(new ConnectionPool(BenchSettings.pool(connectionFactory, "raw")));
    }

    @Override
    public Mono<Item> read(int id) {
        return inTransaction(connection -> Flux.from(connection.createStatement(Workload.READ_SQL)
                .bind(0, id).execute())
                .concatMap(result -> result.map(Item::of))
                .next());
    }

    @Override
    public Mono<Long> insert(String name, int price) {
        return inTransaction(connection -> Flux.from(connection.createStatement(Workload.INSERT_SQL)
                        .bind(0, name).bind(1, price).execute())
                .concatMap(result -> result.map(row -> row.get(0, Long.class)))
                .next());
    }

    @Override
    public Mono<Integer> empty(int value) {
        return inTransaction(connection -> Mono.just(value));
    }

    /** The usual hand-written transaction: commit, then release; on error or cancel roll back, then release. */
    private <T> Mono<T> inTransaction(Function<Connection, Mono<T>> work) {
        return Mono.usingWhen(this.pool.create(),
                connection -> Mono.from(connection.beginTransaction()).then(Mono.defer(() -> work.apply(connection))),
                connection -> Mono.from(connection.commitTransaction())
                        .onErrorResume(error -> Mono.from(connection.close()).then(Mono.error(error)))
                        .then(Mono.from(connection.close())),
                (connection, error) -> rollbackAndClose(connection),
                RawVariant::rollbackAndClose);
    }

    private static Mono<Void> rollbackAndClose(Connection connection) {
        return Mono.from(connection.rollbackTransaction())
                .onErrorResume(ignored -> Mono.empty())
                .then(Mono.from(connection.close()));
    }

    @Override
    public long acquisitions() {
        return this.pool.acquisitions();
    }

    @Override
    public PoolMetrics poolMetrics() {
        return this.pool.metrics();
    }

    @Override
    public void close() {
        this.pool.close().block(Duration.ofSeconds(30));
    }
}
