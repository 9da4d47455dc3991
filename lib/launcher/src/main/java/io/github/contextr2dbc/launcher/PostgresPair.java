package io.github.contextr2dbc.launcher;

import io.r2dbc.spi.ConnectionFactory;

/**
 * A real PostgreSQL primary with one streaming hot-standby replica, for integration tests.
 *
 * <p>Where the pair comes from is decided once per call to {@link #shared()} or {@link #startNew()}, in
 * this order:
 * <ol>
 *   <li><b>external</b> &ndash; when the environment variables {@code CONTEXT_R2DBC_PRIMARY_URL} and
 *       {@code CONTEXT_R2DBC_REPLICA_URL} hold R2DBC URLs (for example
 *       {@code r2dbc:postgresql://user:pw@host:5432/db}), those servers are used as they are; nothing is
 *       started or stopped;</li>
 *   <li><b>local</b> &ndash; when PostgreSQL server binaries are installed ({@code initdb} on the
 *       {@code PATH}, {@code pg_config --bindir}, the newest {@code /usr/lib/postgresql/<version>/bin}, or
 *       the folder named by {@code CONTEXT_R2DBC_PG_BIN}), a primary and a replica are created with
 *       {@code initdb} and {@code pg_basebackup -R} under {@code target/pg-clusters/} of the working
 *       directory, on free loopback ports. This comes before Testcontainers because it starts in about a
 *       second;</li>
 *   <li><b>testcontainers</b> &ndash; when a Docker engine answers, two {@code postgres:15} containers on a
 *       private network;</li>
 *   <li>otherwise an {@link IllegalStateException} says how to get a database.</li>
 * </ol>
 * {@code CONTEXT_R2DBC_PG_PROVIDER=local|testcontainers|external} forces one provider.
 *
 * <p>All methods block the calling thread and are meant for test set-up on test threads; never call them
 * from a Reactor non-blocking thread. Every blocking wait is bounded and fails with an
 * {@link IllegalStateException} that says what went wrong and what to do.
 */
public interface PostgresPair extends AutoCloseable {

    /**
     * Returns the pair shared by this JVM, starting it on the first call (thread-safe).
     *
     * <p>A JVM shutdown hook stops it and deletes its folder; {@link #close()} on the returned instance does
     * nothing, so a test cannot take the pair away from the tests that follow. Tests that stop, promote or
     * otherwise break a server should use {@link #startNew()} instead.
     *
     * @return the shared pair, running
     * @throws IllegalStateException if no pair can be started; later calls fail the same way at once
     */
    static PostgresPair shared() {
        return SharedPair.instance();
    }

    /**
     * Starts a new, private pair (for promotion or failover tests); the caller closes it.
     *
     * @return a running pair that nobody else uses
     * @throws IllegalStateException if no pair can be started
     */
    static PostgresPair startNew() {
        return PairProviders.start();
    }

    /**
     * Tells where the pair comes from.
     *
     * @return {@code "local"} (server binaries on this machine), {@code "testcontainers"} or
     *         {@code "external"} (URLs from the environment)
     */
    String kind();

    /**
     * Returns the host both servers listen on.
     *
     * @return the host, {@code "127.0.0.1"} for the local provider
     */
    String host();

    /**
     * Returns the TCP port of the primary.
     *
     * @return the primary's port on {@link #host()}
     */
    int primaryPort();

    /**
     * Returns the TCP port of the replica.
     *
     * @return the replica's port on {@link #host()}
     */
    int replicaPort();

    /**
     * Returns the database user both URLs log in as.
     *
     * @return the user name, {@code "postgres"} for the local provider
     */
    String username();

    /**
     * Returns the password of {@link #username()}.
     *
     * @return the password, or {@code ""} when the servers trust loopback connections (local provider)
     */
    String password();

    /**
     * Returns the database the URLs without an explicit database point at.
     *
     * @return the default database, {@code "postgres"} unless an external URL names another one
     */
    String database();

    /**
     * Returns the R2DBC URL of the primary's default database.
     *
     * @return for example {@code r2dbc:postgresql://postgres@127.0.0.1:41234/postgres}
     */
    String primaryUrl();

    /**
     * Returns the R2DBC URL of the replica's default database.
     *
     * @return for example {@code r2dbc:postgresql://postgres@127.0.0.1:41235/postgres}
     */
    String replicaUrl();

    /**
     * Returns the R2DBC URL of a database on the primary.
     *
     * @param database the database name, for example one returned by {@link #createDatabase(String)}
     * @return the URL of that database on the primary
     */
    String primaryUrl(String database);

    /**
     * Returns the R2DBC URL of a database on the replica.
     *
     * @param database the database name, for example one returned by {@link #createDatabase(String)}
     * @return the URL of that database on the replica
     */
    String replicaUrl(String database);

    /**
     * Returns a plain (unpooled) r2dbc-postgresql connection factory for the primary's default database.
     * Every {@code create()} opens a new physical connection.
     *
     * @return a connection factory for {@link #primaryUrl()}
     */
    ConnectionFactory primaryConnectionFactory();

    /**
     * Returns a plain (unpooled) r2dbc-postgresql connection factory for the replica's default database.
     * Every {@code create()} opens a new physical connection.
     *
     * @return a connection factory for {@link #replicaUrl()}
     */
    ConnectionFactory replicaConnectionFactory();

    /**
     * Creates a fresh, uniquely named database on the primary and waits until the replica has it too.
     *
     * @param prefix the start of the name; characters other than {@code a-z}, {@code 0-9} and {@code _}
     *               are replaced by {@code _}
     * @return the name of the new database, usable on both servers
     * @throws IllegalArgumentException if the prefix is {@code null}
     */
    String createDatabase(String prefix);

    /**
     * Runs SQL on the primary's default database, on a new connection, and waits for it to finish; for test
     * set-up only. Several statements separated by {@code ;} are allowed; PostgreSQL runs them as one implicit
     * transaction unless the SQL holds its own {@code BEGIN}/{@code COMMIT} (so statements such as
     * {@code CREATE DATABASE} must be sent alone).
     *
     * @param sql the SQL to run
     * @throws io.r2dbc.spi.R2dbcException as raised by the driver when the SQL fails
     */
    void execute(String sql);

    /**
     * Waits until the replica has replayed everything the primary had written when this method was called
     * (replay LSN &ge; the primary's {@code pg_current_wal_lsn()}).
     *
     * @throws IllegalStateException if that does not happen within 30 seconds; the message says why when it
     *                               can tell (replay paused, replica promoted)
     */
    void awaitReplicaCaughtUp();

    /**
     * Pauses WAL replay on the replica ({@code pg_wal_replay_pause()}) and waits until replay has actually
     * stopped, so that writes on the primary stay invisible on the replica until {@link #resumeReplay()}.
     *
     * @throws IllegalStateException if replay does not stop within 30 seconds
     */
    void pauseReplay();

    /**
     * Resumes WAL replay on the replica ({@code pg_wal_replay_resume()}). It does not wait for the replica to
     * catch up; call {@link #awaitReplicaCaughtUp()} for that.
     */
    void resumeReplay();

    /**
     * Stops the primary (fast shutdown) and waits until it is down. The replica keeps running and serves
     * reads; it reconnects by itself after {@link #startPrimary()}.
     *
     * @throws UnsupportedOperationException for an external pair, and for Testcontainers
     */
    void stopPrimary();

    /**
     * Starts the primary again after {@link #stopPrimary()} and waits until it accepts connections.
     *
     * @throws UnsupportedOperationException for an external pair, and for Testcontainers
     */
    void startPrimary();

    /**
     * Starts the stopped primary again as a hot standby of the (promoted) replica: what an old primary that
     * comes back after a failover looks like to an application that still connects to it. It accepts
     * connections on the same port, {@code pg_is_in_recovery()} is {@code true} and a write fails with SQLSTATE
     * 25006. (It may not be able to follow the promoted replica's new timeline without {@code pg_rewind}; it is
     * read-only either way.) Usually preceded by {@link #stopPrimary()} and {@link #promoteReplica()}.
     *
     * @throws UnsupportedOperationException for an external pair, and for Testcontainers
     */
    default void startPrimaryAsStandby() {
        throw new UnsupportedOperationException("Restarting the primary as a standby needs the local provider "
                + "(PostgreSQL server binaries), not " + kind());
    }

    /**
     * Makes the primary ask {@code role} for its password ({@code scram-sha-256}) on TCP connections, creating
     * the role ({@code LOGIN}, allowed to connect to every database, able to create tables in {@code public})
     * with {@code password} if it does not exist, and waits until a connection as {@code role} without a
     * password is refused. Other roles keep trust authentication; the replica is not changed. Change the password
     * afterwards with {@code ALTER ROLE ... PASSWORD} through {@link #execute(String)}.
     *
     * @param role     a role name of lowercase letters, digits and {@code _}
     * @param password its password
     * @throws UnsupportedOperationException for an external pair, and for Testcontainers
     * @throws IllegalStateException         if the primary still lets the role in without a password after 30 s
     */
    default void requirePassword(String role, String password) {
        throw new UnsupportedOperationException("Password authentication needs the local provider (PostgreSQL "
                + "server binaries), not " + kind());
    }

    /**
     * Promotes the replica to a read-write primary and waits until {@code pg_is_in_recovery()} is
     * {@code false}. Usually preceded by {@link #stopPrimary()}; the pair no longer replicates afterwards.
     *
     * @throws UnsupportedOperationException for an external pair
     */
    void promoteReplica();

    /**
     * Returns a second streaming replica of the primary, started (for the local provider: {@code pg_basebackup}
     * from the primary) on the first call and stopped with the pair; later calls return the same one. An
     * external pair takes it from the environment variable {@code CONTEXT_R2DBC_REPLICA2_URL}.
     *
     * @return the second replica, streaming
     * @throws UnsupportedOperationException where this provider cannot have one (Testcontainers; an external pair
     *                                       without the variable)
     * @throws IllegalStateException         if it cannot be started
     */
    default PostgresReplica secondReplica() {
        throw new UnsupportedOperationException("A second replica is not available from the " + kind()
                + " provider; use the local provider (PostgreSQL server binaries) or set CONTEXT_R2DBC_REPLICA2_URL "
                + "for an external pair");
    }

    /**
     * Stops both servers and deletes their folder; does nothing for an external pair and for
     * {@link #shared()}. Calling it twice is harmless.
     */
    @Override
    void close();
}
