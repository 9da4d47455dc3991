package io.github.contextr2dbc.bench;

import java.util.function.IntFunction;

import org.openjdk.jmh.infra.BenchmarkParams;
import reactor.core.publisher.Mono;

/**
 * One JMH trial of a database benchmark: a fresh database, the variant with its warmed-up pool, and the
 * count of units of work run (requests, in {@link WebFilterBenchmark}), so that pool acquisitions per unit
 * of work can be printed once at the end.
 */
final class Trial {

    final BenchDatabase database;

    final Variant variant;

    private final long acquisitionsBefore;

    private long units;

    private Trial(BenchDatabase database, Variant variant) {
        this.database = database;
        this.variant = variant;
        warmUpPool(variant);
        this.acquisitionsBefore = variant.acquisitions();
    }

    /** Creates the database and the variant {@code kind}, and warms its pool up. */
    static Trial start(String kind) {
        BenchDatabase database = BenchDatabase.create();
        return new Trial(database, Variant.create(Variant.Kind.of(kind), database));
    }

    /**
     * Fills the pool: point reads, 64 in flight, until all {@link BenchSettings#POOL_SIZE} connections are
     * open (r2dbc-postgresql runs a catalog query on every new connection; no variant pays it while
     * measured), then one more batch so that every connection has prepared the read.
     */
    static void warmUpPool(Variant variant) {
        if (BenchSettings.quick()) {
            Load.run(BenchSettings.QUICK_UNITS, 64, i -> variant.read(Workload.randomId()));
            return;
        }
        int batches = 0;
        do {
            Load.run(BenchSettings.OPS_PER_INVOCATION, 64, i -> variant.read(Workload.randomId()));
            batches++;
        } while (variant.poolMetrics().allocatedSize() < BenchSettings.POOL_SIZE && batches < 20);
        Load.run(BenchSettings.OPS_PER_INVOCATION, 64, i -> variant.read(Workload.randomId()));
        if (variant.poolMetrics().allocatedSize() < BenchSettings.POOL_SIZE) {
            System.out.println("# WARNING: the pool holds " + variant.poolMetrics().allocatedSize()
                    + " connections, not "
                    + BenchSettings.POOL_SIZE + ", after warm-up");
        }
    }

    /**
     * Runs one invocation's units of work, {@code concurrency} at a time, and counts them.
     *
     * @return the last unit of work's value
     */
    Object run(int concurrency, IntFunction<? extends Mono<?>> unitOfWork) {
        int count = BenchSettings.unitsPerInvocation();
        this.units += count;
        return Load.run(count, concurrency, unitOfWork);
    }

    /** Prints the acquisitions per unit of work of the trial (warm-up and measurement iterations) and closes. */
    void finish(BenchmarkParams params) {
        finish(params, "unit of work", "units of work");
    }

    /**
     * Prints the acquisitions per unit of the trial (warm-up and measurement iterations), naming the unit
     * ({@code "request"}, {@code "requests"}), and closes.
     */
    void finish(BenchmarkParams params, String unit, String units) {
        long acquisitions = this.variant.acquisitions() - this.acquisitionsBefore;
        System.out.printf("%n# acquisitions: %s %s: %.3f per %s (%d acquisitions / %d %s); pool: %d connections%n",
                params.getBenchmark().replaceFirst("^.*\\.(\\w+\\.\\w+)$", "$1"), params.getParam("variant")
                        + " concurrency=" + params.getParam("concurrency"),
                this.units == 0 ? 0.0 : (double) acquisitions / this.units, unit, acquisitions, this.units, units,
                this.variant.poolMetrics().allocatedSize());
        this.variant.close();
    }
}
