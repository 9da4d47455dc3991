package io.github.contextr2dbc.spring.boot;

import java.util.concurrent.atomic.AtomicInteger;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.spring.Databases;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcAutoConfiguration;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcConnectionDetails;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spring Boot's conventions without any context-r2dbc.databases: spring.r2dbc.* and a connection-details bean
 * (what a {@code @ServiceConnection} container or Docker Compose registers) make the toolkit's default
 * database. Nothing connects: building a Database opens no connection.
 */
class BootConventionsTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ContextR2dbcAutoConfiguration.class,
                    R2dbcAutoConfiguration.class));

    @Test
    void onlySpringR2dbcUrlGivesTheToolkitItsDefaultDatabase() {
        this.runner.withPropertyValues("spring.r2dbc.url=r2dbc:postgresql://db.example:5432/shop",
                        "spring.r2dbc.username=app", "spring.r2dbc.password=secret", "spring.r2dbc.pool.max-size=7")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    Databases databases = context.getBean(Databases.class);
                    Database database = databases.defaultDatabase();
                    assertThat(database.name()).isEqualTo("default");
                    assertThat(context.getBean("defaultDatabase")).isSameAs(database);
                    // the session-aware factory is the application's ConnectionFactory: Boot's own pool backed off
                    assertThat(context.getBean(ConnectionFactory.class)).isSameAs(database.connectionFactory());
                    assertThat(context.getBeansOfType(ConnectionFactory.class)).hasSize(1);
                });
    }

    @Test
    void aConnectionDetailsBeanAloneIsEnough() {
        AtomicInteger asked = new AtomicInteger();
        R2dbcConnectionDetails details = () -> {
            asked.incrementAndGet();
            return ConnectionFactoryOptions.parse("r2dbc:postgresql://app:secret@container.example:5432/test");
        };
        this.runner.withBean(R2dbcConnectionDetails.class, () -> details)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(Databases.class).defaultDatabase().name()).isEqualTo("default");
                    assertThat(asked).hasPositiveValue();
                });
    }

    @Test
    void nothingConfiguredStillConfiguresNothing() {
        // (with Boot's R2DBC auto-configuration too, Boot itself fails: it finds no URL)
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ContextR2dbcAutoConfiguration.class))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).doesNotHaveBean(Databases.class);
                });
    }

    @Test
    void declaredDatabasesWinOverSpringR2dbc() {
        this.runner.withPropertyValues("spring.r2dbc.url=r2dbc:postgresql://db.example:5432/shop",
                        "context-r2dbc.databases.main.url=r2dbc:postgresql://app@other.example:5432/shop")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(Databases.class).all()).extracting(Database::name)
                            .containsExactly("main");
                });
    }

    @Test
    void thePoolDriverIsTakenOffTheToolkitPoolsItself() {
        ConnectionFactoryOptions pooled =
                ConnectionFactoryOptions.parse("r2dbc:pool:postgresql://app@db.example:5432/shop");
        ConnectionFactoryOptions unpooled = BootConnectionDetailsDatabase.unpooled(pooled);
        assertThat(unpooled.getValue(ConnectionFactoryOptions.DRIVER)).isEqualTo("postgresql");
        assertThat(unpooled.getValue(ConnectionFactoryOptions.HOST)).isEqualTo("db.example");
        ConnectionFactoryOptions plain = ConnectionFactoryOptions.parse("r2dbc:postgresql://app@db.example:5432/shop");
        assertThat(BootConnectionDetailsDatabase.unpooled(plain)).isSameAs(plain);
    }
}
