package io.github.contextr2dbc.spring.boot;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import reactor.netty.http.server.HttpServer;

/**
 * On a Reactor Netty server, re-arms the read of HTTP/1.1 keep-alive connections that Reactor Netty before
 * 1.3.8 forgets to (see the README, "Known issue: keep-alive connections that stop being read"). On by
 * default, whether or not the unit-of-work filter is enabled (the bug does not depend on it);
 * {@code context-r2dbc.web.rearm-keep-alive-read=false} turns it off, e.g. once the application runs on
 * Reactor Netty 1.3.8 or later.
 */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@ConditionalOnClass({HttpServer.class, NettyServerCustomizer.class})
@ConditionalOnProperty(prefix = "context-r2dbc.web", name = "rearm-keep-alive-read", havingValue = "true",
        matchIfMissing = true)
public class ContextR2dbcNettyAutoConfiguration {

    @Bean
    NettyServerCustomizer contextR2dbcKeepAliveReadRearm() {
        return server -> server.doOnChannelInit(KeepAliveReadRearm::addTo)
                .doOnConnection(connection -> KeepAliveReadRearm.addTo(connection.channel()));
    }
}
