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
        List<Tsv.Run> pgbench = Tsv.runs(raw, "pgbench");
        if (!pgbench.isEmpty()) {
            md.append("\n## The ceiling: pgbench -M prepared\n\n| workload | clients | tx/s |\n|---|---|---|\n");
            for (String[] row : pgbench.get(0).rows("pgbench")) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %.0f |%n", row[0], row[1], Double.parseDouble(row[2])));
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
