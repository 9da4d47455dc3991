package io.github.contextr2dbc.test;

import io.github.contextr2dbc.launcher.PostgresPair;
import io.r2dbc.spi.ConnectionFactoryOptions;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcConnectionDetails;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The launcher's local PostgreSQL pair (a primary and a streaming replica, started once per JVM from the
 * PostgreSQL binaries on this machine, a Docker engine, or the servers named by
 * {@code CONTEXT_R2DBC_PRIMARY_URL}/{@code CONTEXT_R2DBC_REPLICA_URL}; see context-r2dbc-launcher) for a
 * Spring Boot test, as Boot's {@code @ServiceConnection} offers a container: a fresh database on it, given
 * to the application as {@code spring.r2dbc.*} properties or as a connection-details bean. The toolkit
 * makes Boot's database its default one.
 *
 * <pre>{@code
 * @DynamicPropertySource
 * static void database(DynamicPropertyRegistry registry) {
 *     LocalPostgres.register(registry, "shop");
 * }
 * }</pre>
 *
 * <p>Needs context-r2dbc-launcher and spring-test (and spring-boot-r2dbc for {@link #connectionDetails(String)})
 * on the test class path.
 */
public final class LocalPostgres {

    private LocalPostgres() {
    }

    /**
     * Creates a fresh database on the local pair's primary (starting the pair on first use; this blocks the
     * calling thread) and registers {@code spring.r2dbc.url} for it (credentials in the URL): with no
     * {@code context-r2dbc.databases} declared, the toolkit's default database is this one.
     *
     * @param prefix the start of the new database's name (letters, digits, underscores)
     * @return the new database's name
     */
    public static String register(DynamicPropertyRegistry registry, String prefix) {
        PostgresPair pair = PostgresPair.shared();
        String database = pair.createDatabase(prefix);
        String url = pair.primaryUrl(database);
        registry.add("spring.r2dbc.url", () -> url);
        return database;
    }

    /**
     * A connection-details bean for a fresh database on the local pair's primary, for an application that
     * declares its database as a bean (as a {@code @ServiceConnection} container does):
     * {@code @Bean R2dbcConnectionDetails database() { return LocalPostgres.connectionDetails("shop"); }}.
     *
     * @param prefix the start of the new database's name (letters, digits, underscores)
     */
    public static R2dbcConnectionDetails connectionDetails(String prefix) {
        PostgresPair pair = PostgresPair.shared();
        String url = pair.primaryUrl(pair.createDatabase(prefix));
        ConnectionFactoryOptions options = ConnectionFactoryOptions.parse(url);
        return () -> options;
    }
}
