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
 * HTTP requests to a Spring WebFlux server on Reactor Netty ({@link WebServer}), one per variant, against
 * the real PostgreSQL primary: {@code GET /items/{id}} (the point read), {@code POST /items} (the insert)
 * and {@code GET /ping} (no statement), see {@link WebRoutes}. With {@code context} every request is a
 * unit of work opened and finished by {@code ContextR2dbcWebFilter}; with {@code raw} and
 * {@code spring-client} every handler runs in a transaction of its own (and {@code /ping} takes a
 * connection, as a {@code @Transactional} handler does). The requests come from an HTTP client in the same
 * JVM ({@link BenchHttpClient}), 1 or 64 in flight, each checked for a 200. Scores are requests per
 * second, the HTTP stack on both ends included.
 *
 * <p>As in the other database benchmarks, the variant's pool is warmed up (directly, not over HTTP) before
 * the server starts; the server, the client and their connections warm up in JMH's warm-up iterations.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = BenchSettings.FORKS, jvmArgsAppend = {BenchSettings.HEAP_MIN, BenchSettings.HEAP_MAX, BenchSettings.GC})
@Warmup(iterations = BenchSettings.HTTP_WARMUP_ITERATIONS, time = BenchSettings.WARMUP_SECONDS,
        timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = BenchSettings.MEASUREMENT_ITERATIONS, time = BenchSettings.MEASUREMENT_SECONDS,
        timeUnit = TimeUnit.SECONDS)
public class WebFilterBenchmark {

    @Param({"raw", "context", "spring-client"})
    public String variant;

    @Param({"1", "64"})
    public int concurrency;

    private Trial trial;

    private WebServer server;

    private BenchHttpClient client;

    @Setup(Level.Trial)
    public void setUp() {
        this.trial = Trial.start(this.variant);
        this.server = WebServer.start(Variant.Kind.of(this.variant), this.trial.variant);
        this.client = new BenchHttpClient(this.server.port(), this.concurrency);
    }

    @TearDown(Level.Trial)
    public void tearDown(BenchmarkParams params) {
        this.client.close();
        this.server.close();
        this.trial.finish(params, "request", "requests");
    }

    @Benchmark
    @OperationsPerInvocation(BenchSettings.OPS_PER_INVOCATION)
    public Object pointRead() {
        BenchHttpClient client = this.client;
        return this.trial.run(this.concurrency, i -> client.get(WebRoutes.item(Workload.randomId())));
    }

    @Benchmark
    @OperationsPerInvocation(BenchSettings.OPS_PER_INVOCATION)
    public Object insert() {
        BenchHttpClient client = this.client;
        return this.trial.run(this.concurrency,
                i -> client.postJson(WebRoutes.ITEMS, new NewItem(Workload.INSERTED_NAME, i).json()));
    }

    @Benchmark
    @OperationsPerInvocation(BenchSettings.OPS_PER_INVOCATION)
    public Object ping() {
        BenchHttpClient client = this.client;
        return this.trial.run(this.concurrency, i -> client.get(WebRoutes.PING));
    }
}
