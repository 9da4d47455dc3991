package io.github.contextr2dbc.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The report of a round, written from the rows under {@code <out>/raw/}: {@code <out>/README.md} with the
 * machine, the versions and every table, and the charts next to it.
 */
final class Report {

    private Report() {
    }

    /** Writes the report and charts of the rows under {@code out/raw}. @return the report file */
    static Path write(Path out) {
        Path raw = out.resolve("raw");
        StringBuilder md = new StringBuilder();
        md.append("# Benchmark round 3: results\n\n");
        md.append("Written by `BenchRound` from the rows in `raw/` (see `bench/README.md` for the commands).");
        md.append(BenchSettings.quick() ? " **Quick mode: the figures are meaningless.**\n\n" : "\n\n");
        md.append("## Machine and versions\n\n| | |\n|---|---|\n");
        for (Tsv.Run run : Tsv.runs(raw, "machine")) {
            for (String[] row : run.rows("machine")) {
                md.append("| ").append(row[0]).append(" | ").append(row.length > 1 ? row[1] : "").append(" |\n");
            }
        }
        List<Tsv.Run> db = Tsv.runs(raw, "db-");
        if (!db.isEmpty()) {
            List<DbReport.Ratio> ratios = new ArrayList<>();
            md.append("\n## Database workloads, interleaved\n\n").append(DbReport.markdown(db, ratios));
            write(out.resolve("db-ratios.svg"), SvgChart.ratios("context-r2dbc / variant, paired (whisker: runs' "
                    + "medians)", ratios, 0.95, 1.2));
            md.append("\n![context-r2dbc / variant](db-ratios.svg)\n");
        }
        List<Tsv.Run> http = Tsv.runs(raw, "http-");
        if (!http.isEmpty()) {
            List<DbReport.Ratio> ratios = new ArrayList<>();
            md.append("\n## HTTP, interleaved (Spring Boot servers in JVMs of their own, the load generator in another)"
                    + "\n\n").append(HttpReport.markdown(http, ratios));
            write(out.resolve("http-ratios.svg"), SvgChart.ratios("HTTP: context (WebFilter + DbSession) / variant, "
                    + "paired (whisker: runs' medians)", ratios, 0.95, 1.2));
            md.append("\n![HTTP ratios](http-ratios.svg)\n");
        }
        List<Tsv.Run> latency = new ArrayList<>(http);
        List<Tsv.Run> scaling = Tsv.runs(raw, "scaling");
        latency.addAll(scaling);
        if (latency.stream().anyMatch(run -> !run.rows("latency").isEmpty())) {
            md.append("\n## Latency at a fixed rate (open model, corrected for coordinated omission)\n\n")
                    .append("| what | variant | rate /s | p50 µs | p99 µs | p99.9 µs | max µs | errors "
                            + "| saturated |\n"
                            + "|---|---|---|---|---|---|---|---|---|\n");
            for (Tsv.Run run : latency) {
                for (String[] row : run.rows("latency")) {
                    md.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %s | %s |%n",
                            row[0], row[1], Double.parseDouble(row[2]), Double.parseDouble(row[3]),
                            Double.parseDouble(row[4]), Double.parseDouble(row[5]), Double.parseDouble(row[6]), row[7],
                            row[8]));
                }
            }
        }
        if (!scaling.isEmpty()) {
            md.append("\n## How cost grows: units of work in flight on a pool of 16\n\n")
                    .append("Closed model: throughput, and p50 / p99 from the start of each unit of work to its end "
                            + "(queueing for a connection included).\n\n"
                            + "| workload | variant | in flight | ops/s | p50 µs | p99 µs |\n"
                            + "|---|---|---|---|---|---|\n");
            java.util.Map<String, List<double[]>> curves = new java.util.LinkedHashMap<>();
            for (Tsv.Run run : scaling) {
                for (String[] row : run.rows("scaling")) {
                    md.append(String.format(Locale.ROOT, "| %s | %s | %s | %.0f | %.0f | %.0f |%n", row[0], row[1],
                            row[2],
                            Double.parseDouble(row[3]), Double.parseDouble(row[4]), Double.parseDouble(row[5])));
                    curves.computeIfAbsent(row[0] + ": " + row[1], k -> new ArrayList<>())
                            .add(new double[] {Double.parseDouble(row[2]), Double.parseDouble(row[3])});
                }
            }
            md.append("\nRetained heap per waiting unit of work (the tables locked by another connection: 16 units "
                    + "hold the connections, the rest wait for one; heap after a full GC):\n\n"
                    + "| workload | variant | waiting | bytes per unit of work |\n|---|---|---|---|\n");
            for (Tsv.Run run : scaling) {
                for (String[] row : run.rows("heap")) {
                    md.append(String.format(Locale.ROOT, "| %s | %s | %s | %.0f |%n", row[0], row[1], row[2],
                            Double.parseDouble(row[3])));
                }
            }
            List<SvgChart.Series> series = new ArrayList<>();
            curves.forEach((name, points) -> {
                if (name.startsWith(ScalingCurve.Workload.POINT_READ.label)) {
                    series.add(new SvgChart.Series(name.substring(name.indexOf(": ") + 2), points));
                }
            });
            write(out.resolve("scaling.svg"), SvgChart.lines("Point read: throughput by units of work in flight "
                    + "(pool of 16)", "units of work in flight (log)", "units of work/s", series));
            md.append("\n![scaling](scaling.svg)\n");
        }
        List<Tsv.Run> pgbench = Tsv.runs(raw, "pgbench");
        if (!pgbench.isEmpty()) {
            md.append("\n## The ceiling: pgbench -M prepared\n\n| workload | clients | tx/s |\n|---|---|---|\n");
            for (String[] row : pgbench.get(0).rows("pgbench")) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %.0f |%n", row[0], row[1],
                        Double.parseDouble(row[2])));
            }
        }
        Path report = out.resolve("README.md");
        write(report, md.toString());
        System.out.println("# report: " + report.toAbsolutePath());
        return report;
    }

    static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
