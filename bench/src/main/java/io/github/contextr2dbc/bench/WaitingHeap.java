package io.github.contextr2dbc.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

import io.github.contextr2dbc.bench.stub.GatedConnectionFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The heap a unit of work retains while it waits for a connection, without a database: on the
 * {@linkplain GatedConnectionFactory gated stub}, the pool's {@link BenchSettings#POOL_SIZE} connections are
 * held by units of work whose statement waits for the gate, and the others queue for a connection; the heap
 * after a full GC, minus the heap before, divided by the units started. The same measure as
 * {@link ScalingCurve}'s against PostgreSQL, in a second and with no other process involved; the figure
 * includes the bounded {@code flatMap}'s inner subscriber (about 56 B) that every variant pays.
 *
 * <pre>{@code
 * java -Xms1g -Xmx1g -XX:+UseParallelGC -cp bench/target/benchmarks.jar io.github.contextr2dbc.bench.WaitingHeap \
 *     [units waiting, default 10000] [variants, default all: raw-pipelined,context,...]
 * }</pre>
 * {@code -Dbench.heap.histogram=true} also prints the classes whose live objects grew per waiting unit of work
 * (read the classes; take the bytes from a run without it), {@code -Dbench.heap.histogram.rows=N} how many.
 */
public final class WaitingHeap {

    private WaitingHeap() {
    }

    public static void main(String[] args) {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        List<Variant.Kind> kinds = new ArrayList<>();
        if (args.length > 1) {
            for (String kind : args[1].split(",")) {
                kinds.add(Variant.Kind.of(kind));
            }
        } else {
            kinds.addAll(List.of(Variant.Kind.values()));
        }
        for (Variant.Kind kind : kinds) {
            System.out.printf(Locale.ROOT, "%-16s point read: %.0f B retained per waiting unit of work (%d waiting)%n",
                    kind.label(), measure(kind, count), count);
        }
        System.exit(0);
    }

    /** The retained bytes per waiting point read of {@code kind}, measured with {@code count} units of work. */
    static double measure(Variant.Kind kind, int count) {
        GatedConnectionFactory gated = new GatedConnectionFactory();
        try (Variant variant = Variant.create(kind, gated)) {
            IntFunction<Mono<?>> read = i -> variant.read(1);
            Load.run(2000, 64, read); // compiled, and every class loaded
            // every connection of the pool opened (no pool growth inside the measure)
            retained(gated, variant, read, 4 * BenchSettings.POOL_SIZE, false);
            retained(gated, variant, read, count, false); // once more: lazily grown queues and arrays are grown
            return retained(gated, variant, read, count, Boolean.getBoolean("bench.heap.histogram"));
        }
    }

    private static double retained(GatedConnectionFactory gated, Variant variant, IntFunction<Mono<?>> read,
            int count, boolean histogram) {
        Map<String, long[]> histogramBefore = histogram ? ScalingCurve.histogram() : null;
        long before = ScalingCurve.usedHeapAfterGc();
        gated.close();
        Disposable running = Flux.range(0, count).flatMap(read::apply, count, 1).subscribe(null, error -> { });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (variant.poolMetrics().pendingAcquireSize() < count - BenchSettings.POOL_SIZE
                && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        int pending = variant.poolMetrics().pendingAcquireSize();
        long after = ScalingCurve.usedHeapAfterGc();
        if (histogram) {
            ScalingCurve.printHistogramGrowth(histogramBefore, count);
        }
        gated.open();
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!running.isDisposed() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        if (pending < count - BenchSettings.POOL_SIZE || !running.isDisposed()) {
            throw new IllegalStateException(pending + " of " + count + " units of work waited for a connection; "
                    + (running.isDisposed() ? "all" : "not all") + " finished");
        }
        return (double) (after - before) / count;
    }
}
