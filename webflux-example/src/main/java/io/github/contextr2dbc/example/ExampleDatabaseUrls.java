package io.github.contextr2dbc.example;

import java.util.LinkedHashMap;
import java.util.Map;

import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.Option;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * The ledger's two databases from two settings: {@code example.primary.url} (environment variable
 * {@code EXAMPLE_PRIMARY_URL}) and {@code example.replica.url} ({@code EXAMPLE_REPLICA_URL}), both R2DBC URLs.
 *
 * <ul>
 *   <li>They become the URLs of databases {@code main} (the default) and {@code replica} ({@code replica-of:
 *       main}, see {@code application.yml}); without a replica URL the replica database is the primary itself,
 *       so the application also runs on one server.</li>
 *   <li>Flyway's JDBC URL and credentials ({@code spring.flyway.*}) are derived from the primary's URL.</li>
 *   <li>Anything set directly ({@code context-r2dbc.databases.main.url}, {@code spring.flyway.url}, ...)
 *       wins.</li>
 * </ul>
 *
 * <p>With neither set, the databases have no URL and the startup fails; the message names the property.
 */
class ExampleDatabaseUrls implements EnvironmentPostProcessor, Ordered {

    static final String PRIMARY = "example.primary.url";

    static final String REPLICA = "example.replica.url";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        String primary = environment.getProperty(PRIMARY, "");
        if (primary.isBlank()) {
            return;
        }
        String replica = environment.getProperty(REPLICA, "");
        environment.getPropertySources().addLast(new MapPropertySource("exampleDatabaseUrls",
                derived(primary, replica.isBlank() ? primary : replica)));
    }

    /**
     * The settings that two R2DBC URLs stand for.
     *
     * @param primary the primary's R2DBC URL
     * @param replica the replica's R2DBC URL
     * @return the database URLs and Flyway's connection settings
     */
    static Map<String, Object> derived(String primary, String replica) {
        Map<String, Object> derived = new LinkedHashMap<>();
        derived.put("context-r2dbc.databases.main.url", primary);
        derived.put("context-r2dbc.databases.replica.url", replica);
        ConnectionFactoryOptions options = ConnectionFactoryOptions.parse(primary);
        Object port = options.getValue(ConnectionFactoryOptions.PORT);
        derived.put("spring.flyway.url", "jdbc:postgresql://" + options.getValue(ConnectionFactoryOptions.HOST)
                + (port == null ? "" : ":" + port) + "/" + options.getValue(ConnectionFactoryOptions.DATABASE));
        putIfPresent(derived, "spring.flyway.user", options, ConnectionFactoryOptions.USER);
        putIfPresent(derived, "spring.flyway.password", options, ConnectionFactoryOptions.PASSWORD);
        return derived;
    }

    private static void putIfPresent(Map<String, Object> target, String key, ConnectionFactoryOptions options,
            Option<?> option) {
        Object value = options.getValue(option);
        if (value != null) {
            target.put(key, value.toString());
        }
    }

    @Override
    public int getOrder() {
        // after application.yml, the command line and the environment have been read
        return ConfigDataEnvironmentPostProcessor.ORDER + 1;
    }
}
