package io.github.contextr2dbc.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.r2dbc.spi.ConnectionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A primary and a streaming hot standby started from the PostgreSQL server binaries on this machine, on
 * free ports of 127.0.0.1, with trust authentication for loopback connections and durability switched off
 * for speed ({@code fsync}, {@code synchronous_commit}, {@code full_page_writes}). It needs PostgreSQL 14
 * or newer.
 */
final class LocalPostgresPair extends AbstractPostgresPair {

    private static final Logger log = LoggerFactory.getLogger(LocalPostgresPair.class);
    private static final int PORT_ATTEMPTS = 3;

    private final RunFolder run;
    private final PostgresServer primary;
    private final PostgresServer replica;
    private final PostgresBinaries bin;
    private final OsUser user;
    private final CommandRunner runner;
    private PostgresServer secondReplica;
    /** Roles the primary asks for a password ({@link #requirePassword(String, String)}). */
    private final List<String> passwordRoles = new ArrayList<>();
    private Thread shutdownHook;
    private boolean closed;

    private LocalPostgresPair(RunFolder run, PostgresServer primary, PostgresServer replica, PostgresBinaries bin,
            OsUser user, CommandRunner runner) {
        super("local", endpoint(primary), endpoint(replica));
        this.bin = bin;
        this.user = user;
        this.runner = runner;
        this.run = run;
        this.primary = primary;
        this.replica = replica;
    }

    /**
     * Creates and starts a pair in a new run folder, after removing the folders of JVMs that are gone.
     * A JVM shutdown hook stops it if {@link #close()} is never called.
     *
     * @param bin the server programs
     * @return the running pair, its replica streaming
     * @throws IllegalStateException if it cannot be started; the message holds the relevant log and what to
     *                               do, and the run folder is kept for diagnosis until the next run
     */
    static LocalPostgresPair start(PostgresBinaries bin) {
        long started = System.nanoTime();
        OsUser user = OsUser.forServers();
        StaleRuns.clean(RunFolder.roots(), bin);
        RunFolder run = RunFolder.create(user);
        CommandRunner runner = CommandRunner.logging(run.dir(), run.dir().resolve("commands.log"));
        PostgresServer primary = new PostgresServer("primary", run, bin, user, runner);
        PostgresServer replica = new PostgresServer("replica", run, bin, user, runner);
        long prepared = System.nanoTime();
        try {
            primary.initdb();
            long initialized = System.nanoTime();
            primary.configure(List.of(
                    "listen_addresses = '127.0.0.1'",
                    "unix_socket_directories = '" + run.socketDir() + "'",
                    "wal_level = replica",
                    "max_wal_senders = 10",
                    "wal_keep_size = '512MB'",
                    "hot_standby = on",
                    "max_connections = 200",
                    "cluster_name = 'primary'",
                    "log_line_prefix = '%m [%p] %q%a '",
                    // tests only: durability off for speed; the WAL writer flushes async commits every 10 ms
                    "fsync = off",
                    "synchronous_commit = off",
                    "full_page_writes = off",
                    "wal_writer_delay = '10ms'"));
            primary.writeHba(hba(List.of()));
            startOnFreePort(primary);
            long primaryUp = System.nanoTime();
            replica.baseBackupFrom(primary);
            long copied = System.nanoTime();
            replica.configure(List.of(
                    "cluster_name = 'replica'",
                    "hot_standby = on",
                    "hot_standby_feedback = on",
                    "wal_retrieve_retry_interval = '100ms'"));
            startOnFreePort(replica);
            long replicaUp = System.nanoTime();
            LocalPostgresPair pair = new LocalPostgresPair(run, primary, replica, bin, user, runner);
            pair.awaitStreaming(() -> "--- end of the replica's log ---" + System.lineSeparator()
                    + LogTail.of(run.dir().resolve("replica.log"), 30));
            long streaming = System.nanoTime();
            pair.registerShutdownHook();
            log.info("PostgreSQL pair (local, {}) up in {} ms: primary 127.0.0.1:{}, replica 127.0.0.1:{}, "
                            + "OS user {}, folder {} [prepare {} ms, initdb {} ms, start primary {} ms, "
                            + "pg_basebackup {} ms, start replica {} ms, streaming {} ms]",
                    bin.dir(), millis(started, streaming), primary.port(), replica.port(), user, run,
                    millis(started, prepared), millis(prepared, initialized), millis(initialized, primaryUp),
                    millis(primaryUp, copied), millis(copied, replicaUp), millis(replicaUp, streaming));
            return pair;
        } catch (RuntimeException e) {
            replica.stopQuietly();
            primary.stopQuietly();
            throw new IllegalStateException("Could not start a local PostgreSQL primary + replica with the "
                    + "binaries in " + bin.dir() + " as OS user '" + user + "': " + e.getMessage()
                    + System.lineSeparator() + "The folder " + run + " is kept for diagnosis (the next run "
                    + "removes it). To use another database instead, start a Docker engine and set "
                    + PairProviders.PROVIDER_ENV + "=testcontainers, or set " + PairProviders.PRIMARY_URL_ENV
                    + " and " + PairProviders.REPLICA_URL_ENV + ".", e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Runs {@code pg_ctl stop -m fast}.
     */
    @Override
    public synchronized void stopPrimary() {
        requireOpen();
        closeControlConnections();
        primary.stop("fast");
        log.info("Stopped the primary (127.0.0.1:{})", primary.port());
    }

    /**
     * {@inheritDoc}
     *
     * <p>Runs {@code pg_ctl start -w} on the same port as before.
     */
    @Override
    public synchronized void startPrimary() {
        requireOpen();
        primary.start();
        log.info("Started the primary (127.0.0.1:{})", primary.port());
    }

    /**
     * {@inheritDoc}
     *
     * <p>Writes {@code standby.signal} and a {@code primary_conninfo} naming the replica's port into the
     * primary's folder, then runs {@code pg_ctl start -w} on the same port as before.
     */
    @Override
    public synchronized void startPrimaryAsStandby() {
        requireOpen();
        primary.becomeStandbyOf(replica);
        primary.start();
        log.info("Started the old primary (127.0.0.1:{}) as a standby of 127.0.0.1:{}", primary.port(),
                replica.port());
    }

    /**
     * {@inheritDoc}
     *
     * <p>Puts a {@code scram-sha-256} line for the role in front of the trust lines of the primary's
     * {@code pg_hba.conf} and reloads it.
     */
    @Override
    public synchronized void requirePassword(String role, String password) {
        requireOpen();
        if (role == null || !role.matches("[a-z_][a-z0-9_]*") || password == null) {
            throw new IllegalArgumentException("requirePassword needs a role of a-z, 0-9 and _, and a password");
        }
        execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + role + "') THEN "
                + "CREATE ROLE " + role + " LOGIN; END IF; END $$");
        execute("ALTER ROLE " + role + " LOGIN PASSWORD '" + password.replace("'", "''") + "'");
        execute("GRANT CREATE ON SCHEMA public TO " + role);
        if (!passwordRoles.contains(role)) {
            passwordRoles.add(role);
        }
        primary.writeHba(hba(passwordRoles));
        execute("SELECT pg_reload_conf()");
        ConnectionFactory withoutPassword = new Endpoint("127.0.0.1", primary.port(), role, "", "postgres", "")
                .connectionFactory();
        if (!poll(() -> !connects(withoutPassword))) {
            throw new IllegalStateException("The primary still lets role " + role + " in without a password "
                    + WAIT.toSeconds() + " s after its pg_hba.conf was reloaded");
        }
        log.info("The primary (127.0.0.1:{}) asks role {} for its password", primary.port(), role);
    }

    private static boolean connects(ConnectionFactory factory) {
        SqlSession session;
        try {
            session = SqlSession.open(factory);
        } catch (RuntimeException refused) {
            return false;
        }
        session.close();
        return true;
    }

    private static List<String> hba(List<String> passwordRoles) {
        List<String> lines = new ArrayList<>();
        lines.add("local   all          all                 trust");
        for (String role : passwordRoles) {
            lines.add("host    all          " + role + "   127.0.0.1/32  scram-sha-256");
        }
        lines.add("host    all          all   127.0.0.1/32  trust");
        lines.add("host    replication  all   127.0.0.1/32  trust");
        return lines;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Runs {@code pg_basebackup -R} from the primary into {@code replica2/} of the run folder and starts it on a
     * free port (about a second).
     */
    @Override
    public synchronized PostgresReplica secondReplica() {
        requireOpen();
        return secondReplica(() -> {
            PostgresServer server = new PostgresServer("replica2", run, bin, user, runner);
            try {
                server.baseBackupFrom(primary);
                server.configure(List.of(
                        "cluster_name = 'replica2'",
                        "hot_standby = on",
                        "hot_standby_feedback = on",
                        "wal_retrieve_retry_interval = '100ms'"));
                startOnFreePort(server);
            } catch (RuntimeException e) {
                server.stopQuietly();
                throw new IllegalStateException("Could not start a second replica: " + e.getMessage(), e);
            }
            secondReplica = server;
            log.info("Second replica of the local pair up on 127.0.0.1:{}", server.port());
            return endpoint(server);
        });
    }

    /**
     * Stops both servers at once ({@code pg_ctl stop -m immediate}) and deletes the run folder and the socket
     * folder.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long started = System.nanoTime();
        try {
            if (shutdownHook != null) {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            }
        } catch (IllegalStateException e) {
            // the JVM is shutting down: this is the hook
        }
        closeControlConnections();
        if (secondReplica != null) {
            secondReplica.stopQuietly();
        }
        replica.stopQuietly();
        primary.stopQuietly();
        try {
            RunFolder.deleteTree(run.socketDir());
            RunFolder.deleteTree(run.dir());
        } catch (RuntimeException e) {
            log.warn("Could not delete {} (the next run removes it): {}", run, e.toString());
        }
        log.info("PostgreSQL pair (local) on ports {}/{} stopped and deleted in {} ms", primary.port(),
                replica.port(), millis(started, System.nanoTime()));
    }

    /**
     * Returns the pair's folder.
     *
     * @return the run folder
     */
    RunFolder runFolder() {
        return run;
    }

    @Override
    public String toString() {
        return "PostgresPair[local, primary " + primaryEndpoint() + ", replica " + replicaEndpoint() + ", folder "
                + run + "]";
    }

    private synchronized void registerShutdownHook() {
        shutdownHook = new Thread(this::close, "context-r2dbc-pg-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("This PostgreSQL pair is closed; start a new one with "
                    + "PostgresPair.startNew()");
        }
    }

    private static void startOnFreePort(PostgresServer server) {
        for (int attempt = 1; ; attempt++) {
            server.usePort(FreePorts.pick());
            try {
                server.start();
                return;
            } catch (IllegalStateException e) {
                if (attempt == PORT_ATTEMPTS || !server.portWasTaken()) {
                    throw e;
                }
                log.info("Port {} was taken meanwhile; trying another one for the {}", server.port(), server);
            }
        }
    }

    private static Endpoint endpoint(PostgresServer server) {
        return new Endpoint("127.0.0.1", server.port(), "postgres", "", "postgres", "");
    }

    private static long millis(long from, long to) {
        return TimeUnit.NANOSECONDS.toMillis(to - from);
    }
}
