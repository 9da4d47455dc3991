package io.github.contextr2dbc.conformance;

import io.github.contextr2dbc.Database;
import io.r2dbc.spi.ConnectionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * TestKit against {@link Database#connectionFactory()} inside units of work: each TestKit connection is a
 * view of the session of a unit of work of its own, committed and closed when the connection closes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SessionTestKitIT extends PostgresTestKit {

    private final ConformanceDatabase database = new ConformanceDatabase("tk_session");

    private final Database db = Database.builder("main").url(this.database.url).maxSize(4).build();

    private final ConnectionFactory factory = new UnitOfWorkPerConnection(this.db.connectionFactory());

    @AfterEach
    void everyConnectionIsBack() {
        assertThat(this.db.connectionsInUse()).isZero();
    }

    @AfterAll
    void closeDatabase() {
        this.db.close().block();
    }

    @Override
    ConformanceDatabase database() {
        return this.database;
    }

    @Override
    public ConnectionFactory getConnectionFactory() {
        return this.factory;
    }

    /**
     * By design a session is always transactional: its unit of work commits it, so its connection view
     * reports {@code isAutoCommit() == false} from the start (documented on {@code Database.connectionFactory()};
     * the {@code AUTOCOMMIT} path passes this test).
     */
    @Override
    @Test
    @Disabled("by design: a session is always transactional; its unit of work commits it")
    public void autoCommitByDefault() {
    }

    /**
     * By design the session view refuses {@code setAutoCommit(true)} with an error naming the remedy
     * ({@code OutsideUnitOfWork.AUTOCOMMIT}): turning auto-commit on would commit the unit of work's
     * transaction behind its back.
     */
    @Override
    @Test
    @Disabled("by design: setAutoCommit(true) is refused on a session, which its unit of work commits")
    public void changeAutoCommitCommitsTransaction() {
    }

    /** Fails on bare r2dbc-postgresql too (see {@link BarePoolTestKitIT#blobSelect()}). */
    @Override
    @Test
    @Disabled("fails on bare r2dbc-postgresql: BYTEA is not decoded as Blob")
    public void blobSelect() {
    }
}
