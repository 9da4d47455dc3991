package io.github.contextr2dbc.example;

import java.util.LinkedHashMap;
import java.util.Map;

import io.github.contextr2dbc.launcher.PostgresPair;
import io.r2dbc.spi.ConnectionFactoryOptions;
import org.apache.commons.logging.Log;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * The example's database defaults, computed before the application context starts:
 *
 * <ul>
 *   <li>{@code context-r2dbc.databases.main.url} set: used as it is (add a replica with
 *       {@code context-r2dbc.databases.replica.url} and {@code .replica-of=main});</li>
 *   <li>else {@code example.database.url} (or {@code EXAMPLE_DATABASE_URL}) set: becomes the main database's URL;</li>
 *   <li>else the embedded default: a real PostgreSQL primary + streaming replica is started from the local
 *       PostgreSQL binaries ({@link PostgresPair#shared()}, stopped when the JVM exits) and becomes the
 *       {@code main} and {@code replica} databases.</li>
 * </ul>
 *
 * Flyway's JDBC URL ({@code spring.flyway.url}) is derived from the main database's R2DBC URL unless set.
 */
class EmbeddedDatabaseDefault implements EnvironmentPostProcessor, Ordered {

    private static final String MAIN_URL = "context-r2dbc.databases.main.url";

    private final Log log;

    EmbeddedDatabaseDefault(DeferredLogFactory logs) {
        this.log = logs.getLog(EmbeddedDatabaseDefault.class);
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        Map<String, Object> defaults = new LinkedHashMap<>();
        String main = environment.getProperty(MAIN_URL, "");
        if (main.isBlank()) {
            main = environment.getProperty("example.database.url", "");
        }
        if (main.isBlank()) {
            PostgresPair pair = PostgresPair.shared();
            this.log.info("No database URL is configured (" + MAIN_URL + "): using the embedded PostgreSQL pair ("
                    + pair.kind() + "), primary on " + pair.host() + ":" + pair.primaryPort() + ", replica on "
                    + pair.host() + ":" + pair.replicaPort());
            main = pair.primaryUrl();
            defaults.put("context-r2dbc.databases.replica.url", pair.replicaUrl());
            defaults.put("context-r2dbc.databases.replica.replica-of", "main");
            defaults.put("context-r2dbc.databases.replica.session.read-only", "true");
        }
        defaults.put(MAIN_URL, main);
        if (environment.getProperty("spring.flyway.url", "").isBlank()) {
            ConnectionFactoryOptions options = ConnectionFactoryOptions.parse(main);
            Object port = options.getValue(ConnectionFactoryOptions.PORT);
            defaults.put("spring.flyway.url", "jdbc:postgresql://" + options.getValue(ConnectionFactoryOptions.HOST)
                    + (port == null ? "" : ":" + port) + "/" + options.getValue(ConnectionFactoryOptions.DATABASE));
            putIfPresent(defaults, "spring.flyway.user", options.getValue(ConnectionFactoryOptions.USER));
            putIfPresent(defaults, "spring.flyway.password", options.getValue(ConnectionFactoryOptions.PASSWORD));
        }
        environment.getPropertySources().addFirst(new MapPropertySource("exampleDatabaseDefaults", defaults));
    }

    private static void putIfPresent(Map<String, Object> target, String key, Object value) {
        if (value != null) {
            target.put(key, value.toString());
        }
    }

    @Override
    public int getOrder() {
        // after application.yml and the environment have been read
        return ConfigDataEnvironmentPostProcessor.ORDER + 1;
    }
}
