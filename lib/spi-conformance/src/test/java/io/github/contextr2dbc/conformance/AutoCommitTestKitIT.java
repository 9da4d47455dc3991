package io.github.contextr2dbc.conformance;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.OutsideUnitOfWork;
import io.r2dbc.spi.ConnectionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * TestKit against {@link Database#connectionFactory()} outside any unit of work, on a database built with
 * {@link OutsideUnitOfWork#AUTOCOMMIT}: plain pooled connections from the database's own pool (reset before
 * they go back, so {@code savePointStartsTransaction} does not poison the tests after it, as it does on
 * bare r2dbc-pool).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AutoCommitTestKitIT extends PostgresTestKit {

    private final ConformanceDatabase database = new ConformanceDatabase("tk_autocommit");

    private final Database db = Database.builder("legacy").url(this.database.url).maxSize(4)
            .outsideUnitOfWork(OutsideUnitOfWork.AUTOCOMMIT).build();

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
        return this.db.connectionFactory();
    }

    /** Fails on bare r2dbc-postgresql too (see {@link BarePoolTestKitIT#blobSelect()}). */
    @Override
    @Test
    @Disabled("fails on bare r2dbc-postgresql: BYTEA is not decoded as Blob")
    public void blobSelect() {
    }
}
