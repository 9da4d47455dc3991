package io.github.contextr2dbc.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The whole benchmark round in one command: every measuring step in JVMs of its own with the pinned flags of
 * {@link JvmFlags}, each writing its rows ({@link TsvOut}) under {@code <out>/raw/}, then the report: {@code
 * <out>/README.md} (the tables, the machine and versions) and the charts ({@code <out>/*.svg}).
 *
 * <pre>{@code
 * cd bench && java -cp target/benchmarks.jar io.github.contextr2dbc.bench.BenchRound \
 *     [--runs 3] [--rounds 12] [--slice-ms 1000] [--point-s 5] [--steps db,http,scaling,pgbench] [--out results]
 * }</pre>
 *
 * <ul>
 * <li>{@code db}: {@link InterleavedComparison}, {@code --runs} JVM runs (the spread over runs in the table);
 * <li>{@code http}: {@link HttpComparison} (servers and load generator each in a JVM of its own), {@code --runs}
 *     runs, each ending with the latency of the point read at a fixed rate;
 * <li>{@code scaling}: {@link ScalingCurve} (units of work in flight, retained heap per waiting unit of work, the
 *     latency of the unit of work alone at a fixed rate), {@code --point-s} seconds per point (default 5);
 * <li>{@code pgbench}: {@link PgbenchCeiling} (the physical ceiling);
 * <li>{@code report} alone (or with the others): rewrites the report from the rows already in {@code <out>/raw/}.
 * </ul>
 *
 * With {@code -Dbench.quick=true} (the quick mode): one run, one round, 50 ms slices, seconds per step; the
 * figures are meaningless. {@code -Dbench.acquire-timeout=none} runs every step with Spring Boot's default
 * (no acquire timeout on r2dbc-pool).
 */
public final class BenchRound {

    /** The steps that measure, in the order they run. */
    static final List<String> STEPS = List.of("db", "http", "scaling", "pgbench");

    private BenchRound() {
    }

    public static void main(String[] args) {
        run(args);
        System.exit(0);
    }

    /** Runs the round of {@code args} (see the class comment). @return the report file */
    static Path run(String... args) {
        boolean quick = BenchSettings.quick();
        int runs = quick ? 1 : 3;
        int rounds = quick ? 1 : InterleavedComparison.DEFAULT_ROUNDS;
        int sliceMillis = quick ? 50 : InterleavedComparison.DEFAULT_SLICE_MS;
        Set<String> steps = new LinkedHashSet<>(STEPS);
        Path out = Path.of("results");
        String pointSeconds = quick ? "0.3" : "5";
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--slice-ms" -> sliceMillis = Integer.parseInt(args[i + 1]);
                case "--steps" -> steps = new LinkedHashSet<>(List.of(args[i + 1].split(",")));
                case "--out" -> out = Path.of(args[i + 1]);
                case "--point-s" -> pointSeconds = args[i + 1];
                default -> throw new IllegalArgumentException("Unknown option " + args[i] + ": --runs, --rounds, "
                        + "--slice-ms, --point-s, --steps " + String.join(",", STEPS) + ",report, --out");
            }
        }
        Path raw = out.resolve("raw");
        try {
            Files.createDirectories(raw);
            Path machine = raw.resolve("machine.tsv");
            if (steps.stream().anyMatch(STEPS::contains)) {
                Files.writeString(machine, Machine.capture("start"), StandardCharsets.UTF_8);
            }
            if (steps.contains("db")) {
                for (int run = 1; run <= runs; run++) {
                    System.out.printf("%n# BenchRound: db, JVM run %d of %d%n", run, runs);
                    ChildJvm.run(List.of(property(raw.resolve("db-" + run + ".tsv"))), InterleavedComparison.class,
                            List.of(Integer.toString(rounds), Integer.toString(sliceMillis)), 120);
                }
            }
            if (steps.contains("http")) {
                for (int run = 1; run <= runs; run++) {
                    System.out.printf("%n# BenchRound: http, JVM run %d of %d%n", run, runs);
                    ChildJvm.run(List.of(property(raw.resolve("http-" + run + ".tsv"))), HttpComparison.class,
                            List.of(Integer.toString(rounds), Integer.toString(sliceMillis)), 180);
                }
            }
            if (steps.contains("scaling")) {
                System.out.printf("%n# BenchRound: scaling%n");
                ChildJvm.run(List.of(property(raw.resolve("scaling.tsv"))), ScalingCurve.class, List.of(pointSeconds),
                        180);
            }
            if (steps.contains("pgbench")) {
                System.out.printf("%n# BenchRound: pgbench%n");
                ChildJvm.run(List.of(property(raw.resolve("pgbench.tsv"))), PgbenchCeiling.class,
                        List.of(quick ? "3" : "10"), 30);
            }
            if (steps.stream().anyMatch(STEPS::contains)) {
                Files.writeString(machine, Machine.capture("end"), StandardCharsets.UTF_8,
                        java.nio.file.StandardOpenOption.APPEND);
            }
            return Report.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String property(Path file) {
        return "-D" + TsvOut.PROPERTY + "=" + file.toAbsolutePath();
    }

    /** What the report says about the machine and the software. */
    static final class Machine {

        private Machine() {
        }

        static String capture(String when) {
            List<String> rows = new ArrayList<>();
            rows.add("machine\t" + when + " time\t" + Instant.now());
            rows.add("machine\t" + when + " load average (1 min)\t" + String.format(Locale.ROOT, "%.2f",
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
            if (when.equals("start")) {
                rows.add("machine\tcores\t" + Runtime.getRuntime().availableProcessors());
                rows.add("machine\tCPU\t" + firstLine("/proc/cpuinfo", "model name"));
                rows.add("machine\tmemory\t" + firstLine("/proc/meminfo", "MemTotal"));
                rows.add("machine\tOS\t" + System.getProperty("os.name") + " " + System.getProperty("os.version"));
                rows.add("machine\tJava\t" + System.getProperty("java.vm.name") + " " + System.getProperty(
                        "java.version"));
                rows.add("machine\tJVM flags of every measuring JVM\t" + String.join(" ", JvmFlags.PINNED));
                rows.add("machine\tacquire timeout\t" + BenchSettings.AcquireTimeoutMode.current().name()
                        .toLowerCase(Locale.ROOT));
                rows.add("machine\tcommit\t" + command("git", "rev-parse", "--short", "HEAD"));
                rows.add("machine\tversions\t" + Versions.describe());
            }
            return String.join("\n", rows) + "\n";
        }

        private static String firstLine(String file, String prefix) {
            try {
                for (String line : Files.readAllLines(Path.of(file), StandardCharsets.UTF_8)) {
                    if (line.startsWith(prefix)) {
                        return line.substring(line.indexOf(':') + 1).trim();
                    }
                }
            } catch (IOException | UncheckedIOException unreadable) {
                return "?";
            }
            return "?";
        }

        private static String command(String... command) {
            try {
                Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
                String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0 ? output : "?";
            } catch (IOException e) {
                return "?";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "?";
            }
        }
    }
}
