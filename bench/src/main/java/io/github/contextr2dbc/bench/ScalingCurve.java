package io.github.contextr2dbc.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.IntFunction;

import io.r2dbc.spi.Connection;
import org.HdrHistogram.Recorder;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * How cost grows with load, and the latency of the unit of work alone, in one JVM on one database:
 *
 * <ol>
 * <li><b>Scaling</b>: throughput and p99 (closed model: from the start of each unit of work to its end, queueing
 *     for a connection included) of the point read, and of the read-update-savepoint block, with 1, 16, 64, 256,
 *     1 024 and 10 000 units of work in flight on the pool of 16, for every variant that can run the workload;
 * <li><b>Retained heap per waiting unit of work</b>: with {@code bench_item} and {@code bench_stock} locked by
 *     another connection, 10 000 units of work are started: 16 hold the pool's connections (blocked in
 *     PostgreSQL), the rest wait for one; the heap after a full GC, minus the heap before, divided by the units;
 * <li><b>Latency of the unit of work alone</b> at a fixed rate (open model, {@link OpenLoad}): p50 / p99 /
 *     p99.9 of the point read per variant (default rate: half the slowest variant's throughput at 64 in flight
 *     in this run; {@code -Dbench.latency.rate=N} fixes it).
 * </ol>
 *
 * <pre>{@code
 * java [JvmFlags] -cp bench/target/benchmarks.jar io.github.contextr2dbc.bench.ScalingCurve [seconds per point]
 * }</pre>
 * {@code -Dbench.out=file.tsv}: rows for {@link BenchRound}; {@code -Dbench.kinds=raw,context}: those variants only
 * (the curve and the heap measure); {@code -Dbench.heap.histogram=true} also prints the
 * classes whose live objects grew most per waiting unit of work ({@code jcmd GC.class_histogram} of this JVM).
 */
public final class ScalingCurve {

    /** Units of work in flight per point of the curve. */
    static final int[] IN_FLIGHT = {1, 16, 64, 256, 1024, 10_000};

    private static final int[] QUICK_IN_FLIGHT = {1, 64, 256};

    private ScalingCurve() {
    }

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        try (TsvOut tsv = TsvOut.fromProperty()) {
            run(seconds, System.out::println, tsv);
        }
        System.exit(0);
    }

    /** The workloads of the curve. */
    enum Workload {
        POINT_READ("point read"),
        SAVEPOINT("read + update in a savepoint");

        final String label;

        Workload(String label) {
            this.label = label;
        }

        IntFunction<Mono<?>> unitOfWork(Variant variant) {
            return this == POINT_READ ? i -> variant.read(io.github.contextr2dbc.bench.Workload.randomId())
                    : i -> variant.readUpdateSavepoint(io.github.contextr2dbc.bench.Workload.randomId());
        }

        List<Variant.Kind> kinds() {
            List<Variant.Kind> kinds = new ArrayList<>();
            String only = System.getProperty("bench.kinds", "");
            for (Variant.Kind kind : Variant.Kind.values()) {
                if ((this == POINT_READ || Variant.savepoints(kind))
                        && (only.isBlank() || List.of(only.split(",")).contains(kind.label()))) {
                    kinds.add(kind);
                }
            }
            return kinds;
        }
    }

    /** Runs the curve, the heap measure and the latency runs, reporting through {@code out} and {@code tsv}. */
    static void run(double seconds, Consumer<String> out, TsvOut tsv) {
        boolean quick = BenchSettings.quick();
        int[] inFlight = quick ? QUICK_IN_FLIGHT : IN_FLIGHT;
        int waiting = quick ? 500 : 10_000;
        BenchDatabase database = BenchDatabase.create();
        out.accept(String.format(Locale.ROOT, "# scaling: %.1f s per point, pool %d, acquire timeout %s; flags %s",
                seconds, BenchSettings.POOL_SIZE, BenchSettings.AcquireTimeoutMode.current().name()
                        .toLowerCase(Locale.ROOT), ManagementFactory.getRuntimeMXBean().getInputArguments()));
        out.accept(String.format(Locale.ROOT, "%-30s %-16s %9s %10s %10s %10s", "workload", "variant", "in flight",
                "ops/s", "p50 µs", "p99 µs"));
        double slowest64 = Double.MAX_VALUE;
        for (Workload workload : Workload.values()) {
            for (Variant.Kind kind : workload.kinds()) {
                try (Variant variant = Variant.create(kind, database)) {
                    Trial.warmUpPool(variant);
                    IntFunction<Mono<?>> unitOfWork = workload.unitOfWork(variant);
                    Load.run(quick ? 64 : 2048, 64, unitOfWork);
                    for (int n : inFlight) {
                        double[] point = point(unitOfWork, n, seconds);
                        out.accept(String.format(Locale.ROOT, "%-30s %-16s %9d %10.0f %10.0f %10.0f", workload.label,
                                kind.label(), n, point[0], point[1], point[2]));
                        tsv.row("scaling", workload.label, kind.label(), n, point[0], point[1], point[2]);
                        if (workload == Workload.POINT_READ && n == 64) {
                            slowest64 = Math.min(slowest64, point[0]);
                        }
                    }
                    double bytes = retainedPerWaiting(database, variant, unitOfWork, waiting);
                    out.accept(String.format(Locale.ROOT, "%-30s %-16s retained heap per waiting unit of work "
                            + "(%d waiting): %.0f B", workload.label, kind.label(), waiting, bytes));
                    tsv.row("heap", workload.label, kind.label(), waiting, bytes);
                }
            }
        }
        latency(database, slowest64, out, tsv);
    }

    /** @return ops/s, p50 and p99 in µs, with {@code n} in flight for about {@code seconds} */
    private static double[] point(IntFunction<Mono<?>> unitOfWork, int n, double seconds) {
        // enough units that the ramp-up and drain of n in flight are a small part, and at least ~seconds long
        Recorder recorder = new Recorder(3);
        IntFunction<Mono<?>> timed = i -> Mono.defer(() -> {
            long start = System.nanoTime();
            return unitOfWork.apply(i).doOnTerminate(() -> recorder.recordValue(System.nanoTime() - start));
        });
        long units = 0;
        long begin = System.nanoTime();
        long end = begin + (long) (seconds * 1e9);
        int batch = Math.max(4 * n, BenchSettings.quick() ? 64 : 1024);
        do {
            Load.run(batch, n, timed);
            units += batch;
        } while (System.nanoTime() < end);
        double rate = units * 1e9 / (System.nanoTime() - begin);
        org.HdrHistogram.Histogram histogram = recorder.getIntervalHistogram();
        return new double[] {rate, histogram.getValueAtPercentile(50) / 1000.0,
            histogram.getValueAtPercentile(99) / 1000.0};
    }

    /**
     * Locks the tables from another connection, starts {@code count} units of work (all but the pool's 16 wait
     * for a connection), and measures the heap they retain after a full GC; then unlocks and lets them finish.
     */
    static double retainedPerWaiting(BenchDatabase database, Variant variant, IntFunction<Mono<?>> unitOfWork,
            int count) {
        Connection locker = Mono.from(database.connectionFactory().create()).block(Duration.ofSeconds(30));
        try {
            Flux.concat(Mono.from(locker.beginTransaction()),
                    Flux.from(locker.createStatement("LOCK TABLE bench_item, bench_stock IN ACCESS EXCLUSIVE MODE")
                            .execute()).flatMap(result -> result.getRowsUpdated()).then())
                    .blockLast(Duration.ofSeconds(30));
            // the histogram first: its attach machinery must not land between the two heap measures
            Map<String, long[]> histogramBefore = Boolean.getBoolean("bench.heap.histogram") ? histogram() : null;
            long before = usedHeapAfterGc();
            Disposable running = Flux.range(0, count).flatMap(unitOfWork::apply, count, 1).subscribe(null,
                    error -> { });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (variant.poolMetrics().pendingAcquireSize() < count - BenchSettings.POOL_SIZE
                    && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
            int pending = variant.poolMetrics().pendingAcquireSize();
            long after = usedHeapAfterGc();
            if (Boolean.getBoolean("bench.heap.histogram")) {
                printHistogramGrowth(histogramBefore, count);
            }
            Mono.from(locker.rollbackTransaction()).block(Duration.ofSeconds(30));
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!running.isDisposed() && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
            if (pending < count - BenchSettings.POOL_SIZE) {
                System.out.println("# WARNING: only " + pending + " units of work were waiting for a connection");
            }
            return (double) (after - before) / count;
        } finally {
            Mono.from(locker.close()).block(Duration.ofSeconds(30));
        }
    }

    /**
     * {@code jcmd <this JVM> GC.class_histogram}: instances and bytes per class (a full GC first, so live objects
     * only).
     */
    static Map<String, long[]> histogram() {
        Map<String, long[]> classes = new HashMap<>();
        try {
            Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(ProcessHandle.current().pid()), "GC.class_histogram").redirectErrorStream(true)
                            .start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            for (String line : output.split("\n")) {
                String[] columns = line.trim().split("\\s+");
                if (columns.length >= 4 && columns[0].endsWith(":")) {
                    classes.put(columns[3], new long[] {Long.parseLong(columns[1]), Long.parseLong(columns[2])});
                }
            }
            process.waitFor(60, TimeUnit.SECONDS);
        } catch (IOException e) {
            System.out.println("# no class histogram: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return classes;
    }

    /** The classes whose live bytes grew most since {@code before}, per waiting unit of work. */
    static void printHistogramGrowth(Map<String, long[]> before, int count) {
        if (before == null) {
            return;
        }
        Map<String, long[]> after = histogram();
        List<Map.Entry<String, long[]>> growth = new ArrayList<>();
        for (Map.Entry<String, long[]> entry : after.entrySet()) {
            long[] old = before.getOrDefault(entry.getKey(), new long[2]);
            long[] now = entry.getValue();
            growth.add(Map.entry(entry.getKey(), new long[] {now[0] - old[0], now[1] - old[1]}));
        }
        growth.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
        System.out.println("# live objects added per waiting unit of work (class histogram): instances, bytes, class");
        int rows = Math.min(Integer.getInteger("bench.heap.histogram.rows", 20), growth.size());
        for (Map.Entry<String, long[]> entry : growth.subList(0, rows)) {
            System.out.printf(Locale.ROOT, "#   %6.2f %7.1f  %s%n", (double) entry.getValue()[0] / count,
                    (double) entry.getValue()[1] / count, entry.getKey());
        }
    }

    static long usedHeapAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        System.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** The point read alone at a fixed rate, one variant after another: p50 / p99 / p99.9. */
    private static void latency(BenchDatabase database, double slowest64, Consumer<String> out, TsvOut tsv) {
        double rate = Double.parseDouble(System.getProperty("bench.latency.rate",
                Double.toString(BenchSettings.quick() ? 50 : Math.floor(slowest64 / 2))));
        double seconds = BenchSettings.quick() ? 0.5 : 20;
        out.accept(String.format(Locale.ROOT, "# latency, the point-read unit of work at a fixed %.0f/s for %.1f s per "
                + "variant (open model, from the intended start: corrected for coordinated omission)", rate, seconds));
        for (Variant.Kind kind : Variant.Kind.values()) {
            try (Variant variant = Variant.create(kind, database)) {
                Trial.warmUpPool(variant);
                OpenLoad.run(rate, OpenLoad.seconds(Math.min(seconds, 2)), () -> variant.read(
                        io.github.contextr2dbc.bench.Workload.randomId()));
                OpenLoad.Outcome outcome = OpenLoad.run(rate, OpenLoad.seconds(seconds), () -> variant.read(
                        io.github.contextr2dbc.bench.Workload.randomId()));
                out.accept(String.format(Locale.ROOT, "%-16s %s", kind.label(), OpenLoad.describe(outcome)));
                tsv.row("latency", "unit of work: point read", kind.label(), rate, outcome.micros(50),
                        outcome.micros(99), outcome.micros(99.9), outcome.histogram().getMaxValue() / 1000.0,
                        outcome.errors(), outcome.saturated());
            }
        }
    }
}
