package io.github.contextr2dbc;

import java.time.Duration;

import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.Option;
import org.junit.jupiter.api.Test;
import reactor.netty.resources.LoopResources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The builder's checks and the settings it fixes (no database: nothing connects when a handle is built). */
class DatabaseBuilderTest {

    private static DatabaseBuilder builder() {
        return Database.builder("main").url("r2dbc:postgresql://app@localhost:5432/shop");
    }

    @Test
    void theAcquireTimeoutDefaultsToTenSecondsAndTimesAcquisitions() {
        DatabaseSettings settings = builder().build().settings();
        assertThat(settings.acquireTimeout).isEqualTo(Database.DEFAULT_ACQUIRE_TIMEOUT);
        assertThat(settings.timesAcquisitions()).isTrue();
    }

    @Test
    void zeroOrNoAcquireTimeoutSwitchesTheTimeoutOff() {
        assertThat(builder().acquireTimeout(Duration.ZERO).build().settings().timesAcquisitions()).isFalse();
        assertThat(builder().noAcquireTimeout().build().settings().timesAcquisitions()).isFalse();
        assertThat(builder().noAcquireTimeout().acquireTimeout(Duration.ofSeconds(2)).build().settings()
                .acquireTimeout).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aNegativeOrMissingAcquireTimeoutIsRefusedWithWhatToDo() {
        assertThatThrownBy(() -> builder().acquireTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Duration.ZERO for none");
        assertThatThrownBy(() -> builder().acquireTimeout(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBuilderWithNowhereToConnectSaysWhatToCall() {
        assertThatThrownBy(() -> Database.builder("lost").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("call url(...)");
    }

    @Test
    void changingTheBuilderAfterBuildChangesNoDatabase() {
        DatabaseBuilder builder = builder().maxSize(3);
        Database built = builder.build();
        builder.maxSize(7);
        assertThat(built.settings().maxSize).isEqualTo(3);
    }

    private static final Option<String> APPLICATION_NAME = Option.valueOf("applicationName");

    private static final Option<LoopResources> LOOP_RESOURCES = PostgresqlConnectionFactoryProvider.LOOP_RESOURCES;

    @Test
    void driverOptionsGoOnTopOfTheUrlsForEveryHostWhicheverComesFirst() {
        LoopResources loops = LoopResources.create("unit", 1, true); // makes no thread until used
        DatabaseSettings after = builder().option(LOOP_RESOURCES, loops).option(APPLICATION_NAME, "shop")
                .build().settings();
        DatabaseSettings before = Database.builder("main").option(LOOP_RESOURCES, loops)
                .url("r2dbc:postgresql://app@localhost:5432/shop?applicationName=url").option(APPLICATION_NAME, "shop")
                .build().settings();
        for (DatabaseSettings settings : new DatabaseSettings[] {after, before}) {
            ConnectionFactoryOptions first = settings.url.optionsFor(settings.host);
            assertThat(first.getValue(LOOP_RESOURCES)).isSameAs(loops);
            assertThat(first.getValue(APPLICATION_NAME)).as("replaces the URL's value").isEqualTo("shop");
            assertThat(first.getValue(ConnectionFactoryOptions.DATABASE)).isEqualTo("shop");
            ConnectionFactoryOptions failover = settings.url.optionsFor("db2:6543");
            assertThat(failover.getValue(LOOP_RESOURCES)).as("a new host (changeHost) gets them too").isSameAs(loops);
            assertThat(failover.getValue(ConnectionFactoryOptions.HOST)).isEqualTo("db2");
            assertThat(failover.getValue(ConnectionFactoryOptions.PORT)).isEqualTo(6543);
        }
    }

    @Test
    void driverOptionsReachTheDriverWithARotatingPasswordToo() {
        DatabaseSettings settings = Database.builder("main")
                .url("r2dbc:postgresql://app@localhost:5432/shop", () -> "secret")
                .option(APPLICATION_NAME, "shop").build().settings();
        ConnectionFactoryOptions options = settings.url.optionsFor(settings.host);
        assertThat(options.getValue(APPLICATION_NAME)).isEqualTo("shop");
        assertThat(options.getValue(Option.valueOf("password"))).isNotNull();
        // the driver is found and accepts them (nothing connects)
        assertThat(settings.connectionFactoryCreator.apply(settings.host).getMetadata())
                .extracting(ConnectionFactoryMetadata::getName).isEqualTo("PostgreSQL");
    }

    @Test
    void aLaterValueOfAnOptionReplacesTheEarlierAndTheBuiltDatabaseKeepsItsOwn() {
        DatabaseBuilder builder = builder().option(APPLICATION_NAME, "first").option(APPLICATION_NAME, "second");
        DatabaseSettings built = builder.build().settings();
        builder.option(APPLICATION_NAME, "third");
        assertThat(built.url.optionsFor(built.host).getValue(APPLICATION_NAME)).isEqualTo("second");
    }

    @Test
    void optionsWithAConnectionFactoryAreRefusedAtBuildWithWhatToDo() {
        DatabaseBuilder builder = builder().option(APPLICATION_NAME, "shop");
        builder.connectionFactory(builder.build().settings().connectionFactoryCreator.apply("localhost:5432"));
        assertThatThrownBy(builder::build).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("connectionFactory(...)").hasMessageContaining("applicationName")
                .hasMessageContaining("or connect with url(...)");
        assertThatThrownBy(() -> Database.builder("x").option(APPLICATION_NAME, "shop")
                .connectionFactory("h", host -> null).build()).isInstanceOf(IllegalStateException.class);
        assertThat(Database.builder("x").connectionFactory("h", host -> null).build().settings().url)
                .as("without options, nothing changes").isNull();
    }

    @Test
    void aValueTheDriverRefusesFailsTheBuildNamingTheOptionsGiven() {
        assertThatThrownBy(() -> builder().option(Option.valueOf("loopResources"), "not loops").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("those given to option(...) [loopResources]");
    }

    @Test
    void theHostPortAndNullsAreRefusedAsOptions() {
        assertThatThrownBy(() -> builder().option(ConnectionFactoryOptions.HOST, "db2"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("changeHost");
        assertThatThrownBy(() -> builder().option(ConnectionFactoryOptions.PORT, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder().option(APPLICATION_NAME, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder().option(null, "x")).isInstanceOf(IllegalArgumentException.class);
    }
}
