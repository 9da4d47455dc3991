package io.github.contextr2dbc.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * The HTTP table of a round: the rows of {@link HttpComparison} runs, in the shape of {@link DbReport}'s (the
 * rows are renamed so that the same merge applies: route for workload, servers for variants, context for
 * context).
 */
final class HttpReport {

    private HttpReport() {
    }

    static String markdown(List<Tsv.Run> runs, List<DbReport.Ratio> chart) {
        List<Tsv.Run> renamed = new ArrayList<>();
        for (Tsv.Run run : runs) {
            List<String[]> rows = new ArrayList<>();
            for (String[] row : run.rows()) {
                if (row[0].equals("http")) {
                    String[] copy = row.clone();
                    copy[0] = "rate";
                    rows.add(copy);
                } else if (row[0].equals("http-acquisitions")) {
                    String[] copy = row.clone();
                    copy[0] = "acquisitions";
                    rows.add(copy);
                }
            }
            renamed.add(new Tsv.Run(run.name(), rows));
        }
        return DbReport.markdown(renamed, chart, List.of("raw-pipelined", "raw-pipelined+shared-loops",
                "context+own-loops", "tx-client", "tx-data"))
                .replace("| workload | conc | variant |", "| route | clients | server |")
                .replace("ops/s", "requests/s")
                .replace("per unit of work, counted on the wire one unit of work at a time", "(not counted over HTTP)");
    }
}
