package io.github.contextr2dbc.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.launcher.DirectSql;
import io.github.contextr2dbc.launcher.PostgresPair;
import io.github.contextr2dbc.test.TestTransaction;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.UnitOfWork.dbSession;

/**
 * What one database test costs with each way of leaving the database clean: {@code rollback} is what
 * {@code @RollbackPerTest} does (one pinned connection in a transaction, the test's units of work on
 * savepoints, one {@code ROLLBACK} at the end); {@code truncate} really commits and then empties the tables
 * ({@code TRUNCATE ... CASCADE} of {@code tables} tables, as {@code @CommitAndCleanUp} or a cleanup script
 * does). The test body is the same: three units of work, each inserting a row, and one counting them. Scores
 * are milliseconds per test.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {BenchSettings.HEAP_MIN, BenchSettings.HEAP_MAX, BenchSettings.GC})
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
public class RollbackPerTestBenchmark {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Param({"rollback", "truncate"})
    public String cleanup;

    /** How many tables the schema has (the truncate variant empties them all, as a cleanup script would). */
    @Param({"1", "10"})
    public int tables;

    private Database database;

    private String truncateAll;

    private final AtomicLong names = new AtomicLong();

    @Setup(Level.Trial)
    public void setUp() {
        PostgresPair pair = PostgresPair.shared();
        String name = pair.createDatabase("bench_rollback");
        List<String> schema = new ArrayList<>();
        List<String> all = new ArrayList<>();
        for (int i = 0; i < this.tables; i++) {
            schema.add("CREATE TABLE t" + i + " (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE)");
            all.add("t" + i);
        }
        new DirectSql(pair.primaryUrl(name)).execute(schema.toArray(new String[0]));
        this.truncateAll = "TRUNCATE TABLE " + String.join(", ", all) + " CASCADE";
        this.database = Database.builder("bench").url(pair.primaryUrl(name)).maxSize(4).build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        this.database.close().block(TIMEOUT);
    }

    @Benchmark
    public Long oneTest() {
        if (this.cleanup.equals("rollback")) {
            TestTransaction transaction = TestTransaction.begin(this.database);
            try {
                return body();
            } finally {
                transaction.close();
            }
        }
        Long count = body();
        UnitOfWork.inNewUnitOfWork(dbSession(this.database).flatMap(session -> session.sql(this.truncateAll).execute()))
                .block(TIMEOUT);
        return count;
    }

    private Long body() {
        Mono<Long> insert = Mono.defer(() -> UnitOfWork.inNewUnitOfWork(dbSession(this.database)
                .flatMap(session -> session.sql("INSERT INTO t0 (name) VALUES ($1)")
                        .bind(0, "n" + this.names.incrementAndGet()).rowsUpdated())));
        Mono<Long> count = UnitOfWork.inNewUnitOfWork(dbSession(this.database).flatMap(session -> session
                .sql("SELECT count(*) FROM t0").one(row -> row.get(0, Long.class))));
        return insert.then(insert).then(insert).then(count).block(TIMEOUT);
    }
}
