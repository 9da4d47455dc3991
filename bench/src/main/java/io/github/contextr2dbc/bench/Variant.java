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
        /**
         * Hand-written r2dbc-pool + r2dbc-postgresql code with {@code usingWhen}: {@code BEGIN}, then the statement.
         */
        RAW,
        /**
         * The same with {@code BEGIN} pipelined: {@code Mono.zip(begin, statement)} (the reference floor of round
         * 3: what a good engineer writes by hand).
         */
        RAW_PIPELINED,
        /** context-r2dbc: {@code dbSession(db)} inside {@code UnitOfWork.inNewUnitOfWork(...)}. */
        CONTEXT,
        /** context-r2dbc with an atomic block: {@code inNewUnitOfWork(atomic(db).wrap(dbSession(db)...))}. */
        CONTEXT_ATOMIC,
        /** Spring's {@code TransactionalOperator} + {@code DatabaseClient}. */
        SPRING_CLIENT,
        /** A Spring Data R2DBC repository inside a {@code TransactionalOperator}. */
        SPRING_DATA,
        /** context-r2dbc's QuerySets ({@code lib/data} repositories) inside {@code inNewUnitOfWork(...)}. */
        CONTEXT_QUERYSET;

        /** The kind for a parameter value such as {@code spring-client}. */
        public static Kind of(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
        }

        /** The parameter value of the kind, such as {@code spring-client}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /**
         * Whether the kind's empty unit of work is lazy (opens no transaction, takes no connection: context-r2dbc)
         * or eager (acquire, {@code BEGIN}, {@code COMMIT}, release: the others).
         */
        public boolean lazy() {
            return this == CONTEXT || this == CONTEXT_ATOMIC || this == CONTEXT_QUERYSET;
        }
    }

    /** Creates the variant {@code kind} on {@code database}, with the pool of {@link BenchSettings}. */
    static Variant create(Kind kind, BenchDatabase database) {
        return create(kind, database.url());
    }

    /**
     * Creates the variant {@code kind} on the database at the R2DBC {@code url}, with the pool of
     * {@link BenchSettings}.
     */
    static Variant create(Kind kind, String url) {
        return switch (kind) {
            case CONTEXT -> new ContextVariant(BenchSettings.database("bench", url));
            case CONTEXT_ATOMIC -> new ContextAtomicVariant(BenchSettings.database("bench", url));
            case CONTEXT_QUERYSET -> new QuerySetVariant(BenchSettings.database("bench", url));
            default -> create(kind, io.r2dbc.spi.ConnectionFactories.get(url));
        };
    }

    /**
     * Creates the variant {@code kind} on an unpooled {@code connectionFactory} (the in-memory stub), with
     * the pool of {@link BenchSettings}.
     */
    static Variant create(Kind kind, ConnectionFactory connectionFactory) {
        return switch (kind) {
            case RAW -> new RawVariant(connectionFactory, false);
            case RAW_PIPELINED -> new RawVariant(connectionFactory, true);
            case CONTEXT -> new ContextVariant(BenchSettings.database("bench", connectionFactory));
            case CONTEXT_ATOMIC -> new ContextAtomicVariant(BenchSettings.database("bench", connectionFactory));
            case SPRING_CLIENT -> new SpringClientVariant(connectionFactory);
            case SPRING_DATA -> new SpringDataVariant(connectionFactory);
            case CONTEXT_QUERYSET -> new QuerySetVariant(BenchSettings.database("bench", connectionFactory));
        };
    }

    /** {@code BEGIN; SELECT ... WHERE id = $1; COMMIT}: the row of {@code id}. */
    Mono<Item> read(int id);

    /** {@code BEGIN; INSERT ... RETURNING id; COMMIT}: the generated id. */
    Mono<Long> insert(String name, int price);

    /**
     * The atomic block with a nested savepoint: {@code BEGIN; SELECT … (the point read); SAVEPOINT; UPDATE
     * bench_stock … WHERE id = $1; RELEASE SAVEPOINT; COMMIT}: the item read.
     *
     * @throws UnsupportedOperationException for the variants that cannot express a savepoint (context-r2dbc's
     *     plain unit of work: a savepoint needs an atomic block, which is the {@code context-atomic} variant)
     */
    default Mono<Item> readUpdateSavepoint(int id) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no savepoint workload");
    }

    /** Whether the kind can run {@link #readUpdateSavepoint(int)}. */
    static boolean savepoints(Kind kind) {
        return kind != Kind.CONTEXT && kind != Kind.CONTEXT_QUERYSET;
    }

    /**
     * The filtered list: {@link Workload#LIST_ROWS} rows of {@code bench_item} from id {@code from} on, in id
     * order, in a transaction: the sum of their prices.
     *
     * @throws UnsupportedOperationException for the variants that do not run it (see {@link #lists(Kind)})
     */
    default Mono<Long> list(int from) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no filtered-list workload");
    }

    /** Whether the kind can run {@link #list(int)}: the reference, hand-written context-r2dbc and the QuerySet. */
    static boolean lists(Kind kind) {
        return kind == Kind.RAW_PIPELINED || kind == Kind.CONTEXT || kind == Kind.CONTEXT_QUERYSET;
    }

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
