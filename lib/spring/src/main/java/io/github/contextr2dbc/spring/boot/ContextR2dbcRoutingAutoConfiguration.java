package io.github.contextr2dbc.spring.boot;

import java.util.HashSet;

import io.github.contextr2dbc.ReplicaBalancer;
import io.github.contextr2dbc.Router;
import io.github.contextr2dbc.Routing;
import io.github.contextr2dbc.spring.Databases;
import io.github.contextr2dbc.spring.ReadAfterToken;
import io.github.contextr2dbc.spring.RoutingWebFilter;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Routing over the configured databases: a {@link Routing} bean (default database: the default one; replicas:
 * those with {@code replica-of}; {@link Router} beans in their order; a {@link ReplicaBalancer} bean if any, else
 * round-robin) whose background replica checks run while the application runs, and in reactive web
 * applications the {@link RoutingWebFilter} (GET/HEAD may read from replicas, the read-your-own-writes token).
 * Settings under {@code context-r2dbc.routing}.
 */
@AutoConfiguration(after = ContextR2dbcAutoConfiguration.class)
@ConditionalOnBean(Databases.class)
public class ContextR2dbcRoutingAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    Routing contextR2dbcRouting(Databases databases, ContextR2dbcProperties properties, ObjectProvider<Router> routers,
            ObjectProvider<ReplicaBalancer> balancer) {
        ContextR2dbcRoutingProperties routing = properties.getRouting();
        Routing.Builder builder = Routing.builder(databases.defaultDatabase())
                .databases(databases.all())
                .maxLagBytes(routing.getMaxLag().toBytes())
                .checkInterval(routing.getCheckInterval())
                .checkTimeout(routing.getCheckTimeout())
                .replayWait(routing.getReplayWait());
        routers.orderedStream().forEach(builder::router);
        balancer.ifAvailable(builder::balancer);
        return builder.build();
    }

    @Bean
    RoutingLifecycle contextR2dbcRoutingLifecycle(Routing routing) {
        return new RoutingLifecycle(routing);
    }

    /** The web filter. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
    @ConditionalOnProperty(prefix = "context-r2dbc.web", name = "enabled", havingValue = "true", matchIfMissing = true)
    static class Web {

        @Bean
        @ConditionalOnMissingBean
        RoutingWebFilter contextR2dbcRoutingWebFilter(ContextR2dbcProperties properties) {
            ContextR2dbcRoutingProperties routing = properties.getRouting();
            ContextR2dbcRoutingProperties.Token token = routing.getToken();
            ReadAfterToken signer = !token.isEnabled() ? null
                    : token.getKey() == null || token.getKey().isBlank() ? ReadAfterToken.withRandomKey()
                    : ReadAfterToken.withKey(token.getKey());
            if (signer != null) {
                signer = signer.validFor(token.getTtl());
            }
            return RoutingWebFilter.builder()
                    .replicaMethods(new HashSet<>(routing.getReplicaMethods()))
                    .token(signer)
                    .header(token.getHeader())
                    .cookie(token.getCookie() == null || token.getCookie().isBlank() ? null : token.getCookie())
                    .order(properties.getWeb().getFilterOrder() + 1)
                    .build();
        }
    }

    /** Micrometer meters of routing decisions and replicas in rotation. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterBinder.class)
    static class Metrics {

        @Bean
        RoutingMetrics contextR2dbcRoutingMetrics(Routing routing) {
            return new RoutingMetrics(routing);
        }
    }

    /** The {@code routing} component of Actuator health: replicas in and out of rotation. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({ReactiveHealthIndicator.class, ConditionalOnEnabledHealthIndicator.class})
    @ConditionalOnEnabledHealthIndicator("routing")
    static class Health {

        @Bean
        @ConditionalOnMissingBean(name = "routingHealthIndicator")
        ReactiveHealthIndicator routingHealthIndicator(Routing routing) {
            return new RoutingHealthIndicator(routing);
        }
    }
}
