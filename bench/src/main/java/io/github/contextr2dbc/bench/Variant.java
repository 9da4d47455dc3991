package io.github.contextr2dbc.bench;

import java.util.Locale;

import io.r2dbc.pool.PoolMetrics;
import io.r2dbc.spi.ConnectionFactory;
import reactor.core.publisher.Mono;

/**
 * One way of running the workloads, each unit of work its own transaction on a pooled connection. Every
 * method returns a cold {@link Mono}: one unit of work per subscription.
 */
public interface Variant extends AutoCloseable {

    /** The variants, as named in the benchmarks' {@code variant} parameter. */
    enum Kind {
        /** Hand-written r2dbc-pool + r2dbc-postgresql code with {@code usingWhen}. */
        RAW,
        /** context-r2dbc: {@code dbSession(db)} inside {@code UnitOfWork.inNewUnitOfWork(...)}. */
        CONTEXT,
        /** context-r2dbc with an atomic block: {@code inNewUnitOfWork(atomic(db).wrap(dbSession(db)...))}. */
        CONTEXT_ATOMIC,
        /** Spring's {@code TransactionalOperator} + {@code DatabaseClient}. */
        SPRING_CLIENT,
        /** A Spring Data R2DBC repository inside a {@code TransactionalOperator}. */
        SPRING_DATA;

        /** The kind for a parameter value such as {@code spring-client}. */
        public static Kind of(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    /** Creates the variant {@code kind} on {@code database}, with the pool of {@link BenchSettings}. */
    static Variant create(Kind kind, BenchDatabase database) {
        return switch (kind) {
            case CONTEXT -> new ContextVariant(BenchSettings.database("bench", database.url()));
            case CONTEXT_ATOMIC -> new ContextAtomicVariant(BenchSettings.database("bench", database.url()));
            default -> create(kind, database.connectionFactory());
        };
    }

    /**
     * Creates the variant {@code kind} on an unpooled {@code connectionFactory} (the in-memory stub), with
     * the pool of {@link BenchSettings}.
     */
    static Variant create(Kind kind, ConnectionFactory connectionFactory) {
        return switch (kind) {
            case RAW -> new RawVariant(connectionFactory);
            case CONTEXT -> new ContextVariant(BenchSettings.database("bench", connectionFactory));
            case CONTEXT_ATOMIC -> new ContextAtomicVariant(BenchSettings.database("bench", connectionFactory));
            case SPRING_CLIENT -> new SpringClientVariant(connectionFactory);
            case SPRING_DATA -> new SpringDataVariant(connectionFactory);
        };
    }

    /** {@code BEGIN; SELECT ... WHERE id = $1; COMMIT}: the row of {@code id}. */
    Mono<Item> read(int id);

    /** {@code BEGIN; INSERT ... RETURNING id; COMMIT}: the generated id. */
    Mono<Long> insert(String name, int price);

    /**
     * A unit of work that runs no statement, emitting {@code value}.
     *
     * @throws UnsupportedOperationException for the Spring Data variant (it would be the Spring client's)
     */
    Mono<Integer> empty(int value);

    /** Connections taken from the pool since the variant was created. */
    long acquisitions();

    /** The pool's metrics (allocated, idle, acquired connections). */
    PoolMetrics poolMetrics();

    /** Disposes the pool. */
    @Override
    void close();
}
