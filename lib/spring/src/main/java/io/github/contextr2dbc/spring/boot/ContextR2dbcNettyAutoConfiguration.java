package io.github.contextr2dbc.spring.boot;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.http.client.ReactorResourceFactory;
import reactor.netty.http.server.HttpServer;

/**
 * What context-r2dbc adds to a reactive web application on a Reactor Netty server.
 *
 * <ul>
 * <li>The databases built from properties run their driver on the server's event loops
 * ({@code context-r2dbc.event-loops=server}, the default; {@code driver} keeps the driver's own loops): see
 * {@link ServerEventLoops}. Only where Spring Boot's Netty server and its {@link ReactorResourceFactory} bean
 * exist.</li>
 * <li>It re-arms the read of HTTP/1.1 keep-alive connections that Reactor Netty before 1.3.8 forgets to (see the
 * README, "Known issue: keep-alive connections that stop being read"). On by default, whether or not the
 * unit-of-work filter is enabled (the bug does not depend on it);
 * {@code context-r2dbc.web.rearm-keep-alive-read=false} turns it off, e.g. once the application runs on Reactor
 * Netty 1.3.8 or later.</li>
 * </ul>
 */
@AutoConfiguration(
        afterName = "org.springframework.boot.reactor.netty.autoconfigure.NettyReactiveWebServerAutoConfiguration")
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@ConditionalOnClass({HttpServer.class, NettyServerCustomizer.class})
public class ContextR2dbcNettyAutoConfiguration {

    @Bean
    @ConditionalOnProperty(prefix = "context-r2dbc.web", name = "rearm-keep-alive-read", havingValue = "true",
            matchIfMissing = true)
    NettyServerCustomizer contextR2dbcKeepAliveReadRearm() {
        return server -> server.doOnChannelInit(KeepAliveReadRearm::addTo)
                .doOnConnection(connection -> KeepAliveReadRearm.addTo(connection.channel()));
    }

    @Bean(ServerEventLoops.BEAN)
    @ConditionalOnBean({ReactorResourceFactory.class, NettyReactiveWebServerFactory.class})
    @ConditionalOnProperty(prefix = "context-r2dbc", name = "event-loops", havingValue = "server",
            matchIfMissing = true)
    ServerEventLoops contextR2dbcServerEventLoops(ReactorResourceFactory resources) {
        return new ServerEventLoops(resources);
    }
}
