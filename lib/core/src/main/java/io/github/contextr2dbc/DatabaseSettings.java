package io.github.contextr2dbc;

import java.time.Duration;
import java.util.Map;
import java.util.function.Function;

import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.spi.ConnectionFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * The settings of a {@link Database}, fixed when its {@link DatabaseBuilder} builds it (the builder checks
 * each value; this holds them and turns the pool's into r2dbc-pool's configuration). Immutable.
 */
final class DatabaseSettings {

    final String name;

    final Function<String, ConnectionFactory> connectionFactoryCreator;

    /** The URL given to {@code url(...)} with the builder's driver options; null with {@code connectionFactory}. */
    @Nullable
    final UrlConnectionFactories url;

    /** The first host. */
    final String host;

    /** False for a fixed {@link ConnectionFactory}: no {@link Database#changeHost(String)}. */
    final boolean hostSwitchable;

    final int initialSize;

    final int maxSize;

    /** {@link Duration#ZERO}: no acquire timeout. */
    final Duration acquireTimeout;

    final Duration maxIdleTime;

    final Duration maxLifeTime;

    @Nullable
    final String validationQuery;

    @Nullable
    final Function<? super Database, ? extends Mono<Void>> beforeSession;

    /** The sessions' options; a replica's always begin {@code READ ONLY}. */
    final SessionOptions sessionOptions;

    final OutsideUnitOfWork outsideUnitOfWork;

    @Nullable
    final Database replicaOf;

    DatabaseSettings(DatabaseBuilder builder) {
        if ((builder.url == null && builder.connectionFactoryCreator == null) || builder.host == null) {
            throw new IllegalStateException("Database '" + builder.name + "' has nowhere to connect: call url(...) "
                    + "or connectionFactory(...) on its builder");
        }
        this.name = builder.name;
        if (builder.url != null) {
            this.url = builder.url.withOptions(Map.copyOf(builder.driverOptions));
            this.connectionFactoryCreator = this.url::forHost;
        } else {
            if (!builder.driverOptions.isEmpty()) {
                throw new IllegalStateException("Database '" + builder.name + "' connects through "
                        + "connectionFactory(...), which option(...) cannot reach: give the options "
                        + builder.driverOptions.keySet() + " to the ConnectionFactory made there (its "
                        + "ConnectionFactoryOptions), or connect with url(...)");
            }
            this.url = null;
            this.connectionFactoryCreator = builder.connectionFactoryCreator;
        }
        this.host = builder.host;
        this.hostSwitchable = builder.hostSwitchable;
        this.initialSize = builder.initialSize;
        this.maxSize = builder.maxSize;
        this.acquireTimeout = builder.acquireTimeout;
        this.maxIdleTime = builder.maxIdleTime;
        this.maxLifeTime = builder.maxLifeTime;
        this.validationQuery = builder.validationQuery;
        this.beforeSession = builder.beforeSession;
        this.outsideUnitOfWork = builder.outsideUnitOfWork;
        this.replicaOf = builder.replicaOf;
        this.sessionOptions = builder.replicaOf == null ? builder.sessionOptions
                : builder.sessionOptions.toBuilder().readOnly(true).build();
    }

    /** Whether acquisitions that wait are timed ({@link AcquireTimeout}); false when switched off. */
    boolean timesAcquisitions() {
        return !this.acquireTimeout.isZero();
    }

    /**
     * The pool's configuration. The acquire timeout is not r2dbc-pool's {@code maxAcquireTime}, which times
     * every acquisition: {@link AcquireTimeout} times only those that wait.
     */
    ConnectionPoolConfiguration poolConfiguration(ConnectionFactory connectionFactory) {
        ConnectionPoolConfiguration.Builder builder = ConnectionPoolConfiguration
                .builder(connectionFactory)
                .name("context-r2dbc-" + this.name)
                .initialSize(this.initialSize)
                .maxSize(this.maxSize)
                .maxIdleTime(this.maxIdleTime)
                .maxLifeTime(this.maxLifeTime);
        if (this.validationQuery != null) {
            builder.validationQuery(this.validationQuery);
        }
        return builder.build();
    }
}
