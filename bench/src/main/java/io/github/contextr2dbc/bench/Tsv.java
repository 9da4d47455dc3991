package io.github.contextr2dbc.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/** Reading back the rows of {@link TsvOut}: one file per JVM run. */
final class Tsv {

    /** The file's name (the run) and its rows, split at tabs. */
    record Run(String name, List<String[]> rows) {

        /** The rows of {@code kind}, without the kind column. */
        List<String[]> rows(String kind) {
            List<String[]> matching = new ArrayList<>();
            for (String[] row : this.rows) {
                if (row[0].equals(kind)) {
                    matching.add(Arrays.copyOfRange(row, 1, row.length));
                }
            }
            return matching;
        }
    }

    private Tsv() {
    }

    /** The runs in {@code dir} whose file name starts with {@code prefix} and ends with {@code .tsv}, by name. */
    static List<Run> runs(Path dir, String prefix) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<Run> runs = new ArrayList<>();
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith(prefix)
                    && f.getFileName().toString().endsWith(".tsv")).sorted().toList()) {
                List<String[]> rows = new ArrayList<>();
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (!line.isBlank()) {
                        rows.add(line.split("\t", -1));
                    }
                }
                runs.add(new Run(file.getFileName().toString(), rows));
            }
            return runs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The median of {@code values} (NaN if there are none). */
    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return InterleavedComparison.median(sorted);
    }

    static double min(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    static double max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }
}
