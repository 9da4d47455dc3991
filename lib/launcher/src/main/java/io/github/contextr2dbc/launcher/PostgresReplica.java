package io.github.contextr2dbc.launcher;

import io.r2dbc.spi.ConnectionFactory;

/**
 * A further streaming hot standby of a pair's primary ({@link PostgresPair#secondReplica()}), with the same
 * test operations as the pair's own replica. All methods block the calling test thread, each wait bounded.
 */
public interface PostgresReplica {

    /**
     * Returns the TCP port of this replica on the pair's host.
     *
     * @return the port
     */
    int port();

    /**
     * Returns the R2DBC URL of the replica's default database.
     *
     * @return the URL
     */
    String url();

    /**
     * Returns the R2DBC URL of a database on this replica.
     *
     * @param database the database name, for example one returned by {@link PostgresPair#createDatabase(String)}
     * @return the URL of that database on this replica
     */
    String url(String database);

    /**
     * Returns a plain (unpooled) connection factory for the replica's default database.
     *
     * @return the connection factory
     */
    ConnectionFactory connectionFactory();

    /**
     * Waits until this replica has replayed everything the primary had written when this method was called.
     *
     * @throws IllegalStateException if that does not happen within 30 seconds
     */
    void awaitCaughtUp();

    /**
     * Pauses WAL replay on this replica and waits until it has stopped.
     *
     * @throws IllegalStateException if replay does not stop within 30 seconds
     */
    void pauseReplay();

    /** Resumes WAL replay on this replica; it does not wait for it to catch up. */
    void resumeReplay();
}
