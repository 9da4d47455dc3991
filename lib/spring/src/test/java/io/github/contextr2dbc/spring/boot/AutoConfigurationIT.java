package io.github.contextr2dbc.spring.boot;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.launcher.PostgresPair;
import io.github.contextr2dbc.spring.Databases;
import io.github.contextr2dbc.spring.TestSql;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.ConnectionFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.config.BeanPostProcessor;
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
                    Long inserted = UnitOfWork.inNewUnitOfWork(client.sql("INSERT INTO t VALUES (1)")
                            .fetch().rowsUpdated())
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
    void theStartupProbeFailsTheStartupWhenADatabaseDoesNotAnswer() {
        AtomicReference<Databases> built = new AtomicReference<>();
        this.runner.withPropertyValues(
                        "context-r2dbc.databases.main.url=" + PAIR.primaryUrl(first),
                        "context-r2dbc.databases.gone.url=r2dbc:postgresql://postgres@127.0.0.1:1/nothing",
                        "context-r2dbc.databases.main.default=true",
                        "context-r2dbc.startup-probe.enabled=true",
                        "context-r2dbc.startup-probe.timeout=5s")
                .withInitializer(context -> context.getBeanFactory().addBeanPostProcessor(
                        new BeanPostProcessor() {
                            @Override
                            public Object postProcessAfterInitialization(Object bean, String name) {
                                if (bean instanceof Databases databases) {
                                    built.set(databases);
                                }
                                return bean;
                            }
                        }))
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure())
                            .rootCause().isInstanceOf(ConnectException.class);
                    assertThat(context.getStartupFailure()).hasStackTraceContaining(
                            "Startup probe: database 'gone' at 127.0.0.1:1 failed SELECT 1");
                    StartupProbeException probe = findProbeException(context.getStartupFailure());
                    assertThat(probe.database()).isSameAs(built.get().get("gone"));
                    assertThat(new StartupProbeFailureAnalyzer().analyze(context.getStartupFailure()).getAction())
                            .contains("context-r2dbc.databases.gone.url");
                });
        // the failed startup closed every pool
        assertThat(built.get().all()).allMatch(Database::isClosed);
    }

    private static StartupProbeException findProbeException(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof StartupProbeException probe) {
                return probe;
            }
        }
        throw new AssertionError("no StartupProbeException in " + failure);
    }

    @Test
    void theStartupProbeRunsBeforeTheContextIsReady() {
        this.runner.withPropertyValues(
                        "context-r2dbc.databases.main.url=" + PAIR.primaryUrl(first),
                        "context-r2dbc.startup-probe.enabled=true")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    Database main = context.getBean(Databases.class).all().get(0);
                    // the probe ran on the starting thread, so it is done when the context is ready
                    assertThat(main.acquisitions()).as("the probe ran").isEqualTo(1);
                    assertThat(main.connectionsInUse()).isZero();
                });
    }

    @Test
    void aUrlWithAPasswordNeverShowsThePasswordInTheStartupFailure() {
        for (String url : List.of("jdbc:postgresql://app:s3cretPW@127.0.0.1:5432/x",
                "postgresql://app:s3cretPW@127.0.0.1:5432/x", "r2dbc:postgresql://app:s3cretPW@/x",
                "r2dbc:nodriver://app:s3cretPW@127.0.0.1/x")) {
            this.runner.withPropertyValues("context-r2dbc.databases.main.url=" + url)
                    .run(context -> {
                        assertThat(context).as(url).hasFailed();
                        StringWriter printed = new StringWriter();
                        context.getStartupFailure().printStackTrace(new PrintWriter(printed));
                        assertThat(printed.toString()).as(url)
                                .contains("context-r2dbc.databases.main")
                                .doesNotContain("s3cret");
                    });
        }
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
