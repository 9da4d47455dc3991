package io.github.contextr2dbc.launcher;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The last lines of a log file, for error messages. */
final class LogTail {

    private static final int MAX_BYTES = 16 * 1024;

    private LogTail() {
    }

    /**
     * Reads the last lines of a file.
     *
     * @param file  the log file
     * @param lines how many lines at most
     * @return the lines joined by line breaks, or a note saying why there are none
     */
    static String of(Path file, int lines) {
        if (!Files.isRegularFile(file)) {
            return "(no log file " + file + ")";
        }
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            long length = in.length();
            int size = (int) Math.min(length, MAX_BYTES);
            byte[] bytes = new byte[size];
            in.seek(length - size);
            in.readFully(bytes);
            List<String> all = Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\\R"));
            List<String> tail = all.subList(Math.max(0, all.size() - lines), all.size());
            return tail.isEmpty() || (tail.size() == 1 && tail.get(0).isBlank())
                    ? "(log file " + file + " is empty)"
                    : String.join(System.lineSeparator(), tail);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }
}
