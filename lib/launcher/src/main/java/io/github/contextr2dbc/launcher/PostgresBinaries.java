package io.github.contextr2dbc.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The folder holding the PostgreSQL server programs ({@code initdb}, {@code pg_ctl}, {@code pg_basebackup},
 * {@code postgres}).
 *
 * @param dir the folder
 */
record PostgresBinaries(Path dir) {

    /** Environment variable naming the folder explicitly. */
    static final String BIN_ENV = "CONTEXT_R2DBC_PG_BIN";

    private static final List<String> REQUIRED = List.of("initdb", "pg_ctl", "pg_basebackup", "postgres");
    private static final Pattern VERSION = Pattern.compile("(\\d+)(?:\\.(\\d+))?");

    /**
     * Finds the server programs: the folder in {@code CONTEXT_R2DBC_PG_BIN}; else the folder of the
     * {@code initdb} on the {@code PATH} (symbolic links followed); else {@code pg_config --bindir}; else the
     * newest {@code /usr/lib/postgresql/<version>/bin} or {@code /usr/pgsql-<version>/bin}.
     *
     * @return the folder, or empty when PostgreSQL server binaries are not installed
     * @throws IllegalStateException if {@code CONTEXT_R2DBC_PG_BIN} is set to a folder without them
     */
    static Optional<PostgresBinaries> find() {
        String explicit = System.getenv(BIN_ENV);
        if (explicit != null && !explicit.isBlank()) {
            Path dir = Path.of(explicit.trim());
            if (!complete(dir)) {
                throw new IllegalStateException(BIN_ENV + "=" + explicit + " does not hold all of " + REQUIRED
                        + "; point it at the PostgreSQL server bin folder (see pg_config --bindir) or unset it");
            }
            return Optional.of(new PostgresBinaries(dir));
        }
        Optional<Path> found = onPath().or(PostgresBinaries::fromPgConfig).or(PostgresBinaries::newestInstalled);
        return found.map(PostgresBinaries::new);
    }

    /**
     * Returns the path of one program.
     *
     * @param program for example {@code "pg_ctl"}
     * @return its absolute path as text
     */
    String program(String program) {
        return dir.resolve(program).toString();
    }

    private static Optional<Path> onPath() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String entry : path.split(java.io.File.pathSeparator)) {
            if (entry.isEmpty()) {
                continue;
            }
            Path initdb = Path.of(entry, "initdb");
            if (Files.isExecutable(initdb)) {
                try {
                    Path dir = initdb.toRealPath().getParent();
                    if (complete(dir)) {
                        return Optional.of(dir);
                    }
                } catch (IOException e) {
                    // a dangling link; keep looking
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<Path> fromPgConfig() {
        try {
            Process process = new ProcessBuilder("pg_config", "--bindir").redirectErrorStream(true).start();
            process.getOutputStream().close();
            String out;
            try (InputStream in = process.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return Optional.empty();
            }
            if (process.exitValue() != 0 || out.isEmpty()) {
                return Optional.empty();
            }
            Path dir = Path.of(out);
            return complete(dir) ? Optional.of(dir) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty(); // no pg_config
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static Optional<Path> newestInstalled() {
        List<Path> candidates = new ArrayList<>();
        collect(Path.of("/usr/lib/postgresql"), "*", "bin", candidates);
        collect(Path.of("/usr"), "pgsql-*", "bin", candidates);
        return candidates.stream()
                .filter(PostgresBinaries::complete)
                .max(Comparator.comparingLong(PostgresBinaries::versionOf));
    }

    private static void collect(Path parent, String glob, String child, List<Path> into) {
        if (!Files.isDirectory(parent)) {
            return;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(parent, glob)) {
            for (Path dir : dirs) {
                into.add(dir.resolve(child));
            }
        } catch (IOException e) {
            // unreadable: nothing found there
        }
    }

    private static long versionOf(Path binDir) {
        Path versionDir = binDir.getParent();
        Matcher m = VERSION.matcher(versionDir == null ? "" : String.valueOf(versionDir.getFileName()));
        if (!m.find()) {
            return -1;
        }
        long major = Long.parseLong(m.group(1));
        long minor = m.group(2) == null ? 0 : Long.parseLong(m.group(2));
        return major * 1000 + minor;
    }

    private static boolean complete(Path dir) {
        return dir != null && REQUIRED.stream().allMatch(p -> Files.isExecutable(dir.resolve(p)));
    }
}
