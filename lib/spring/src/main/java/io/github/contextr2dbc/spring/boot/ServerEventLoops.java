package io.github.contextr2dbc.spring.boot;

import io.github.contextr2dbc.DatabaseBuilder;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.Option;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.util.ClassUtils;
import reactor.netty.resources.LoopResources;

/**
 * The Reactor Netty web server's event loops (those of the {@link ReactorResourceFactory} bean, which Spring Boot's
 * Netty server runs on), given to the driver of every database the auto-configuration builds
 * ({@code context-r2dbc.event-loops=server}, the default): r2dbc-postgresql then reads and writes its connections on
 * the threads that serve the requests (Reactor Netty's client loops are co-located with the server's), instead of
 * on its own {@code reactor-tcp-*} loops, so a request does not hop between two sets of threads for each statement.
 * Registered by {@link ContextR2dbcNettyAutoConfiguration} in a reactive web application with that bean only.
 *
 * <p>The databases are closed before the loops are disposed: {@link DatabasesLifecycle} stops in a phase above the
 * factory's (0), and the databases' bean depends on this one, which depends on the factory, so they are also
 * destroyed first when the context is closed without being stopped.
 */
final class ServerEventLoops {

    /** The bean's name. */
    static final String BEAN = "contextR2dbcServerEventLoops";

    /**
     * r2dbc-postgresql's {@code PostgresqlConnectionFactoryProvider.LOOP_RESOURCES}, found by its name (the same
     * instance: options are interned), so that this module does not depend on the driver; drivers that do not know
     * the option ignore it.
     */
    static final Option<LoopResources> LOOP_RESOURCES = Option.valueOf("loopResources");

    /** Whether Reactor Netty is on the class path (this class is used only then). */
    private static final boolean REACTOR_NETTY = ClassUtils.isPresent("reactor.netty.resources.LoopResources",
            ServerEventLoops.class.getClassLoader());

    private final ReactorResourceFactory resources;

    ServerEventLoops(ReactorResourceFactory resources) {
        this.resources = resources;
    }

    /**
     * The bean, if the application has one, registering {@code dependent} (the bean being created with it) as
     * depending on it; null otherwise.
     */
    @Nullable
    static ServerEventLoops find(@Nullable BeanFactory beanFactory, String dependent) {
        if (beanFactory == null || !REACTOR_NETTY || !beanFactory.containsBean(BEAN)) {
            return null;
        }
        ServerEventLoops loops = beanFactory.getBean(BEAN, ServerEventLoops.class);
        if (beanFactory instanceof ConfigurableBeanFactory configurable) {
            configurable.registerDependentBean(BEAN, dependent);
        }
        return loops;
    }

    /** The server's loops (starts the factory if it is not yet: its loops are then created). */
    LoopResources loopResources() {
        return this.resources.getLoopResources();
    }

    /** {@code builder} with the driver on the server's loops. */
    DatabaseBuilder applyTo(DatabaseBuilder builder) {
        return builder.option(LOOP_RESOURCES, loopResources());
    }

    /** {@code options} with the driver on the server's loops. */
    ConnectionFactoryOptions applyTo(ConnectionFactoryOptions options) {
        return options.mutate().option(LOOP_RESOURCES, loopResources()).build();
    }
}
