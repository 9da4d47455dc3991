package io.github.contextr2dbc.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The operating-system user the PostgreSQL programs run as. PostgreSQL refuses to run as root, so when the
 * JVM runs as root the programs run as an unprivileged system user (created when missing) through
 * {@code runuser -u USER --}; otherwise they run as the JVM's own user.
 */
final class OsUser {

    /** Environment variable naming the unprivileged user to use when the JVM runs as root. */
    static final String USER_ENV = "CONTEXT_R2DBC_PG_OS_USER";
    /** The unprivileged user created when the JVM runs as root and {@value #USER_ENV} is not set. */
    static final String DEFAULT_USER = "context-r2dbc-pg";

    private static final Duration SHORT = Duration.ofSeconds(30);
    private static final int USERADD_EXISTS = 9;

    private final String name;
    private final boolean switching;

    private OsUser(String name, boolean switching) {
        this.name = name;
        this.switching = switching;
    }

    /**
     * Returns the user the servers run as, creating the unprivileged system user first when the JVM runs as
     * root and it does not exist yet.
     *
     * @return the user
     */
    static OsUser forServers() {
        if (!jvmIsRoot()) {
            return new OsUser(System.getProperty("user.name"), false);
        }
        String name = System.getenv(USER_ENV);
        OsUser user = new OsUser(name == null || name.isBlank() ? DEFAULT_USER : name.trim(), true);
        user.ensureExists();
        return user;
    }

    /**
     * Returns a user that runs programs as the owner of a file, for cleaning up folders left by other runs.
     *
     * @param file a file or folder
     * @return the owner when the JVM is root (and the owner is not root), else the JVM's own user
     */
    static OsUser ownerOf(Path file) {
        if (!jvmIsRoot()) {
            return new OsUser(System.getProperty("user.name"), false);
        }
        try {
            String owner = Files.getOwner(file).getName();
            return new OsUser(owner, !"root".equals(owner));
        } catch (IOException e) {
            return new OsUser("root", false);
        }
    }

    /**
     * Returns the user's name.
     *
     * @return the name
     */
    String name() {
        return name;
    }

    /**
     * Returns a command that runs the given one as this user.
     *
     * @param command a program and its arguments
     * @return the same command, behind {@code runuser -u USER --} when the JVM is root
     */
    List<String> command(List<String> command) {
        if (!switching) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", name, "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /**
     * Makes this user the owner of a file or folder (not recursive); nothing to do when the JVM is not root.
     *
     * @param file the file or folder
     * @throws IOException if the owner cannot be changed
     */
    void own(Path file) throws IOException {
        if (switching) {
            UserPrincipal principal = file.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(name);
            Files.setOwner(file, principal);
        }
    }

    /**
     * Tells whether this user can reach a folder, that is traverse it and all its parents.
     *
     * @param dir the folder
     * @return {@code true} if the user can {@code cd} into it
     */
    boolean canTraverse(Path dir) {
        if (!switching) {
            return Files.isExecutable(dir);
        }
        return CommandRunner.quiet(Path.of("/")).exitCode(SHORT, command(List.of("test", "-x", dir.toString()))) == 0;
    }

    private void ensureExists() {
        CommandRunner runner = CommandRunner.quiet(Path.of("/"));
        if (runner.exitCode(SHORT, List.of("id", "-u", name)) == 0) {
            return;
        }
        String shell = Files.isExecutable(Path.of("/usr/sbin/nologin")) ? "/usr/sbin/nologin"
                : Files.isExecutable(Path.of("/sbin/nologin")) ? "/sbin/nologin" : "/bin/false";
        List<String> useradd = List.of("useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                "--shell", shell, name);
        for (int attempt = 1; ; attempt++) {
            int code = runner.exitCode(SHORT, useradd);
            // exit code 9: created concurrently by another JVM; any other failure may be a lock on /etc/passwd
            if (code == 0 || code == USERADD_EXISTS || runner.exitCode(SHORT, List.of("id", "-u", name)) == 0) {
                return;
            }
            if (attempt == 5) {
                throw new IllegalStateException("The JVM runs as root and PostgreSQL refuses root, but creating "
                        + "the system user '" + name + "' failed (useradd exit code " + code + "). Create it "
                        + "yourself (" + String.join(" ", useradd) + "), name an existing unprivileged user in "
                        + USER_ENV + ", or run the tests as a non-root user.");
            }
            try {
                Thread.sleep(200L * attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while creating the OS user " + name, e);
            }
        }
    }

    private static boolean jvmIsRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
