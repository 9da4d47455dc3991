package io.github.contextr2dbc.bench;

import java.util.concurrent.TimeUnit;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.DbSession;
import io.github.contextr2dbc.Routing;
import io.github.contextr2dbc.RoutingHint;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.bench.stub.StubConnectionFactory;
import io.github.contextr2dbc.data.Repository;
import io.r2dbc.pool.ConnectionPool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.springframework.data.annotation.Id;
import org.springframework.data.relational.core.mapping.Table;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;

/**
 * The CPU and allocation cost of the unit-of-work machinery alone, on the in-memory
 * {@link StubConnectionFactory} (run with {@code -prof gc} for bytes per operation): everything completes
 * synchronously on the benchmark thread, so the score is the code's own time. Every benchmark subscribes
 * and blocks once; {@link #baseline()} is that cost alone.
 *
 * <p>The {@code *Transaction} benchmarks run the same code as the database variants (acquire from
 * r2dbc-pool, {@code BEGIN}, the point read, {@code COMMIT}, release), on the stub: their differences are
 * the cost of each variant's machinery per unit of work.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = BenchSettings.FORKS, jvmArgsAppend = {BenchSettings.HEAP_MIN, BenchSettings.HEAP_MAX, BenchSettings.GC})
@Warmup(iterations = BenchSettings.WARMUP_ITERATIONS, time = BenchSettings.WARMUP_SECONDS, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = BenchSettings.MEASUREMENT_ITERATIONS, time = BenchSettings.MEASUREMENT_SECONDS,
        timeUnit = TimeUnit.SECONDS)
public class ContextMachineryBenchmark {

    private final StubConnectionFactory stub = new StubConnectionFactory();

    private Variant raw;

    private Variant rawPipelined;

    private Variant context;

    private Variant contextAtomic;

    private Variant springClient;

    private Variant springData;

    private Database db;

    private ConnectionPool pool;

    private Mono<DbSession> lookup;

    private Mono<Integer> empty;

    private Mono<Integer> unusedSession;

    private Database routedPrimary;

    private Database routedReplica;

    private Mono<Item> routedRead;

    private Mono<Item> unroutedRead;
    private Repository<DataItem, Integer> items;

    /** {@code bench_item} for the query set point read. */
    @Table("bench_item")
    public record DataItem(@Id Integer id, String name, Integer price) {

        Item toItem() {
            return new Item(this.id, this.name, this.price);
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        this.raw = Variant.create(Variant.Kind.RAW, this.stub);
        this.rawPipelined = Variant.create(Variant.Kind.RAW_PIPELINED, this.stub);
        this.context = Variant.create(Variant.Kind.CONTEXT, this.stub);
        this.contextAtomic = Variant.create(Variant.Kind.CONTEXT_ATOMIC, this.stub);
        this.springClient = Variant.create(Variant.Kind.SPRING_CLIENT, this.stub);
        this.springData = Variant.create(Variant.Kind.SPRING_DATA, this.stub);
        this.db = BenchSettings.database("stub", this.stub);
        this.pool = new ConnectionPool(BenchSettings.pool(this.stub, "stub-pool"));
        UnitOfWork unitOfWork = UnitOfWork.create();
        unitOfWork.session(this.db);
        this.lookup = dbSession(this.db).contextWrite(unitOfWork.bind());
        this.empty = inNewUnitOfWork(Mono.just(1));
        this.unusedSession = inNewUnitOfWork(dbSession(this.db).map(session -> 1));
        this.routedPrimary = BenchSettings.database("stub-primary", this.stub);
        this.routedReplica = BenchSettings.replica("stub-replica", this.stub, this.routedPrimary);
        Routing routing = Routing.builder(this.routedPrimary).databases(this.routedReplica).build();
        this.routedRead = inNewUnitOfWork(routing.readSession(RoutingHint.of(Item.class))
                .flatMap(session -> session.sql(Workload.READ_SQL).bind(0, 1).one(Item::of)));
        this.unroutedRead = inNewUnitOfWork(dbSession(this.routedReplica)
                .flatMap(session -> session.sql(Workload.READ_SQL).bind(0, 1).one(Item::of)));
        if (!Workload.expected(1).equals(this.routedRead.block()) || this.routedReplica.acquisitions() != 1) {
            throw new IllegalStateException("The routed read did not go to the stub replica");
        }
        this.items = Repository.of(this.db, DataItem.class);
        if (!Workload.expected(1).equals(querySetPointRead().toItem())
                || !Workload.expected(1).equals(handWrittenPointRead())) {
            throw new IllegalStateException("The point reads read " + querySetPointRead() + " and "
                    + handWrittenPointRead() + " from the stub");
        }
        for (Variant variant : variants()) {
            Item item = variant.read(1).block();
            if (!Workload.expected(1).equals(item)) {
                throw new IllegalStateException(variant + " read " + item + " from the stub");
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Variant variant : variants()) {
            variant.close();
        }
        this.db.close().block();
        this.routedReplica.close().block();
        this.routedPrimary.close().block();
        this.pool.disposeLater().block();
    }

    private Variant[] variants() {
        return new Variant[] {this.raw, this.rawPipelined, this.context, this.contextAtomic, this.springClient,
            this.springData};
    }

    /** {@code Mono.just(1).block()}: the subscribe-and-block cost that every other score includes. */
    @Benchmark
    public Integer baseline() {
        return Mono.just(1).block();
    }

    /**
     * r2dbc-pool alone, with the settings every variant uses: acquire a connection and release it. The
     * floor under every {@code *Transaction} benchmark.
     */
    @Benchmark
    public Object poolAcquireRelease() {
        return this.pool.create().flatMap(connection -> Mono.from(connection.close())).block();
    }

    /** {@code inNewUnitOfWork(Mono.just(1))}: a unit of work that never asks for a session. */
    @Benchmark
    public Integer emptyUnitOfWork() {
        return this.empty.block();
    }

    /** {@code inNewUnitOfWork(dbSession(db).map(...))}: the session is created, never used (opens nothing). */
    @Benchmark
    public Integer unusedSessionUnitOfWork() {
        return this.unusedSession.block();
    }

    /** {@code dbSession(db)} in a unit of work that already holds the session: the lookup alone. */
    @Benchmark
    public DbSession dbSessionLookup() {
        return this.lookup.block();
    }

    /** context-r2dbc: a unit of work running the point read ({@link ContextVariant#read(int)}). */
    @Benchmark
    public Item contextTransaction() {
        return this.context.read(1).block();
    }

    /**
     * context-r2dbc with an atomic block: the point read in {@code atomic(db).wrap(...)} inside the unit of
     * work ({@link ContextAtomicVariant#read(int)}).
     */
    @Benchmark
    public Item contextAtomicTransaction() {
        return this.contextAtomic.read(1).block();
    }

    /** Hand-written r2dbc-pool code: the point read in a transaction ({@link RawVariant#read(int)}). */
    @Benchmark
    public Item rawTransaction() {
        return this.raw.read(1).block();
    }

    /** The same with {@code BEGIN} pipelined ({@code Mono.zip(begin, statement)}): the reference floor. */
    @Benchmark
    public Item rawPipelinedTransaction() {
        return this.rawPipelined.read(1).block();
    }

    /**
     * Spring {@code TransactionalOperator} + {@code DatabaseClient}: the point read ({@link
     * SpringClientVariant#read(int)}).
     */
    @Benchmark
    public Item springClientTransaction() {
        return this.springClient.read(1).block();
    }

    /**
     * Spring Data repository {@code findById} in a {@code TransactionalOperator} ({@link SpringDataVariant#read(int)}).
     */
    @Benchmark
    public Item springDataTransaction() {
        return this.springData.read(1).block();
    }

    /**
     * The point read on a replica chosen by {@code Routing.readSession(hint)} (one replica in rotation, no token):
     * the routing decision, and the replica's write check of the SQL, on top of {@link #replicaTransaction()}.
     */
    @Benchmark
    public Item routedTransaction() {
        return this.routedRead.block();
    }

    /** The same point read on the same replica, asked for with {@code dbSession(replica)}: no routing. */
    @Benchmark
    public Item replicaTransaction() {
        return this.unroutedRead.block();
    }

    /**
     * A repository point read, {@code items.get(1)} ({@code objects().filter("id", 1).get()}: the SQL built with
     * the SQL model once and then only bound, the row mapped with Spring Data's mapping metadata and
     * converters), in a unit of work on the stub. Compare with {@link #handWrittenPointRead()}: each maps the row
     * to one object (here the entity, there an {@link Item}), with no further operator.
     */
    @Benchmark
    public DataItem querySetPointRead() {
        return inNewUnitOfWork(this.items.get(1)).block();
    }

    /**
     * The same point read written by hand: {@code dbSession(db)}, a literal SQL string and a row mapper, in a
     * unit of work on the same stub database as {@link #querySetPointRead()}.
     */
    @Benchmark
    public Item handWrittenPointRead() {
        return inNewUnitOfWork(dbSession(this.db).flatMap(session -> session
                .sql("SELECT bench_item.id, bench_item.name, bench_item.price FROM bench_item WHERE bench_item.id = $1")
                .bind(0, 1)
                .one(Item::of))).block();
    }
}
