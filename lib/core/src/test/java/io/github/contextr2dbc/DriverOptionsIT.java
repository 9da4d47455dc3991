package io.github.contextr2dbc;

import java.time.Duration;

import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import org.junit.jupiter.api.Test;
import reactor.netty.resources.LoopResources;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link DatabaseBuilder#option(io.r2dbc.spi.Option, Object)} reaches the driver: r2dbc-postgresql given
 * {@code LOOP_RESOURCES} runs its connections on those event loops, for the URL's host and after
 * {@link Database#changeHost(String)}; without it, on its own.
 */
class DriverOptionsIT {

    private final TestDatabase pg = new TestDatabase("driver_options");

    private static String rowMappingThread(Database db) {
        return inNewUnitOfWork(dbSession(db).flatMap(session -> session.sql("SELECT 1")
                .one(row -> Thread.currentThread().getName()))).block(TestDatabase.TIMEOUT);
    }

    @Test
    void theDriverRunsOnTheLoopResourcesGivenAsAnOptionOnEveryHost() {
        LoopResources loops = LoopResources.create("it-driver-options", 1, true);
        Database db = this.pg.handle("main", builder -> builder
                .option(PostgresqlConnectionFactoryProvider.LOOP_RESOURCES, loops)
                .option(PostgresqlConnectionFactoryProvider.APPLICATION_NAME, "it-driver-options"));
        Database plain = this.pg.handle("plain");
        try {
            assertThat(rowMappingThread(db)).startsWith("it-driver-options");
            assertThat(this.pg.queryLong("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                    + "'it-driver-options'")).as("the other option reached the server").isEqualTo(1);
            assertThat(rowMappingThread(plain)).as("without the option: the driver's own loops")
                    .doesNotStartWith("it-driver-options");

            db.changeHost("localhost:" + this.pg.pair.primaryPort()).block(TestDatabase.TIMEOUT);
            assertThat(db.host()).startsWith("localhost:");
            assertThat(rowMappingThread(db)).as("a new host's connections too").startsWith("it-driver-options");
        } finally {
            db.close().block(TestDatabase.TIMEOUT);
            plain.close().block(TestDatabase.TIMEOUT);
            loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(TestDatabase.TIMEOUT);
        }
    }
}
