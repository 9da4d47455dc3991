package io.github.contextr2dbc.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One PostgreSQL server of a local pair: its data folder, port and server log, driven through
 * {@code initdb}, {@code pg_basebackup} and {@code pg_ctl} as the servers' OS user.
 */
final class PostgresServer {

    private static final Logger log = LoggerFactory.getLogger(PostgresServer.class);
    private static final Duration PG_CTL_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration COMMAND_TIMEOUT = PG_CTL_TIMEOUT.plusSeconds(30);
    private static final String SUPERUSER = "postgres";

    private final String role;
    private final Path dataDir;
    private final Path logFile;
    private final PostgresBinaries bin;
    private final OsUser user;
    private final CommandRunner runner;
    private int port;

    /**
     * Describes a server; nothing is created yet.
     *
     * @param role   {@code "primary"} or {@code "replica"}; also the folder and log file names
     * @param run    the run folder
     * @param bin    the server programs
     * @param user   the OS user the programs run as
     * @param runner runs the programs in the run folder
     */
    PostgresServer(String role, RunFolder run, PostgresBinaries bin, OsUser user, CommandRunner runner) {
        this.role = role;
        this.dataDir = run.dir().resolve(role);
        this.logFile = run.dir().resolve(role + ".log");
        this.bin = bin;
        this.user = user;
        this.runner = runner;
    }

    /**
     * Returns the port set by {@link #usePort(int)}.
     *
     * @return the TCP port
     */
    int port() {
        return port;
    }

    /**
     * Creates the data folder with {@code initdb} (superuser {@code postgres}, trust authentication, UTF-8,
     * locale {@code C.UTF-8} or {@code C} where that locale does not exist).
     */
    void initdb() {
        try {
            runInitdb("C.UTF-8");
        } catch (IllegalStateException e) {
            if (!LogTail.of(runner.logFile(), 20).contains("invalid locale name")) {
                throw e;
            }
            runInitdb("C");
        }
    }

    /**
     * Fills the (not yet existing) data folder with a base backup of a running primary, configured as its
     * standby ({@code pg_basebackup -R -X stream}).
     *
     * @param primary the running primary
     */
    void baseBackupFrom(PostgresServer primary) {
        runner.run(COMMAND_TIMEOUT, "pg_basebackup of the " + role, user.command(List.of(
                bin.program("pg_basebackup"), "-h", "127.0.0.1", "-p", Integer.toString(primary.port),
                "-U", SUPERUSER, "-D", dataDir.toString(), "-R", "-X", "stream", "-c", "fast", "--no-sync")));
    }

    /**
     * Appends settings to {@code postgresql.conf}; later lines win over earlier ones.
     *
     * @param lines {@code name = value} lines
     */
    void configure(List<String> lines) {
        List<String> text = new ArrayList<>();
        text.add("# --- context-r2dbc launcher (" + role + ") ---");
        text.addAll(lines);
        write("postgresql.conf", text, StandardOpenOption.APPEND);
    }

    /**
     * Makes the (stopped) server start as a hot standby of {@code upstream}: {@code standby.signal}, owned by
     * the servers' OS user, and the connection to stream from.
     *
     * @param upstream the server to follow
     */
    void becomeStandbyOf(PostgresServer upstream) {
        Path signal = dataDir.resolve("standby.signal");
        try {
            if (!Files.exists(signal)) {
                Files.createFile(signal);
            }
            user.own(signal);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + signal + ": " + e.getMessage(), e);
        }
        configure(List.of(
                "primary_conninfo = 'host=127.0.0.1 port=" + upstream.port + " user=" + SUPERUSER + "'",
                "recovery_target_timeline = 'latest'",
                "hot_standby = on"));
    }

    /**
     * Replaces {@code pg_hba.conf}.
     *
     * @param lines the rules
     */
    void writeHba(List<String> lines) {
        write("pg_hba.conf", lines, StandardOpenOption.TRUNCATE_EXISTING);
    }

    /**
     * Sets the port the server listens on, from its next start.
     *
     * @param newPort the TCP port
     */
    void usePort(int newPort) {
        configure(List.of("port = " + newPort));
        this.port = newPort;
    }

    /**
     * Starts the server ({@code pg_ctl start -w}) and waits until it accepts connections.
     *
     * @throws IllegalStateException if it does not start; the message holds the end of the server log
     */
    void start() {
        try {
            runner.run(COMMAND_TIMEOUT, "Starting the " + role, user.command(List.of(bin.program("pg_ctl"),
                    "-D", dataDir.toString(), "-l", logFile.toString(), "-w", "-t",
                    Long.toString(PG_CTL_TIMEOUT.toSeconds()), "start")));
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + System.lineSeparator() + "--- end of " + logFile
                    + " ---" + System.lineSeparator() + LogTail.of(logFile, 30), e);
        }
    }

    /**
     * Tells whether the last start failed because the port was taken meanwhile.
     *
     * @return {@code true} if the server log says the address is in use
     */
    boolean portWasTaken() {
        String tail = LogTail.of(logFile, 30);
        return tail.contains("Address already in use") || tail.contains("could not bind");
    }

    /**
     * Stops the server and waits until it is down.
     *
     * @param mode {@code "fast"} (clean shutdown) or {@code "immediate"} (no checkpoint)
     */
    void stop(String mode) {
        runner.run(COMMAND_TIMEOUT, "Stopping the " + role, user.command(List.of(bin.program("pg_ctl"),
                "-D", dataDir.toString(), "-m", mode, "-w", "-t", Long.toString(PG_CTL_TIMEOUT.toSeconds()),
                "stop")));
    }

    /**
     * Stops the server at once if it runs; failures are logged, and a server that survives is killed.
     */
    void stopQuietly() {
        if (!Files.exists(dataDir.resolve("postmaster.pid"))) {
            return;
        }
        try {
            stop("immediate");
        } catch (RuntimeException e) {
            log.warn("Stopping the {} in {} failed: {}", role, dataDir, e.getMessage());
        }
        killSurvivor(dataDir);
    }

    /**
     * Stops a server left behind by a JVM that is gone: {@code pg_ctl stop -m immediate} as the data
     * folder's owner, then a kill if it still runs. Failures are ignored.
     *
     * @param dataDir the data folder
     * @param bin     the server programs
     */
    static void stopAbandoned(Path dataDir, PostgresBinaries bin) {
        if (!Files.exists(dataDir.resolve("postmaster.pid"))) {
            return;
        }
        try {
            CommandRunner.quiet(dataDir.getParent()).exitCode(COMMAND_TIMEOUT, OsUser.ownerOf(dataDir).command(
                    List.of(bin.program("pg_ctl"), "-D", dataDir.toString(), "-m", "immediate", "-w", "-t", "20",
                            "stop")));
        } catch (RuntimeException e) {
            log.debug("pg_ctl stop of the abandoned server in {} failed", dataDir, e);
        }
        killSurvivor(dataDir);
    }

    private static void killSurvivor(Path dataDir) {
        postmaster(dataDir).ifPresent(process -> {
            log.warn("Killing PostgreSQL process {} of {}, which did not stop", process.pid(), dataDir);
            process.destroyForcibly();
        });
    }

    private static Optional<ProcessHandle> postmaster(Path dataDir) {
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"), StandardCharsets.UTF_8);
            if (lines.isEmpty()) {
                return Optional.empty();
            }
            long pid = Long.parseLong(lines.get(0).trim());
            return ProcessHandle.of(pid).filter(p -> p.info().command().map(c -> c.contains("postgres"))
                    .orElse(false));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private void runInitdb(String locale) {
        runner.run(COMMAND_TIMEOUT, "initdb of the " + role, user.command(List.of(bin.program("initdb"),
                "-D", dataDir.toString(), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=" + locale,
                "--no-instructions", "--no-sync")));
    }

    private void write(String file, List<String> lines, StandardOpenOption mode) {
        try {
            // the file exists and belongs to the servers' user; writing into it keeps that owner
            Files.write(dataDir.resolve(file), lines, StandardCharsets.UTF_8, StandardOpenOption.WRITE, mode);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + dataDir.resolve(file) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return role + " 127.0.0.1:" + port + " (" + dataDir + ")";
    }
}
