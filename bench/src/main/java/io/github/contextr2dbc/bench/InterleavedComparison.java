package io.github.contextr2dbc.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;

import reactor.core.publisher.Mono;

/**
 * The variants side by side in one JVM, on one database, in short alternating slices: a companion to
 * the JMH benchmarks for a shared, noisy machine. JMH measures one variant after another, minutes apart,
 * so a build that starts on the same cores halfway through the run shifts one variant's score and not
 * the other's. Here every round runs each variant for one slice, in a rotating order, so that slow
 * moments hit all variants alike; each round's ratios are paired (measured within the same few seconds),
 * and the report gives their median and range over the rounds.
 *
 * <pre>{@code
 * java -cp bench/target/benchmarks.jar io.github.contextr2dbc.bench.InterleavedComparison [rounds] [slice ms]
 * }</pre>
 * (defaults: {@value #DEFAULT_ROUNDS} rounds of {@value #DEFAULT_SLICE_MS} ms per variant, for each
 * workload and concurrency: about 6.5 minutes).
 */
public final class InterleavedComparison {

    static final int DEFAULT_ROUNDS = 12;

    static final int DEFAULT_SLICE_MS = 1000;

    /** Units of work per batch; a slice runs whole batches (fewer in the quick mode). */
    private static int batch() {
        return BenchSettings.quick() ? BenchSettings.QUICK_UNITS : 256;
    }

    private InterleavedComparison() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : DEFAULT_ROUNDS;
        int sliceMillis = args.length > 1 ? Integer.parseInt(args[1]) : DEFAULT_SLICE_MS;
        run(rounds, sliceMillis, System.out::println);
        System.exit(0);
    }

    /** One workload, as every variant runs it. */
    private enum Workload {
        POINT_READ(variant -> i -> variant.read(io.github.contextr2dbc.bench.Workload.randomId())),
        INSERT(variant -> i -> variant.insert(io.github.contextr2dbc.bench.Workload.INSERTED_NAME, i)),
        EMPTY_UNIT_OF_WORK(variant -> variant::empty);

        final java.util.function.Function<Variant, IntFunction<Mono<?>>> unitOfWork;

        Workload(java.util.function.Function<Variant, IntFunction<Mono<?>>> unitOfWork) {
            this.unitOfWork = unitOfWork;
        }
    }

    /**
     * Runs the comparison and reports through {@code out}.
     *
     * @return the median paired ratio context/raw of each workload and concurrency, in report order
     */
    static List<Double> run(int rounds, int sliceMillis, java.util.function.Consumer<String> out) {
        BenchDatabase database = BenchDatabase.create();
        Map<Variant.Kind, Variant> variants = new EnumMap<>(Variant.Kind.class);
        List<Double> contextToRaw = new ArrayList<>();
        try {
            for (Variant.Kind kind : Variant.Kind.values()) {
                Variant variant = Variant.create(kind, database);
                variants.put(kind, variant);
                Trial.warmUpPool(variant);
            }
            out.accept(String.format(Locale.ROOT, "# interleaved: %d rounds, %d ms per variant per round, pool %d, "
                    + "batches of %d units of work", rounds, sliceMillis, BenchSettings.POOL_SIZE, batch()));
            out.accept(String.format(Locale.ROOT, "%-19s %4s %-14s %12s %18s %10s %18s %9s", "workload", "conc",
                    "variant", "median ops/s", "min..max ops/s", "ctx/this", "min..max ctx/this", "acq/op"));
            for (Workload workload : Workload.values()) {
                List<Variant.Kind> kinds = new ArrayList<>(List.of(Variant.Kind.values()));
                if (workload == Workload.EMPTY_UNIT_OF_WORK) {
                    kinds.remove(Variant.Kind.SPRING_DATA);
                }
                for (int concurrency : new int[] {1, 64}) {
                    contextToRaw.add(compare(workload, concurrency, kinds, variants, rounds, sliceMillis, out));
                }
            }
        } finally {
            variants.values().forEach(Variant::close);
        }
        return contextToRaw;
    }

    private static double compare(Workload workload, int concurrency, List<Variant.Kind> kinds,
            Map<Variant.Kind, Variant> variants, int rounds, int sliceMillis, java.util.function.Consumer<String> out) {
        int n = kinds.size();
        double[][] rates = new double[n][rounds];
        long[] acquisitions = new long[n];
        long[] units = new long[n];
        for (int k = 0; k < n; k++) {
            // warm-up: one slice each, not counted
            slice(variants.get(kinds.get(k)), workload, concurrency, sliceMillis);
        }
        for (int round = 0; round < rounds; round++) {
            for (int step = 0; step < n; step++) {
                int k = (round + step) % n;
                Variant variant = variants.get(kinds.get(k));
                long before = variant.acquisitions();
                long[] result = slice(variant, workload, concurrency, sliceMillis);
                rates[k][round] = result[0] * 1e9 / result[1];
                acquisitions[k] += variant.acquisitions() - before;
                units[k] += result[0];
            }
        }
        int context = kinds.indexOf(Variant.Kind.CONTEXT);
        double contextToRaw = Double.NaN;
        for (int k = 0; k < n; k++) {
            double[] ratios = new double[rounds];
            for (int round = 0; round < rounds; round++) {
                ratios[round] = rates[context][round] / rates[k][round];
            }
            double[] sorted = rates[k].clone();
            Arrays.sort(sorted);
            Arrays.sort(ratios);
            if (kinds.get(k) == Variant.Kind.RAW) {
                contextToRaw = median(ratios);
            }
            out.accept(String.format(Locale.ROOT, "%-19s %4d %-14s %12.0f %18s %10s %18s %9.3f",
                    workload.name().toLowerCase(Locale.ROOT).replace('_', ' '), concurrency,
                    kinds.get(k).name().toLowerCase(Locale.ROOT).replace('_', '-'), median(sorted),
                    String.format(Locale.ROOT, "%.0f..%.0f", sorted[0], sorted[rounds - 1]),
                    k == context ? "" : String.format(Locale.ROOT, "%.2f", median(ratios)),
                    k == context ? "" : String.format(Locale.ROOT, "%.2f..%.2f", ratios[0], ratios[rounds - 1]),
                    (double) acquisitions[k] / units[k]));
        }
        return contextToRaw;
    }

    /** Runs batches until the slice is over. @return units of work run and nanoseconds taken */
    private static long[] slice(Variant variant, Workload workload, int concurrency, int sliceMillis) {
        IntFunction<Mono<?>> unitOfWork = workload.unitOfWork.apply(variant);
        long start = System.nanoTime();
        long end = start + sliceMillis * 1_000_000L;
        int batch = batch();
        long count = 0;
        long now;
        do {
            Load.run(batch, concurrency, unitOfWork);
            count += batch;
            now = System.nanoTime();
        } while (now < end);
        return new long[] {count, now - start};
    }

    private static double median(double[] sorted) {
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
