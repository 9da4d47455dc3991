package io.github.contextr2dbc.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The database table of a round: the rows of several {@link InterleavedComparison} JVM runs merged. Per workload,
 * concurrency and variant: the median rate over every round of every run and the spread of the runs' medians;
 * the paired ratio context / variant (per round, within a run), its median over all rounds and the spread of
 * the runs' medians; round trips and statements per unit of work (the wire counts) and pool acquisitions.
 */
final class DbReport {

    /** One ratio bar of a chart: median and whisker. */
    record Ratio(String group, String label, double median, double low, double high) {
    }

    private DbReport() {
    }

    /** The Markdown table of {@code runs}; the ratios against the reference variants are added to {@code chart}. */
    static String markdown(List<Tsv.Run> runs, List<Ratio> chart) {
        return markdown(runs, chart, REFERENCES);
    }

    /** The same, charting the ratios against {@code references}. */
    static String markdown(List<Tsv.Run> runs, List<Ratio> chart, java.util.Collection<String> references) {
        // workload|conc -> variant -> run index -> round -> rate
        Map<String, Map<String, List<Map<Integer, Double>>>> rates = new LinkedHashMap<>();
        Map<String, List<Double>> acquisitions = new LinkedHashMap<>();
        Map<String, List<double[]>> wire = new LinkedHashMap<>();
        // workload|conc|variant -> {units, client ns, server ns} summed over every slice of every run
        Map<String, double[]> cpu = new LinkedHashMap<>();
        for (int r = 0; r < runs.size(); r++) {
            Tsv.Run run = runs.get(r);
            for (String[] row : run.rows("rate")) {
                List<Map<Integer, Double>> byRun = rates.computeIfAbsent(row[0] + "|" + row[1],
                        k -> new LinkedHashMap<>())
                        .computeIfAbsent(row[2], k -> new ArrayList<>());
                while (byRun.size() <= r) {
                    byRun.add(new LinkedHashMap<>());
                }
                byRun.get(r).put(Integer.parseInt(row[3]), Double.parseDouble(row[4]));
            }
            for (String[] row : run.rows("acquisitions")) {
                acquisitions.computeIfAbsent(row[0] + "|" + row[1] + "|" + row[2], k -> new ArrayList<>())
                        .add(Double.parseDouble(row[3]));
            }
            for (String[] row : run.rows("cpu")) {
                double[] sums = cpu.computeIfAbsent(row[0] + "|" + row[1] + "|" + row[2], k -> new double[3]);
                for (int i = 0; i < 3; i++) {
                    sums[i] += Double.parseDouble(row[4 + i]);
                }
            }
            for (String[] row : run.rows("wire")) {
                wire.computeIfAbsent(row[0] + "|" + row[1], k -> new ArrayList<>()).add(new double[] {
                    Double.parseDouble(row[2]), Double.parseDouble(row[3]) + Double.parseDouble(row[4])});
            }
        }
        boolean withCpu = !cpu.isEmpty();
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "%d JVM run(s). ops/s: median over every round of every run (the runs' "
                + "medians, min..max). **context / this**: paired per round, median over every round (the runs' "
                + "medians, min..max). Round trips and statements (simple queries + extended-protocol syncs) per unit "
                + "of work, counted on the wire one unit of work at a time.%s%n%n", runs.size(), withCpu
                ? " CPU µs per unit of work: this JVM (client) and the two PostgreSQL servers (every process of "
                        + "both), summed over every slice of every run." : ""));
        md.append("| workload | conc | variant | ops/s | runs' medians | **context / this** | runs' ratios "
                + "| round trips | statements | acquisitions |" + (withCpu ? " client CPU µs | server CPU µs |" : "")
                + "\n|---|---|---|---|---|---|---|---|---|---|" + (withCpu ? "---|---|" : "") + "\n");
        for (Map.Entry<String, Map<String, List<Map<Integer, Double>>>> group : rates.entrySet()) {
            String[] key = group.getKey().split("\\|");
            String workload = key[0];
            List<Map<Integer, Double>> context = group.getValue().get(Variant.Kind.CONTEXT.label());
            List<Map.Entry<String, List<Map<Integer, Double>>>> variants = new ArrayList<>(group.getValue().entrySet());
            variants.sort(java.util.Comparator.comparingInt(entry -> ORDER.indexOf(entry.getKey())));
            for (Map.Entry<String, List<Map<Integer, Double>>> variant : variants) {
                List<Double> all = new ArrayList<>();
                List<Double> runMedians = new ArrayList<>();
                List<Double> ratios = new ArrayList<>();
                List<Double> runRatios = new ArrayList<>();
                for (int r = 0; r < variant.getValue().size(); r++) {
                    List<Double> runRates = new ArrayList<>(variant.getValue().get(r).values());
                    all.addAll(runRates);
                    runMedians.add(Tsv.median(runRates));
                    if (context != null && r < context.size()) {
                        List<Double> paired = new ArrayList<>();
                        for (Map.Entry<Integer, Double> round : variant.getValue().get(r).entrySet()) {
                            Double contextRate = context.get(r).get(round.getKey());
                            if (contextRate != null) {
                                paired.add(contextRate / round.getValue());
                            }
                        }
                        ratios.addAll(paired);
                        runRatios.add(Tsv.median(paired));
                    }
                }
                boolean self = variant.getKey().equals(Variant.Kind.CONTEXT.label());
                List<double[]> counts = wire.getOrDefault(workload + "|" + variant.getKey(), List.of());
                String label = workload.equals(InterleavedComparison.Workload.EMPTY_UNIT_OF_WORK.label)
                        && isKind(variant.getKey())
                        ? InterleavedComparison.label(InterleavedComparison.Workload.EMPTY_UNIT_OF_WORK,
                                Variant.Kind.of(variant.getKey()))
                        : variant.getKey();
                double[] spent = cpu.get(workload + "|" + key[1] + "|" + variant.getKey());
                md.append(String.format(Locale.ROOT,
                        "| %s | %s | %s | %.0f | %.0f..%.0f | %s | %s | %s | %s | %s |%s%n",
                        workload, key[1], label, Tsv.median(all), Tsv.min(runMedians), Tsv.max(runMedians),
                        self ? "" : String.format(Locale.ROOT, "**%.2f**", Tsv.median(ratios)),
                        self ? "" : String.format(Locale.ROOT, "%.2f..%.2f", Tsv.min(runRatios), Tsv.max(runRatios)),
                        counts.isEmpty() ? "" : String.format(Locale.ROOT, "%.2f",
                                Tsv.median(counts.stream().map(c -> c[0]).toList())),
                        counts.isEmpty() ? "" : String.format(Locale.ROOT, "%.2f",
                                Tsv.median(counts.stream().map(c -> c[1]).toList())),
                        String.format(Locale.ROOT, "%.3f", Tsv.median(acquisitions.getOrDefault(
                                workload + "|" + key[1] + "|" + variant.getKey(), List.of()))),
                        !withCpu ? "" : spent == null ? "  |  |" : String.format(Locale.ROOT, " %.1f | %.1f |",
                                spent[1] / 1e3 / spent[0], spent[2] / 1e3 / spent[0])));
                if (!self && !workload.equals(InterleavedComparison.Workload.EMPTY_UNIT_OF_WORK.label)
                        && references.contains(variant.getKey())) {
                    chart.add(new Ratio(workload + ", " + key[1] + " in flight", "context / " + variant.getKey(),
                            Tsv.median(ratios), runs.size() > 1 ? Tsv.min(runRatios) : Tsv.min(ratios),
                            runs.size() > 1 ? Tsv.max(runRatios) : Tsv.max(ratios)));
                }
            }
        }
        return md.toString();
    }

    private static boolean isKind(String label) {
        for (Variant.Kind kind : Variant.Kind.values()) {
            if (kind.label().equals(label)) {
                return true;
            }
        }
        return false;
    }

    /** The order of the rows: the database variants, then the HTTP servers. */
    private static final List<String> ORDER = new ArrayList<>();

    static {
        for (Variant.Kind kind : Variant.Kind.values()) {
            ORDER.add(kind.label());
        }
        ORDER.addAll(List.of("context+own-loops", "raw-pipelined+shared-loops", "context-data", "tx-client",
                "tx-data"));
    }

    /** The variants the chart compares context-r2dbc with. */
    private static final Set<String> REFERENCES = new LinkedHashSet<>(List.of(Variant.Kind.RAW_PIPELINED.label(),
            Variant.Kind.RAW.label(), Variant.Kind.SPRING_CLIENT.label(), Variant.Kind.SPRING_DATA.label()));
}
