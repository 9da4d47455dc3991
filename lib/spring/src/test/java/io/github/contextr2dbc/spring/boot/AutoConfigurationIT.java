package io.github.contextr2dbc.spring.boot;

import java.util.concurrent.atomic.AtomicReference;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.spring.Databases;
import io.github.contextr2dbc.spring.TestSql;
import io.github.contextr2dbc.test.PostgresPair;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.ConnectionFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.r2dbc.autoconfigure.DataR2dbcAutoConfiguration;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcAutoConfiguration;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcTransactionManagerAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.r2dbc.core.DatabaseClient;

import static org.assertj.core.api.Assertions.assertThat;

/** Databases configured from properties only, with Spring Boot's R2DBC and Spring Data auto-configuration present. */
class AutoConfigurationIT {

    private static final PostgresPair PAIR = PostgresPair.shared();

    private static String first;

    private static String second;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ContextR2dbcAutoConfiguration.class, R2dbcAutoConfiguration.class,
                    R2dbcTransactionManagerAutoConfiguration.class, DataR2dbcAutoConfiguration.class));

    @BeforeAll
    static void createDatabases() {
        first = PAIR.createDatabase("spring_autoconfig_a");
        second = PAIR.createDatabase("spring_autoconfig_b");
        new TestSql(PAIR.primaryUrl(first)).execute("CREATE TABLE t (v int)");
    }

    @Test
    void buildsTwoDatabasesFromPropertiesAndSpringDataRunsOnTheDefaultOne() {
        AtomicReference<Databases> built = new AtomicReference<>();
        this.runner.withPropertyValues(
                        "context-r2dbc.databases.orders.url=" + PAIR.primaryUrl(first),
                        "context-r2dbc.databases.orders.default=true",
                        "context-r2dbc.databases.orders.pool.max-size=3",
                        "context-r2dbc.databases.reports.url=" + PAIR.primaryUrl(second),
                        "context-r2dbc.databases.reports.session.read-only=true")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    Databases databases = context.getBean(Databases.class);
                    built.set(databases);
                    Database orders = databases.get("orders");
                    Database reports = databases.get("reports");
                    assertThat(databases.all()).containsExactly(orders, reports);
                    assertThat(databases.defaultDatabase()).isSameAs(orders);
                    assertThat(context.getBean("ordersDatabase")).isSameAs(orders);
                    assertThat(context.getBean("reportsDatabase")).isSameAs(reports);
                    assertThat(context.getBean(Database.class)).isSameAs(orders);
                    assertThat(context.getBean("reportsConnectionFactory")).isSameAs(reports.connectionFactory());
                    assertThat(reports.sessionOptions().readOnly()).isTrue();
                    // Spring Boot built no pool of its own; Spring Data uses the default session-aware factory
                    assertThat(context.getBean(ConnectionFactory.class)).isSameAs(orders.connectionFactory());
                    assertThat(context.getBeansOfType(ConnectionPool.class)).isEmpty();
                    DatabaseClient client = context.getBean(DatabaseClient.class);
                    assertThat(client.getConnectionFactory()).isSameAs(orders.connectionFactory());
                    Long inserted = UnitOfWork.inNewUnitOfWork(client.sql("INSERT INTO t VALUES (1)").fetch().rowsUpdated())
                            .block(TestSql.TIMEOUT);
                    assertThat(inserted).isEqualTo(1);
                    assertThat(orders.acquisitions()).isEqualTo(1);
                    assertThat(orders.poolMetrics().orElseThrow().getMaxAllocatedSize()).isEqualTo(3);
                });
        // the context was closed: so were the pools
        assertThat(built.get().all()).allMatch(Database::isClosed);
        assertThat(new TestSql(PAIR.primaryUrl(first)).queryLong("SELECT count(*) FROM t")).isEqualTo(1);
    }

    @Test
    void theStartupProbeClosesTheApplicationWhenADatabaseDoesNotAnswer() {
        this.runner.withPropertyValues(
                        "context-r2dbc.databases.main.url=" + PAIR.primaryUrl(first),
                        "context-r2dbc.databases.gone.url=r2dbc:postgresql://postgres@127.0.0.1:1/nothing",
                        "context-r2dbc.databases.main.default=true",
                        "context-r2dbc.startup-probe.enabled=true",
                        "context-r2dbc.startup-probe.timeout=5s")
                .run(context -> {
                    Databases databases = context.getBean(Databases.class);
                    // the probe runs without holding up the startup, then closes the application (on this
                    // test thread, waiting for it is fine)
                    long deadline = System.nanoTime() + TestSql.TIMEOUT.toNanos();
                    while (context.getSourceApplicationContext().isActive() && System.nanoTime() < deadline) {
                        Thread.sleep(20);
                    }
                    assertThat(context.getSourceApplicationContext().isActive()).as("closed by the probe").isFalse();
                    assertThat(databases.all()).allMatch(Database::isClosed);
                });
    }

    @Test
    void theStartupProbeLetsAHealthyApplicationRun() throws InterruptedException {
        this.runner.withPropertyValues(
                        "context-r2dbc.databases.main.url=" + PAIR.primaryUrl(first),
                        "context-r2dbc.startup-probe.enabled=true")
                .run(context -> {
                    Database main = context.getBean(Databases.class).all().get(0);
                    long deadline = System.nanoTime() + TestSql.TIMEOUT.toNanos();
                    while (main.acquisitions() == 0 && System.nanoTime() < deadline) {
                        Thread.sleep(20);
                    }
                    assertThat(main.acquisitions()).as("the probe ran").isEqualTo(1);
                    assertThat(context.getSourceApplicationContext().isActive()).isTrue();
                });
    }

    @Test
    void aMisconfigurationFailsTheStartupWithTheRemedy() {
        this.runner.withPropertyValues(
                        "context-r2dbc.databases.a.url=" + PAIR.primaryUrl(first),
                        "context-r2dbc.databases.b.url=" + PAIR.primaryUrl(second))
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .hasStackTraceContaining("context-r2dbc.databases.<name>.default=true"));
    }

    @Test
    void configuresNothingWithoutDatabases() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ContextR2dbcAutoConfiguration.class))
                .run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(Databases.class);
            assertThat(context).doesNotHaveBean(Database.class);
        });
    }
}
