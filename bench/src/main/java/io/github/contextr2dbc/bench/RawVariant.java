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
 *
 * <p>Two ways ({@link Variant.Kind#RAW}, {@link Variant.Kind#RAW_PIPELINED}): plain, {@code BEGIN} then the
 * statement once {@code BEGIN} has answered (three round trips); and pipelined, as a good engineer would
 * write it, {@code Mono.zip(begin, statement)}: both are subscribed at once, and r2dbc-postgresql sends the
 * statement without waiting for {@code BEGIN}'s answer (two round trips, like context-r2dbc). The pipelined
 * one is the reference floor of round 3 ({@code DESIGN.md} §4).
 */
final class RawVariant implements Variant {

    private static final String SAVEPOINT = "s1";

    private final CountingConnectionFactory pool;

    private final boolean pipelined;

    /** The variant on an r2dbc-pool over {@code connectionFactory} (unpooled); {@code BEGIN} pipelined or not. */
    RawVariant(ConnectionFactory connectionFactory, boolean pipelined) {
        this(new CountingConnectionFactory(new ConnectionPool(BenchSettings.pool(connectionFactory,
                pipelined ? "raw-pipelined" : "raw"))), pipelined);
    }

    /** The variant on {@code pool}, which it closes. */
    RawVariant(CountingConnectionFactory pool, boolean pipelined) {
        this.pipelined = pipelined;
        this.pool = pool;
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

    /** The point read, then {@code SAVEPOINT}, the update, {@code RELEASE SAVEPOINT} (rolled back to it on error). */
    @Override
    public Mono<Item> readUpdateSavepoint(int id) {
        return inTransaction(connection -> Flux.from(connection.createStatement(Workload.READ_SQL).bind(0, id)
                        .execute())
                .concatMap(result -> result.map(Item::of))
                .next()
                .flatMap(item -> Mono.from(connection.createSavepoint(SAVEPOINT))
                        .then(Flux.from(connection.createStatement(Workload.UPDATE_SQL).bind(0, id).execute())
                                .concatMap(result -> result.getRowsUpdated()).then())
                        .then(Mono.from(connection.releaseSavepoint(SAVEPOINT)))
                        .onErrorResume(error -> Mono.from(connection.rollbackTransactionToSavepoint(SAVEPOINT))
                                .then(Mono.error(error)))
                        .thenReturn(item)));
    }

    /** The filtered list: {@link Workload#LIST_SQL}, every row read. */
    @Override
    public Mono<Long> list(int from) {
        return inTransaction(connection -> Flux.from(connection.createStatement(Workload.LIST_SQL)
                        .bind(0, from).bind(1, from + Workload.LIST_ROWS).execute())
                .concatMap(result -> result.map(row -> (long) row.get(2, Integer.class)))
                .reduce(0L, Long::sum));
    }

    @Override
    public Mono<Integer> empty(int value) {
        return inTransaction(connection -> Mono.just(value));
    }

    /**
     * The usual hand-written transaction: commit, then release; on error or cancel roll back, then release.
     * {@code BEGIN}, then the work; or, pipelined, {@code BEGIN} and the work subscribed together (the work's
     * value once both have answered; a {@code BEGIN} that fails fails the unit of work).
     */
    private <T> Mono<T> inTransaction(Function<Connection, Mono<T>> work) {
        return Mono.usingWhen(this.pool.create(),
                connection -> this.pipelined
                        ? Mono.zip(Mono.from(connection.beginTransaction()).thenReturn(Boolean.TRUE),
                                work.apply(connection), (begun, value) -> value)
                        : Mono.from(connection.beginTransaction()).then(Mono.defer(() -> work.apply(connection))),
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
