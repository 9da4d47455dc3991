package io.github.contextr2dbc.conformance;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.spi.ConnectionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The reference: TestKit against bare r2dbc-pool over r2dbc-postgresql, with no context-r2dbc code at all.
 * What fails here is the driver's (or TestKit's) and is excluded from the other runs for the same reason.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BarePoolTestKitIT extends PostgresTestKit {

    private final ConformanceDatabase database = new ConformanceDatabase("tk_bare");

    private final ConnectionPool pool = new ConnectionPool(ConnectionPoolConfiguration.builder(this.database.driver())
            .maxSize(4).build());

    @AfterAll
    void disposePool() {
        this.pool.dispose();
    }

    @Override
    ConformanceDatabase database() {
        return this.database;
    }

    @Override
    public ConnectionFactory getConnectionFactory() {
        return this.pool;
    }

    /**
     * Bare r2dbc-pool gives a connection back inside the transaction that {@code createSavepoint} opened in
     * auto-commit mode (its own rollback on close covers only {@code beginTransaction()}): the next test's
     * connection then runs inside that leftover transaction, never commits, and every later test fails on
     * its locks. This is the defect {@code Database} fixes with its {@code preRelease} reset (the session
     * and auto-commit runs keep this test); the reference run leaves it out so the rest stays meaningful.
     */
    @Override
    @Test
    @Disabled("bare r2dbc-pool releases the connection inside the savepoint's transaction and poisons later tests")
    public void savePointStartsTransaction() {
    }

    /** r2dbc-pool's {@code PooledConnection.validate} still answers true after {@code close()}. */
    @Override
    @Test
    @Disabled("fails on bare r2dbc-pool: a closed pooled connection still validates")
    public void validate() {
    }

    /**
     * r2dbc-postgresql 1.x decodes {@code BYTEA} as {@code ByteBuffer}, not {@code Blob}: {@code
     * row.get(.., Blob.class)} of a value written through JDBC fails on the driver itself.
     */
    @Override
    @Test
    @Disabled("fails on bare r2dbc-postgresql: BYTEA is not decoded as Blob")
    public void blobSelect() {
    }
}
