package io.github.contextr2dbc.example;

import io.github.contextr2dbc.test.PostgresPair;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The connection pool of the example.
 *
 * <p>The embedded default: when {@code example.database.url} is not set, a real PostgreSQL primary +
 * streaming replica is started from the local PostgreSQL binaries ({@link PostgresPair#shared()}, once
 * per JVM, stopped when the JVM exits) and the pool connects to its primary.
 */
@Configuration(proxyBeanMethods = false)
class DatabaseConfiguration {

    private static final Logger log = LoggerFactory.getLogger(DatabaseConfiguration.class);

    @Bean(destroyMethod = "dispose")
    ConnectionPool connectionPool(DatabaseProperties properties) {
        String url;
        if (properties.hasUrl()) {
            url = properties.url();
        } else {
            PostgresPair pair = PostgresPair.shared();
            log.info("example.database.url is not set: using the embedded PostgreSQL pair ({}), primary on {}:{}, replica on {}:{}",
                    pair.kind(), pair.host(), pair.primaryPort(), pair.host(), pair.replicaPort());
            url = pair.primaryUrl();
        }
        ConnectionFactoryOptions options = ConnectionFactoryOptions.parse(url);
        log.info("Connecting to database {} at {}:{}",
                options.getValue(ConnectionFactoryOptions.DATABASE),
                options.getValue(ConnectionFactoryOptions.HOST),
                options.getValue(ConnectionFactoryOptions.PORT));
        ConnectionFactory factory = ConnectionFactories.get(options);
        if (factory instanceof ConnectionPool pool) {
            // an r2dbc:pool:... URL already describes its pool
            return pool;
        }
        return new ConnectionPool(ConnectionPoolConfiguration.builder(factory)
                .name("example")
                .maxSize(properties.maxPoolSize())
                .build());
    }
}
