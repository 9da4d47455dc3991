package io.github.contextr2dbc.launcher;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes the run folders of JVMs that ended without stopping their servers (killed builds, crashed
 * forks): their servers are stopped and their folders deleted. Folders of live JVMs are left alone.
 */
final class StaleRuns {

    private static final Logger log = LoggerFactory.getLogger(StaleRuns.class);

    private StaleRuns() {
    }

    /**
     * Cleans every abandoned run folder under the given roots.
     *
     * @param roots folders holding run folders
     * @param bin   the server programs, to stop servers that still run
     */
    static void clean(List<Path> roots, PostgresBinaries bin) {
        for (Path root : roots) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (DirectoryStream<Path> runs = Files.newDirectoryStream(root, "run-*")) {
                for (Path run : runs) {
                    if (Files.isDirectory(run) && RunFolder.abandoned(run)) {
                        remove(run, bin);
                    }
                }
            } catch (IOException | RuntimeException e) {
                log.warn("Could not clean abandoned PostgreSQL folders under {}: {}", root, e.toString());
            }
        }
    }

    private static void remove(Path run, PostgresBinaries bin) {
        log.info("Removing the abandoned PostgreSQL pair in {}", run);
        PostgresServer.stopAbandoned(run.resolve("replica"), bin);
        PostgresServer.stopAbandoned(run.resolve("primary"), bin);
        try {
            RunFolder.recordedSocketDir(run).ifPresent(RunFolder::deleteTree);
            RunFolder.deleteTree(run);
        } catch (RuntimeException e) {
            log.warn("Could not delete {}: {}", run, e.toString());
        }
    }
}
