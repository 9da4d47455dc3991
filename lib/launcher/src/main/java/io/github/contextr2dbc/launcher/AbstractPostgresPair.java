package io.github.contextr2dbc.launcher;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import io.r2dbc.spi.ConnectionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every provider does the same way: URLs, connection factories and the SQL-driven operations (databases,
 * replication waits, replay pause, promotion). Subclasses add starting and stopping the servers.
 */
abstract class AbstractPostgresPair implements PostgresPair {

    /** How long {@link #awaitReplicaCaughtUp()}, {@link #pauseReplay()} and promotion wait at most. */
    static final Duration WAIT = Duration.ofSeconds(30);

    private static final Logger log = LoggerFactory.getLogger(AbstractPostgresPair.class);
    private static final int MAX_PREFIX = 40;

    private final String kind;
    private final Endpoint primary;
    private final Endpoint replica;
    private final ConnectionFactory primaryFactory;
    private final ConnectionFactory replicaFactory;
    private final ControlConnection primaryControl;
    private final ControlConnection replicaControl;
    /** The second replica, once started. */
    private volatile Replica second;

    AbstractPostgresPair(String kind, Endpoint primary, Endpoint replica) {
        this.kind = kind;
        this.primary = primary;
        this.replica = replica;
        this.primaryFactory = primary.connectionFactory();
        this.replicaFactory = replica.connectionFactory();
        this.primaryControl = new ControlConnection(primaryFactory);
        this.replicaControl = new ControlConnection(replicaFactory);
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public String host() {
        return primary.host();
    }

    @Override
    public int primaryPort() {
        return primary.port();
    }

    @Override
    public int replicaPort() {
        return replica.port();
    }

    @Override
    public String username() {
        return primary.user();
    }

    @Override
    public String password() {
        return primary.password();
    }

    @Override
    public String database() {
        return primary.database();
    }

    @Override
    public String primaryUrl() {
        return primary.url();
    }

    @Override
    public String replicaUrl() {
        return replica.url();
    }

    @Override
    public String primaryUrl(String database) {
        return primary.url(database);
    }

    @Override
    public String replicaUrl(String database) {
        return replica.url(database);
    }

    @Override
    public ConnectionFactory primaryConnectionFactory() {
        return primaryFactory;
    }

    @Override
    public ConnectionFactory replicaConnectionFactory() {
        return replicaFactory;
    }

    @Override
    public String createDatabase(String prefix) {
        if (prefix == null) {
            throw new IllegalArgumentException("prefix must not be null; pass for example \"orders\"");
        }
        String clean = prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        if (clean.isEmpty()) {
            clean = "db";
        }
        if (clean.length() > MAX_PREFIX) {
            clean = clean.substring(0, MAX_PREFIX);
        }
        String name = clean + "_" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
        execute("CREATE DATABASE \"" + name + "\"");
        awaitReplicaCaughtUp();
        log.debug("Created database {} on the {} pair", name, kind);
        return name;
    }

    @Override
    public void execute(String sql) {
        Objects.requireNonNull(sql, "sql");
        try (SqlSession session = SqlSession.open(primaryFactory)) {
            session.execute(sql);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Commits made with {@code synchronous_commit = off} may still sit unflushed in the primary's WAL
     * buffers, where the replica cannot get them. So this first makes the primary flush: a tiny
     * transactional WAL message committed with {@code synchronous_commit = on}. Everything committed before
     * this call precedes that message, and the replica has it all once it replayed the primary's flush
     * position taken afterwards.
     */
    @Override
    public void awaitReplicaCaughtUp() {
        String target = flushedPrimaryLsn();
        awaitReplayed(replicaControl, target);
        Replica second = this.second;
        if (second != null) {
            awaitReplayed(second.control, target);
        }
    }

    private String flushedPrimaryLsn() {
        return primaryControl.use(session -> {
            session.execute("SET synchronous_commit = on");
            session.execute("SELECT pg_logical_emit_message(true, 'context-r2dbc', 'flush')");
            return session.queryString("SELECT pg_current_wal_flush_lsn()::text");
        });
    }

    private void awaitReplayed(ControlConnection control, String target) {
        control.use(session -> {
            requireStandby(session, "wait for the replica to catch up");
            String sql = "SELECT (pg_last_wal_replay_lsn() >= '" + target + "'::pg_lsn)::text";
            if (!poll(() -> "true".equals(session.queryString(sql)))) {
                throw new IllegalStateException("The replica did not replay the primary's WAL up to " + target
                        + " within " + WAIT.toSeconds() + " s (" + replicationState(session) + "). "
                        + "If replay is paused, call resumeReplay() first; otherwise see the server logs.");
            }
            return null;
        });
    }

    @Override
    public void pauseReplay() {
        pauseReplay(replicaControl);
    }

    private void pauseReplay(ControlConnection control) {
        control.use(session -> {
            requireStandby(session, "pause replay");
            session.execute("SELECT pg_wal_replay_pause()");
            String sql = "SELECT pg_get_wal_replay_pause_state()";
            if (!poll(() -> "paused".equals(session.queryString(sql)))) {
                throw new IllegalStateException("WAL replay on the replica did not pause within " + WAIT.toSeconds()
                        + " s (" + replicationState(session) + ")");
            }
            return null;
        });
    }

    @Override
    public void resumeReplay() {
        resumeReplay(replicaControl);
    }

    private void resumeReplay(ControlConnection control) {
        control.use(session -> {
            requireStandby(session, "resume replay");
            session.execute("SELECT pg_wal_replay_resume()");
            return null;
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>This implementation runs {@code SELECT pg_promote()} on the replica.
     */
    @Override
    public void promoteReplica() {
        long started = System.nanoTime();
        replicaControl.use(session -> {
            requireStandby(session, "promote the replica");
            session.execute("SELECT pg_promote(true, " + WAIT.toSeconds() + ")");
            if (!poll(() -> "false".equals(session.queryString("SELECT pg_is_in_recovery()::text")))) {
                throw new IllegalStateException("The replica is still in recovery " + WAIT.toSeconds()
                        + " s after promotion was requested; see the replica's server log");
            }
            return null;
        });
        log.info("Promoted the replica of the {} pair ({}) in {} ms", kind, replica,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    /**
     * Waits until the replica's WAL receiver streams from the primary.
     *
     * @param diagnostics what to add to the error message when it does not (for example a log tail)
     * @throws IllegalStateException if it does not stream within {@link #WAIT}
     */
    final void awaitStreaming(Supplier<String> diagnostics) {
        replicaControl.use(session -> {
            String sql = "SELECT count(*)::text FROM pg_stat_wal_receiver WHERE status = 'streaming'";
            if (!poll(() -> "1".equals(session.queryString(sql)))) {
                throw new IllegalStateException("The replica did not start streaming from the primary within "
                        + WAIT.toSeconds() + " s (" + replicationState(session) + ")" + System.lineSeparator()
                        + diagnostics.get());
            }
            return null;
        });
    }

    /**
     * Closes the launcher's own connections to both servers; subclasses call it before stopping them.
     */
    final void closeControlConnections() {
        primaryControl.close();
        replicaControl.close();
        Replica second = this.second;
        if (second != null) {
            second.control.close();
        }
    }

    /**
     * Returns the second replica, starting it with {@code starter} on the first call.
     *
     * @param starter starts the server and returns where it listens
     * @return the second replica, streaming
     */
    final synchronized PostgresReplica secondReplica(Supplier<Endpoint> starter) {
        if (second == null) {
            Replica started = new Replica(starter.get());
            started.control.use(session -> {
                String sql = "SELECT count(*)::text FROM pg_stat_wal_receiver WHERE status = 'streaming'";
                if (!poll(() -> "1".equals(session.queryString(sql)))) {
                    throw new IllegalStateException("The second replica did not start streaming from the primary "
                            + "within " + WAIT.toSeconds() + " s (" + replicationState(session) + ")");
                }
                return null;
            });
            second = started;
        }
        return second;
    }

    /** A further replica: its endpoint and control connection. */
    private final class Replica implements PostgresReplica {

        private final Endpoint endpoint;
        private final ConnectionFactory factory;
        private final ControlConnection control;

        Replica(Endpoint endpoint) {
            this.endpoint = endpoint;
            this.factory = endpoint.connectionFactory();
            this.control = new ControlConnection(factory);
        }

        @Override
        public int port() {
            return endpoint.port();
        }

        @Override
        public String url() {
            return endpoint.url();
        }

        @Override
        public String url(String database) {
            return endpoint.url(database);
        }

        @Override
        public ConnectionFactory connectionFactory() {
            return factory;
        }

        @Override
        public void awaitCaughtUp() {
            awaitReplayed(control, flushedPrimaryLsn());
        }

        @Override
        public void pauseReplay() {
            AbstractPostgresPair.this.pauseReplay(control);
        }

        @Override
        public void resumeReplay() {
            AbstractPostgresPair.this.resumeReplay(control);
        }

        @Override
        public String toString() {
            return "second replica " + endpoint;
        }
    }

    /**
     * Returns the replica's endpoint.
     *
     * @return where the replica is
     */
    final Endpoint replicaEndpoint() {
        return replica;
    }

    /**
     * Returns the primary's endpoint.
     *
     * @return where the primary is
     */
    final Endpoint primaryEndpoint() {
        return primary;
    }

    /**
     * Calls a condition every few milliseconds until it holds or {@link #WAIT} has passed.
     *
     * @param condition the condition
     * @return whether the condition held in time
     */
    static boolean poll(BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        long pauseMillis = 1;
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            try {
                Thread.sleep(pauseMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for PostgreSQL", e);
            }
            pauseMillis = Math.min(pauseMillis * 2, 50);
        }
    }

    private void requireStandby(SqlSession session, String what) {
        if (!"true".equals(session.queryString("SELECT pg_is_in_recovery()::text"))) {
            throw new IllegalStateException("Cannot " + what + ": the replica (" + replica
                    + ") is not a standby any more (it was promoted); use PostgresPair.startNew() for tests "
                    + "that promote, and a fresh pair afterwards");
        }
    }

    private static String replicationState(SqlSession session) {
        try {
            return "replay state: " + session.queryString("SELECT pg_get_wal_replay_pause_state()")
                    + ", last replayed: " + session.queryString("SELECT pg_last_wal_replay_lsn()::text")
                    + ", WAL receiver: " + session.queryString(
                            "SELECT coalesce((SELECT status FROM pg_stat_wal_receiver), 'not running')");
        } catch (RuntimeException e) {
            return "state unknown: " + e;
        }
    }
}
