package io.github.contextr2dbc.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.github.contextr2dbc.launcher.PostgresPair;

/**
 * The physical ceiling: {@code pgbench -M prepared} running the benchmarks' statements, in the same
 * transactions, against a fresh database on the same kind of primary ({@link PostgresPair#shared()}), with
 * 1 client and with {@link BenchSettings#POOL_SIZE} clients (the pool size of every variant).
 *
 * <pre>{@code
 * java -cp bench/target/benchmarks.jar io.github.contextr2dbc.bench.PgbenchCeiling [seconds per run, default 10]
 * }</pre>
 */
public final class PgbenchCeiling {

    private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+) \\(without initial connection time\\)");

    private PgbenchCeiling() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        Path pgbench = findPgbench().orElseThrow(() -> new IllegalStateException("pgbench not found: install the "
                + "PostgreSQL client tools (Debian: postgresql-client-15 or postgresql-15) or name their folder in "
                + "CONTEXT_R2DBC_PG_BIN"));
        BenchDatabase database = BenchDatabase.create();
        PostgresPair pair = database.pair();
        Path scripts = Files.createTempDirectory("context-r2dbc-pgbench");
        String read = Workload.READ_SQL.replace("$1", ":id");
        String insert = Workload.INSERT_SQL.replace("$1", "'" + Workload.INSERTED_NAME + "'").replace("$2", "1");
        List<String[]> workloads = List.of(
                new String[] {"point read", "\\set id random(1, " + BenchSettings.ROWS + ")\nBEGIN;\n"
                        + read + ";\nCOMMIT;\n"},
                new String[] {"insert", "BEGIN;\n" + insert + ";\nCOMMIT;\n"},
                new String[] {"empty transaction", "BEGIN;\nCOMMIT;\n"});
        System.out.println("# " + version(pgbench) + ", " + seconds + " s per run, against "
                + pair.primaryUrl(database.name()));
        System.out.printf("%-18s %8s %12s%n", "workload", "clients", "tps");
        try (TsvOut tsv = TsvOut.fromProperty()) {
            tsv.row("version", version(pgbench));
            for (String[] workload : workloads) {
                Path script = scripts.resolve(workload[0].replace(' ', '_') + ".sql");
                Files.writeString(script, workload[1], StandardCharsets.UTF_8);
                for (int clients : new int[] {1, BenchSettings.POOL_SIZE}) {
                    double tps = run(pgbench, pair, database.name(), script, clients, seconds);
                    System.out.printf("%-18s %8d %12.0f%n", workload[0], clients, tps);
                    tsv.row("pgbench", workload[0], clients, tps);
                }
            }
        }
        System.exit(0);
    }

    private static double run(Path pgbench, PostgresPair pair, String database, Path script, int clients, int seconds)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(pgbench.toString(), "-n", "-M", "prepared",
                "-c", Integer.toString(clients), "-j", Integer.toString(Math.min(clients, 2)),
                "-T", Integer.toString(seconds), "-f", script.toString(),
                "-h", pair.host(), "-p", Integer.toString(pair.primaryPort()), "-U", pair.username(), database));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (!pair.password().isEmpty()) {
            builder.environment().put("PGPASSWORD", pair.password());
        }
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(seconds + 60L, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("pgbench failed:\n" + output);
        }
        Matcher matcher = TPS.matcher(output);
        if (!matcher.find()) {
            throw new IllegalStateException("No tps in pgbench's output:\n" + output);
        }
        return Double.parseDouble(matcher.group(1));
    }

    private static String version(Path pgbench) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(pgbench.toString(), "--version").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        process.waitFor(10, TimeUnit.SECONDS);
        return output;
    }

    /**
     * {@code $CONTEXT_R2DBC_PG_BIN}, {@code pg_config --bindir}, the newest {@code /usr/lib/postgresql/N/bin}, the
     * PATH.
     */
    private static Optional<Path> findPgbench() throws IOException, InterruptedException {
        List<Path> candidates = new ArrayList<>();
        String bin = System.getenv("CONTEXT_R2DBC_PG_BIN");
        if (bin != null && !bin.isBlank()) {
            candidates.add(Path.of(bin, "pgbench"));
        }
        try {
            Process process = new ProcessBuilder("pg_config", "--bindir").redirectErrorStream(true).start();
            String dir = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0 && !dir.isEmpty()) {
                candidates.add(Path.of(dir, "pgbench"));
            }
        } catch (IOException noPgConfig) {
            // not installed: try the other places
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                versions.map(version -> version.resolve("bin/pgbench"))
                        .sorted(Comparator.reverseOrder())
                        .forEach(candidates::add);
            }
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty()) {
                candidates.add(Path.of(dir, "pgbench"));
            }
        }
        return candidates.stream().filter(Files::isExecutable).findFirst();
    }
}
