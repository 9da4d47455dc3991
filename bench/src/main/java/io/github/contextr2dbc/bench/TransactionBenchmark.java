package io.github.contextr2dbc.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Units of work against the real PostgreSQL primary, each one transaction: a point read by primary key
 * ({@code BEGIN; SELECT; COMMIT}) and an insert ({@code BEGIN; INSERT ... RETURNING id; COMMIT}), for
 * every variant, with 1 and 64 units of work in flight. Scores are units of work per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = BenchSettings.FORKS, jvmArgsAppend = {BenchSettings.HEAP_MIN, BenchSettings.HEAP_MAX, BenchSettings.GC})
@Warmup(iterations = BenchSettings.WARMUP_ITERATIONS, time = BenchSettings.WARMUP_SECONDS, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = BenchSettings.MEASUREMENT_ITERATIONS, time = BenchSettings.MEASUREMENT_SECONDS,
        timeUnit = TimeUnit.SECONDS)
public class TransactionBenchmark {

    @Param({"raw", "raw-pipelined", "context", "context-atomic", "spring-client", "spring-data", "context-queryset"})
    public String variant;

    @Param({"1", "64"})
    public int concurrency;

    private Trial trial;

    @Setup(Level.Trial)
    public void setUp() {
        this.trial = Trial.start(this.variant);
    }

    @TearDown(Level.Trial)
    public void tearDown(BenchmarkParams params) {
        this.trial.finish(params);
    }

    @Benchmark
    @OperationsPerInvocation(BenchSettings.OPS_PER_INVOCATION)
    public Object pointRead() {
        Variant variant = this.trial.variant;
        return this.trial.run(this.concurrency, i -> variant.read(Workload.randomId()));
    }

    @Benchmark
    @OperationsPerInvocation(BenchSettings.OPS_PER_INVOCATION)
    public Object insert() {
        Variant variant = this.trial.variant;
        return this.trial.run(this.concurrency, i -> variant.insert(Workload.INSERTED_NAME, i));
    }
}
