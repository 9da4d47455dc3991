package io.github.contextr2dbc.bench;

import java.time.Duration;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.PoolMetrics;
import io.r2dbc.spi.ConnectionFactory;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.binding.BindMarkersFactory;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.transaction.support.DefaultTransactionDefinition;
import reactor.core.publisher.Mono;

/**
 * Spring's reactive transactions: {@code TransactionalOperator} over an {@code R2dbcTransactionManager},
 * and {@code DatabaseClient} for the statement, both on one r2dbc-pool (the pool of {@link BenchSettings}).
 */
class SpringClientVariant implements Variant {

    final CountingConnectionFactory pool;

    final DatabaseClient client;

    final TransactionalOperator transactional;

    /** {@code PROPAGATION_NESTED}: a savepoint inside the transaction of {@link #transactional}. */
    final TransactionalOperator nested;

    /** The variant on an r2dbc-pool over {@code connectionFactory} (unpooled). */
    SpringClientVariant(ConnectionFactory connectionFactory) {
        this.pool = new CountingConnectionFactory(
                new ConnectionPool(BenchSettings.pool(connectionFactory, getClass().getSimpleName())));
        // PostgreSQL's $1, $2, ... (what Spring resolves from the driver's metadata; named here so the stub works too)
        this.client = DatabaseClient.builder()
                .connectionFactory(this.pool)
                .bindMarkers(BindMarkersFactory.indexed("$", 1))
                .build();
        R2dbcTransactionManager manager = new R2dbcTransactionManager(this.pool);
        this.transactional = TransactionalOperator.create(manager);
        this.nested = TransactionalOperator.create(manager,
                new DefaultTransactionDefinition(TransactionDefinition.PROPAGATION_NESTED));
    }

    @Override
    public Mono<Item> read(int id) {
        return this.client.sql(Workload.READ_SQL)
                .bind(0, id)
                .map(Item::of)
                .one()
                .as(this.transactional::transactional);
    }

    @Override
    public Mono<Long> insert(String name, int price) {
        return this.client.sql(Workload.INSERT_SQL)
                .bind(0, name)
                .bind(1, price)
                .map(row -> row.get(0, Long.class))
                .one()
                .as(this.transactional::transactional);
    }

    /** The point read, then the update in a nested transaction (a savepoint). */
    @Override
    public Mono<Item> readUpdateSavepoint(int id) {
        return this.client.sql(Workload.READ_SQL)
                .bind(0, id)
                .map(Item::of)
                .one()
                .flatMap(item -> this.client.sql(Workload.UPDATE_SQL).bind(0, id).fetch().rowsUpdated()
                        .as(this.nested::transactional)
                        .thenReturn(item))
                .as(this.transactional::transactional);
    }

    /** A transaction that runs no statement (Spring acquires and sends {@code BEGIN} when it starts). */
    @Override
    public Mono<Integer> empty(int value) {
        return Mono.just(value).as(this.transactional::transactional);
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
