package io.github.contextr2dbc.spring.boot;

import java.time.Duration;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.DatabaseBuilder;
import io.github.contextr2dbc.spring.Databases;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.Option;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcConnectionDetails;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * Spring Boot's conventions, when no database is declared under {@code context-r2dbc.databases}: the
 * application's one database as Boot sees it (its {@link R2dbcConnectionDetails}: from {@code spring.r2dbc.*},
 * a {@code @ServiceConnection} container or Docker Compose) becomes the toolkit's default database, called
 * {@value #NAME}, with the pool sizes of {@code spring.r2dbc.pool.*}. So an application that only sets
 * {@code spring.r2dbc.url} gets units of work, the WebFilter and the rest on its database, instead of
 * nothing. Its host cannot be changed at run time ({@code changeHost}); declare it under
 * {@code context-r2dbc.databases} for that.
 */
final class BootConnectionDetailsDatabase {

    /** The default database's name (its beans: {@code defaultDatabase}, {@code defaultConnectionFactory}). */
    static final String NAME = "default";

    private static final boolean BOOT_R2DBC = ClassUtils.isPresent(
            "org.springframework.boot.r2dbc.autoconfigure.R2dbcConnectionDetails",
            BootConnectionDetailsDatabase.class.getClassLoader());

    private static final Option<String> PROTOCOL = ConnectionFactoryOptions.PROTOCOL;

    private BootConnectionDetailsDatabase() {
    }

    /**
     * Whether Boot knows a database: a connection-details bean is already defined (a {@code @ServiceConnection},
     * Docker Compose, or the application's own), or {@code spring.r2dbc.url} is set (Boot's R2DBC
     * auto-configuration then defines the connection-details bean).
     */
    static boolean applies(Environment environment, BeanDefinitionRegistry registry) {
        if (!BOOT_R2DBC) {
            return false;
        }
        String url = environment.getProperty("spring.r2dbc.url");
        if (url != null && !url.isBlank()) {
            return true;
        }
        return registry instanceof ListableBeanFactory
                && ((ListableBeanFactory) registry).getBeanNamesForType(R2dbcConnectionDetails.class, true, false)
                        .length > 0;
    }

    /**
     * The {@link Databases} of the one default database, from the connection-details bean; its driver on the web
     * server's event loops if {@code serverLoops} is not null ({@code context-r2dbc.event-loops}).
     */
    static Databases build(BeanFactory beanFactory, Environment environment, @Nullable ServerEventLoops serverLoops) {
        R2dbcConnectionDetails details = beanFactory.getBean(R2dbcConnectionDetails.class);
        ConnectionFactoryOptions unpooled = unpooled(details.getConnectionFactoryOptions());
        // context-r2dbc.event-loops (issue 17): the driver on the web server's loops, as for databases from properties
        ConnectionFactoryOptions options = serverLoops == null ? unpooled : serverLoops.applyTo(unpooled);
        Binder binder = Binder.get(environment);
        DatabaseBuilder builder = Database.builder(NAME).connectionFactory(ConnectionFactories.get(options));
        binder.bind("spring.r2dbc.pool.max-size", Integer.class).ifBound(builder::maxSize);
        binder.bind("spring.r2dbc.pool.initial-size", Integer.class).ifBound(builder::initialSize);
        binder.bind("spring.r2dbc.pool.max-idle-time", Duration.class).ifBound(builder::maxIdleTime);
        binder.bind("spring.r2dbc.pool.max-life-time", Duration.class).ifBound(builder::maxLifeTime);
        binder.bind("spring.r2dbc.pool.max-acquire-time", Duration.class).ifBound(builder::acquireTimeout);
        binder.bind("spring.r2dbc.pool.validation-query", String.class).ifBound(builder::validationQuery);
        return Databases.of(builder.build());
    }

    /**
     * The options without r2dbc-pool's {@code pool} driver ({@code r2dbc:pool:postgresql://...}): the toolkit
     * pools the connections itself.
     */
    static ConnectionFactoryOptions unpooled(ConnectionFactoryOptions options) {
        Object driver = options.getValue(ConnectionFactoryOptions.DRIVER);
        if (!"pool".equals(driver)) {
            return options;
        }
        @Nullable Object protocol = options.getValue(PROTOCOL);
        if (protocol == null) {
            throw new IllegalStateException("The R2DBC options name the pool driver but no protocol (the driver "
                    + "under the pool), e.g. r2dbc:pool:postgresql://app@localhost:5432/shop");
        }
        String underlying = protocol.toString();
        int colon = underlying.indexOf(':');
        ConnectionFactoryOptions.Builder builder = options.mutate()
                .option(ConnectionFactoryOptions.DRIVER, colon < 0 ? underlying : underlying.substring(0, colon));
        if (colon < 0) {
            builder.option(PROTOCOL, "");
        } else {
            builder.option(PROTOCOL, underlying.substring(colon + 1));
        }
        return builder.build();
    }
}
