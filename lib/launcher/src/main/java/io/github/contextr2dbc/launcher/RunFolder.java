package io.github.contextr2dbc.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * The folder of one local pair: both data folders, their server logs, the launcher's command log, a file
 * naming the JVM that owns the folder, and a pointer to the pair's short Unix-socket folder under
 * {@code /tmp}. Folders live under {@code target/pg-clusters/} of the working directory, or under
 * {@code /tmp/context-r2dbc-pg-clusters/} when the servers' OS user cannot reach {@code target/}.
 */
final class RunFolder {

    /** The file holding the owning JVM's process id and start time. */
    static final String OWNER_FILE = "owner.properties";
    /** The file holding the path of the run's Unix-socket folder. */
    static final String SOCKET_FILE = "socket-dir";

    private static final Path FALLBACK_ROOT = Path.of("/tmp", "context-r2dbc-pg-clusters");
    private static final String OPEN = "rwxr-xr-x";

    private final Path dir;
    private final Path socketDir;

    private RunFolder(Path dir, Path socketDir) {
        this.dir = dir;
        this.socketDir = socketDir;
    }

    /**
     * Lists the folders that may hold run folders: {@code target/pg-clusters} of the working directory and
     * the {@code /tmp} fallback.
     *
     * @return both roots, existing or not
     */
    static List<Path> roots() {
        return List.of(preferredRoot(), FALLBACK_ROOT);
    }

    /**
     * Creates a new run folder, owned by the servers' user, with a fresh socket folder.
     *
     * @param user the servers' OS user
     * @return the run folder
     */
    static RunFolder create(OsUser user) {
        try {
            Path root = chooseRoot(user);
            long pid = ProcessHandle.current().pid();
            Path dir = Files.createTempDirectory(root, "run-" + pid + "-");
            Properties owner = new Properties();
            owner.setProperty("pid", Long.toString(pid));
            ProcessHandle.current().info().startInstant()
                    .ifPresent(start -> owner.setProperty("start", Long.toString(start.toEpochMilli())));
            try (var out = Files.newBufferedWriter(dir.resolve(OWNER_FILE), StandardCharsets.UTF_8)) {
                owner.store(out, "JVM that owns this PostgreSQL pair; the folder is deleted when it is gone");
            }
            Path socketDir = Files.createTempDirectory(shortTemp(), "ctxpg");
            Files.writeString(dir.resolve(SOCKET_FILE), socketDir.toString(), StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(OPEN));
            user.own(dir);
            user.own(socketDir);
            return new RunFolder(dir, socketDir);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a folder for the PostgreSQL pair: " + e.getMessage(), e);
        }
    }

    /**
     * Returns the run folder.
     *
     * @return its path
     */
    Path dir() {
        return dir;
    }

    /**
     * Returns the Unix-socket folder, a short path under {@code /tmp}.
     *
     * @return its path
     */
    Path socketDir() {
        return socketDir;
    }

    /**
     * Tells whether the JVM that created a run folder is gone (or unknown and the folder is old).
     *
     * @param dir a run folder
     * @return {@code true} if nobody owns it any more
     */
    static boolean abandoned(Path dir) {
        Path ownerFile = dir.resolve(OWNER_FILE);
        Properties owner = new Properties();
        try (var in = Files.newBufferedReader(ownerFile, StandardCharsets.UTF_8)) {
            owner.load(in);
        } catch (NoSuchFileException e) {
            // being created right now, or a crash before the owner was written: stale only when old
            return olderThanMinutes(dir, 10);
        } catch (IOException | IllegalArgumentException e) {
            return olderThanMinutes(dir, 10);
        }
        long pid;
        try {
            pid = Long.parseLong(owner.getProperty("pid", ""));
        } catch (NumberFormatException e) {
            return olderThanMinutes(dir, 10);
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty() || zombie(pid)) {
            return true;
        }
        String recorded = owner.getProperty("start");
        Optional<Instant> start = process.get().info().startInstant();
        if (recorded == null || start.isEmpty()) {
            return false;
        }
        // same pid, different start time: the pid was reused by an unrelated process
        return Math.abs(start.get().toEpochMilli() - Long.parseLong(recorded)) > 2_000;
    }

    /**
     * Returns the socket folder recorded in a run folder.
     *
     * @param dir a run folder
     * @return the socket folder, if recorded
     */
    static Optional<Path> recordedSocketDir(Path dir) {
        try {
            String text = Files.readString(dir.resolve(SOCKET_FILE), StandardCharsets.UTF_8).trim();
            return text.startsWith("/tmp/") || text.startsWith(System.getProperty("java.io.tmpdir"))
                    ? Optional.of(Path.of(text)) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Deletes a folder and everything in it; files that vanish meanwhile are ignored.
     *
     * @param dir the folder
     */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw e;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path folder, IOException e) throws IOException {
                    if (e != null && !(e instanceof NoSuchFileException)) {
                        throw e;
                    }
                    Files.deleteIfExists(folder);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException e) {
            // deleted concurrently
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }

    private static Path chooseRoot(OsUser user) throws IOException {
        Path preferred = preferredRoot();
        if (usable(preferred, user)) {
            return preferred;
        }
        if (usable(FALLBACK_ROOT, user)) {
            return FALLBACK_ROOT;
        }
        throw new IllegalStateException("Neither " + preferred + " nor " + FALLBACK_ROOT + " can be reached by the "
                + "OS user '" + user + "' that runs PostgreSQL; make one of them (and its parents) traversable "
                + "(chmod o+x) for that user");
    }

    private static boolean usable(Path root, OsUser user) {
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            return false;
        }
        try {
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString(OPEN));
        } catch (IOException | UnsupportedOperationException e) {
            // not ours: whether it is reachable is checked below
        }
        return user.canTraverse(root);
    }

    private static Path preferredRoot() {
        return Path.of(System.getProperty("user.dir"), "target", "pg-clusters").toAbsolutePath();
    }

    private static Path shortTemp() {
        Path tmp = Path.of("/tmp");
        return Files.isDirectory(tmp) ? tmp : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** A killed process that nobody reaped yet still has a pid, but it is gone for our purposes. */
    private static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
            int end = stat.lastIndexOf(')'); // the state follows the command name, which may hold spaces
            return end > 0 && end + 2 < stat.length() && stat.charAt(end + 2) == 'Z';
        } catch (IOException | RuntimeException e) {
            return false; // no /proc: trust ProcessHandle
        }
    }

    private static boolean olderThanMinutes(Path dir, int minutes) {
        try {
            Instant modified = Files.getLastModifiedTime(dir).toInstant();
            return modified.isBefore(Instant.now().minusSeconds(60L * minutes));
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return dir.toString();
    }
}
