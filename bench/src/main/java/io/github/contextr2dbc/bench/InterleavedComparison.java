package io.github.contextr2dbc.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntFunction;

import reactor.core.publisher.Mono;

/**
 * The variants side by side in one JVM, on one database, in short alternating slices: a companion to
 * the JMH benchmarks for a shared, noisy machine. JMH measures one variant after another, minutes apart,
 * so a build that starts on the same cores halfway through the run shifts one variant's score and not
 * the other's. Here every round runs each variant for one slice, in an order shuffled anew every round
 * (from a seed that is printed: {@code -Dbench.seed=N} replays it), so that slow moments hit all variants
 * alike and no variant always follows the same one; each round's ratios are paired (measured within the same
 * few seconds), and the report gives their median and range over the rounds.
 *
 * <p>Before the slices, a counting pass over a TCP relay ({@link WireCounter}) gives every variant's round
 * trips and protocol messages per unit of work (one at a time, after a warm-up).
 *
 * <pre>{@code
 * java [the pinned flags, JvmFlags] -cp bench/target/benchmarks.jar io.github.contextr2dbc.bench.InterleavedComparison
 *     [rounds] [slice ms]
 * }</pre>
 * (defaults: {@value #DEFAULT_ROUNDS} rounds of {@value #DEFAULT_SLICE_MS} ms per variant, for each
 * workload and concurrency: about 8 minutes). {@code -Dbench.out=file.tsv} also writes every slice's rate
 * and the wire counts as tab-separated rows, which {@link BenchRound} merges over several JVM runs.
 *
 * <p>For a narrower look (a profile of one gap, say): {@code -Dbench.workloads=insert} (labels, comma-separated),
 * {@code -Dbench.concurrency=64}, {@code -Dbench.kinds=context,raw-pipelined} (without context, no ratios),
 * {@code -Dbench.wire=false} skips the counting pass, {@code -Dbench.wire.concurrency=64} counts the wire with
 * that many units of work in flight.
 */
public final class InterleavedComparison {

    static final int DEFAULT_ROUNDS = 12;

    static final int DEFAULT_SLICE_MS = 1000;

    /** Units of work per unit in the wire-counting pass (after as many for warm-up). */
    private static final int WIRE_UNITS = 50;

    /** Units of work per batch; a slice runs whole batches (fewer in the quick mode). */
    private static int batch() {
        return BenchSettings.quick() ? BenchSettings.QUICK_UNITS : 256;
    }

    private InterleavedComparison() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : DEFAULT_ROUNDS;
        int sliceMillis = args.length > 1 ? Integer.parseInt(args[1]) : DEFAULT_SLICE_MS;
        try (TsvOut tsv = TsvOut.fromProperty()) {
            run(rounds, sliceMillis, System.out::println, tsv);
        }
        System.exit(0);
    }

    /** One workload, as every variant runs it. */
    enum Workload {
        POINT_READ("point read", variant -> i -> variant.read(io.github.contextr2dbc.bench.Workload.randomId())),
        INSERT("insert", variant -> i -> variant.insert(io.github.contextr2dbc.bench.Workload.INSERTED_NAME, i)),
        EMPTY_UNIT_OF_WORK("empty unit of work", variant -> variant::empty),
        /** Ten rows by an id range, in order (issue 17, item 5): the variants that {@link Variant#lists} only. */
        FILTERED_LIST("filtered list", variant -> i -> variant.list(
                io.github.contextr2dbc.bench.Workload.randomListStart()));

        final String label;

        final Function<Variant, IntFunction<Mono<?>>> unitOfWork;

        Workload(String label, Function<Variant, IntFunction<Mono<?>>> unitOfWork) {
            this.label = label;
            this.unitOfWork = unitOfWork;
        }

        /** The variants that run the workload. */
        List<Variant.Kind> kinds() {
            List<Variant.Kind> kinds = new ArrayList<>(List.of(Variant.Kind.values()));
            if (this == EMPTY_UNIT_OF_WORK) {
                kinds.remove(Variant.Kind.SPRING_DATA);
            }
            if (this == FILTERED_LIST) {
                kinds.removeIf(kind -> !Variant.lists(kind));
            }
            return kinds;
        }
    }

    /** The variant's label in the report; for the empty unit of work, lazy (opens nothing) or eager. */
    static String label(Workload workload, Variant.Kind kind) {
        return workload == Workload.EMPTY_UNIT_OF_WORK ? kind.label() + (kind.lazy() ? " (lazy)" : " (eager)")
                : kind.label();
    }

    /**
     * Runs the comparison and reports through {@code out} (and {@code tsv}).
     *
     * @return the median paired ratio context/raw-pipelined of each workload and concurrency, in report order
     */
    static List<Double> run(int rounds, int sliceMillis, Consumer<String> out, TsvOut tsv) {
        long seed = Long.getLong("bench.seed", System.nanoTime());
        Random random = new Random(seed);
        BenchDatabase database = BenchDatabase.create();
        out.accept("# JVM: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version")
                + ", flags " + ManagementFactory.getRuntimeMXBean().getInputArguments()
                + (JvmFlags.pinned() ? "" : "  (WARNING: not the pinned flags of JvmFlags)"));
        out.accept(String.format(Locale.ROOT, "# interleaved: %d rounds, %d ms per variant per round, pool %d, "
                + "batches of %d units of work, acquire timeout: %s, slice order seed %d (-Dbench.seed=%d replays it)",
                rounds, sliceMillis, BenchSettings.POOL_SIZE, batch(),
                BenchSettings.AcquireTimeoutMode.current().name().toLowerCase(Locale.ROOT), seed, seed));
        tsv.row("seed", seed);
        if (!"false".equals(System.getProperty("bench.wire"))) {
            wireCounts(database, out, tsv);
        }
        Map<Variant.Kind, Variant> variants = new EnumMap<>(Variant.Kind.class);
        List<Double> contextToReference = new ArrayList<>();
        CpuClock cpu = CpuClock.of(database.pair());
        try {
            for (Variant.Kind kind : Variant.Kind.values()) {
                Variant variant = Variant.create(kind, database);
                variants.put(kind, variant);
                Trial.warmUpPool(variant);
            }
            out.accept(String.format(Locale.ROOT, "%-19s %4s %-22s %12s %18s %10s %18s %9s %10s %10s", "workload",
                    "conc", "variant", "median ops/s", "min..max ops/s", "ctx/this", "min..max ctx/this", "acq/op",
                    "client us", "server us"));
            for (Workload workload : Workload.values()) {
                if (!selected("bench.workloads", workload.label)) {
                    continue;
                }
                for (int concurrency : new int[] {1, 64}) {
                    if (!selected("bench.concurrency", Integer.toString(concurrency))) {
                        continue;
                    }
                    List<Variant.Kind> kinds = new ArrayList<>(workload.kinds());
                    kinds.removeIf(kind -> !selected("bench.kinds", kind.label()));
                    contextToReference.add(compare(workload, concurrency, kinds, variants, rounds,
                            sliceMillis, random, cpu, out, tsv));
                }
            }
        } finally {
            variants.values().forEach(Variant::close);
        }
        return contextToReference;
    }

    /**
     * Round trips and messages per unit of work of every variant and workload, one unit of work at a time,
     * through a {@link WireCounter} relay (after {@value #WIRE_UNITS} units of warm-up on the same connection).
     */
    static void wireCounts(BenchDatabase database, Consumer<String> out, TsvOut tsv) {
        out.accept(String.format(Locale.ROOT, "# wire, per unit of work (one at a time, %d units, counted at a TCP "
                + "relay): round trips; Q = simple queries (BEGIN/COMMIT/...); S = extended-protocol statements "
                + "(Sync); P = Parse", WIRE_UNITS));
        out.accept(String.format(Locale.ROOT, "%-19s %-22s %11s %6s %6s %6s", "workload", "variant", "round trips",
                "Q", "S", "P"));
        try (WireCounter wire = new WireCounter(database.pair().host(), database.pair().primaryPort())) {
            for (Variant.Kind kind : Variant.Kind.values()) {
                try (Variant variant = Variant.create(kind, wire.relayed(database.url()))) {
                    for (Workload workload : Workload.values()) {
                        if (!workload.kinds().contains(kind)) {
                            continue;
                        }
                        double[] counts = count(wire, workload.unitOfWork.apply(variant));
                        out.accept(String.format(Locale.ROOT, "%-19s %-22s %11.2f %6.2f %6.2f %6.2f", workload.label,
                                label(workload, kind), counts[0], counts[1], counts[2], counts[3]));
                        tsv.row("wire", workload.label, kind.label(), counts[0], counts[1], counts[2], counts[3]);
                    }
                    if (Variant.savepoints(kind)) {
                        double[] counts = count(wire, i -> variant.readUpdateSavepoint(
                                io.github.contextr2dbc.bench.Workload.randomId()));
                        out.accept(String.format(Locale.ROOT, "%-19s %-22s %11.2f %6.2f %6.2f %6.2f", SAVEPOINT_LABEL,
                                kind.label(), counts[0], counts[1], counts[2], counts[3]));
                        tsv.row("wire", SAVEPOINT_LABEL, kind.label(), counts[0], counts[1], counts[2], counts[3]);
                    }
                }
            }
        }
    }

    /** The label of the read-update-savepoint block in the wire table (counted there, timed in ScalingCurve). */
    static final String SAVEPOINT_LABEL = "read+update+savepoint";

    /**
     * Round trips, Q, S, P per unit of work of {@code unitOfWork}, one at a time (or as many in flight as
     * {@code -Dbench.wire.concurrency} says), after as many for warm-up.
     */
    private static double[] count(WireCounter wire, IntFunction<Mono<?>> unitOfWork) {
        int concurrency = Integer.getInteger("bench.wire.concurrency", 1);
        int count = WIRE_UNITS * concurrency;
        Load.run(count, concurrency, unitOfWork);
        wire.reset();
        Load.run(count, concurrency, unitOfWork);
        double units = count;
        return new double[] {wire.roundTrips.get() / units, wire.simpleQueries.get() / units,
            wire.syncs.get() / units, wire.parses.get() / units};
    }

    private static double compare(Workload workload, int concurrency, List<Variant.Kind> kinds,
            Map<Variant.Kind, Variant> variants, int rounds, int sliceMillis, Random random, CpuClock cpu,
            Consumer<String> out, TsvOut tsv) {
        int n = kinds.size();
        double[][] rates = new double[n][rounds];
        long[] acquisitions = new long[n];
        long[] units = new long[n];
        long[] clientNanos = new long[n];
        long[] serverNanos = new long[n];
        for (int k = 0; k < n; k++) {
            // warm-up: one slice each, not counted
            slice(variants.get(kinds.get(k)), workload, concurrency, sliceMillis);
        }
        List<Integer> order = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            order.add(k);
        }
        for (int round = 0; round < rounds; round++) {
            Collections.shuffle(order, random);
            for (int k : order) {
                Variant variant = variants.get(kinds.get(k));
                long before = variant.acquisitions();
                long clientBefore = CpuClock.client();
                long serverBefore = cpu.servers();
                long[] result = slice(variant, workload, concurrency, sliceMillis);
                long client = CpuClock.client() - clientBefore;
                long server = cpu.servers() - serverBefore;
                rates[k][round] = result[0] * 1e9 / result[1];
                acquisitions[k] += variant.acquisitions() - before;
                units[k] += result[0];
                clientNanos[k] += client;
                serverNanos[k] += server;
                tsv.row("rate", workload.label, concurrency, kinds.get(k).label(), round, rates[k][round]);
                tsv.row("cpu", workload.label, concurrency, kinds.get(k).label(), round, result[0], client, server);
            }
        }
        int context = kinds.indexOf(Variant.Kind.CONTEXT);
        double contextToReference = Double.NaN;
        for (int k = 0; k < n; k++) {
            double[] ratios = new double[rounds];
            for (int round = 0; round < rounds; round++) {
                ratios[round] = context < 0 ? Double.NaN : rates[context][round] / rates[k][round];
            }
            double[] sorted = rates[k].clone();
            Arrays.sort(sorted);
            Arrays.sort(ratios);
            if (kinds.get(k) == Variant.Kind.RAW_PIPELINED) {
                contextToReference = median(ratios);
            }
            double acquisitionsPerUnit = (double) acquisitions[k] / units[k];
            tsv.row("acquisitions", workload.label, concurrency, kinds.get(k).label(), acquisitionsPerUnit);
            out.accept(String.format(Locale.ROOT, "%-19s %4d %-22s %12.0f %18s %10s %18s %9.3f %10.1f %10.1f",
                    workload.label, concurrency, label(workload, kinds.get(k)), median(sorted),
                    String.format(Locale.ROOT, "%.0f..%.0f", sorted[0], sorted[rounds - 1]),
                    k == context ? "" : String.format(Locale.ROOT, "%.2f", median(ratios)),
                    k == context ? "" : String.format(Locale.ROOT, "%.2f..%.2f", ratios[0], ratios[rounds - 1]),
                    acquisitionsPerUnit, clientNanos[k] / 1e3 / units[k], serverNanos[k] / 1e3 / units[k]));
        }
        return contextToReference;
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

    /** Whether the comma-separated system property {@code property} is unset or names {@code value}. */
    private static boolean selected(String property, String value) {
        String names = System.getProperty(property, "");
        return names.isEmpty() || Arrays.asList(names.split(",")).contains(value);
    }

    static double median(double[] sorted) {
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
