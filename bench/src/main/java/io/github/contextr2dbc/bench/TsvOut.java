package io.github.contextr2dbc.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * Tab-separated result rows (a kind, then values) written by the mains for {@link BenchRound} to merge: to the
 * file named by {@code -Dbench.out=…}, to a list (tests), or nowhere.
 */
final class TsvOut implements AutoCloseable {

    /** The system property naming the file the rows go to. */
    static final String PROPERTY = "bench.out";

    private final Writer writer;

    private final List<String> lines;

    private TsvOut(Writer writer, List<String> lines) {
        this.writer = writer;
        this.lines = lines;
    }

    /** Rows to the file of {@value #PROPERTY} (created or replaced), or nowhere if it is not set. */
    static TsvOut fromProperty() {
        String file = System.getProperty(PROPERTY, "");
        if (file.isBlank()) {
            return new TsvOut(null, null);
        }
        try {
            Path path = Path.of(file);
            if (path.getParent() != null) {
                Files.createDirectories(path.getParent());
            }
            return new TsvOut(Files.newBufferedWriter(path, StandardCharsets.UTF_8), null);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file, e);
        }
    }

    /** Rows to {@code lines}. */
    static TsvOut to(List<String> lines) {
        return new TsvOut(null, lines);
    }

    /** Rows nowhere. */
    static TsvOut none() {
        return new TsvOut(null, null);
    }

    /** One row: {@code kind}, then the values (doubles with 3 decimals), tab-separated. */
    synchronized void row(String kind, Object... values) {
        StringJoiner line = new StringJoiner("\t");
        line.add(kind);
        for (Object value : values) {
            line.add(value instanceof Double number ? String.format(Locale.ROOT, "%.3f", number)
                    : String.valueOf(value));
        }
        if (this.lines != null) {
            this.lines.add(line.toString());
        }
        if (this.writer != null) {
            try {
                this.writer.write(line + "\n");
                this.writer.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Override
    public void close() {
        if (this.writer != null) {
            try {
                this.writer.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
