package io.github.contextr2dbc.spring.boot;

import java.util.List;

import io.github.contextr2dbc.spring.CommitPolicy;
import io.github.contextr2dbc.spring.ContextR2dbcWebFilter;
import io.github.contextr2dbc.spring.DatabaseArgumentResolver;
import io.github.contextr2dbc.spring.DatabaseProblemHandler;
import io.github.contextr2dbc.spring.Databases;
import io.github.contextr2dbc.spring.ProblemMapping;
import io.github.contextr2dbc.spring.UnitOfWorkListener;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.codec.ServerCodecConfigurer;
import org.springframework.web.reactive.config.WebFluxConfigurer;
import org.springframework.web.reactive.result.method.RequestMappingInfoHandlerMapping;
import org.springframework.web.reactive.result.method.annotation.ArgumentResolverConfigurer;

/**
 * The WebFlux side, in reactive web applications unless {@code context-r2dbc.web.enabled=false}: the
 * {@link ContextR2dbcWebFilter} (every request a unit of work; commit rules from
 * {@code context-r2dbc.web.*}), the {@link DatabaseProblemHandler} with the {@link ProblemMapping} bean
 * (the standard one unless you declare your own), and handler method arguments of type
 * {@code DbSession} and {@code Database}. Declare your own filter bean to configure it in code.
 */
@AutoConfiguration(after = ContextR2dbcAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@ConditionalOnProperty(prefix = "context-r2dbc.web", name = "enabled", havingValue = "true", matchIfMissing = true)
public class ContextR2dbcWebAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    ContextR2dbcWebFilter contextR2dbcWebFilter(ContextR2dbcProperties properties,
            ObjectProvider<UnitOfWorkListener> listeners,
            ObjectProvider<RequestMappingInfoHandlerMapping> handlerMappings) {
        ContextR2dbcWebProperties web = properties.getWeb();
        CommitPolicy policy = CommitPolicy.builder()
                .commitRedirects(web.isCommitRedirects())
                .commitStatuses(web.getCommitStatuses().stream().mapToInt(Integer::intValue).toArray())
                .rollbackStatuses(web.getRollbackStatuses().stream().mapToInt(Integer::intValue).toArray())
                .build();
        List<UnitOfWorkListener> all = listeners.orderedStream().toList();
        UnitOfWorkListener listener = all.isEmpty() ? UnitOfWorkListener.NONE
                : all.size() == 1 ? all.get(0)
                : finished -> all.forEach(each -> each.finished(finished));
        return ContextR2dbcWebFilter.builder()
                .commitPolicy(policy)
                .listener(listener)
                .handlerMappings(handlerMappings.orderedStream().toList())
                .order(web.getFilterOrder())
                .holdLimit(web.getHoldLimit().toBytes())
                .build();
    }

    /** Problem responses for database errors. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(prefix = "context-r2dbc.web", name = "problem-responses", havingValue = "true",
            matchIfMissing = true)
    static class ProblemResponses {

        @Bean
        @ConditionalOnMissingBean
        ProblemMapping contextR2dbcProblemMapping() {
            return ProblemMapping.standard();
        }

        @Bean
        @ConditionalOnMissingBean
        DatabaseProblemHandler contextR2dbcProblemHandler(ProblemMapping mapping, ServerCodecConfigurer codecs) {
            return new DatabaseProblemHandler(mapping, codecs.getWriters());
        }
    }

    /** {@code DbSession} and {@code Database} handler method arguments. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnBean(Databases.class)
    static class HandlerArguments {

        @Bean
        WebFluxConfigurer contextR2dbcArgumentResolvers(Databases databases) {
            DatabaseArgumentResolver resolver = new DatabaseArgumentResolver(databases);
            return new WebFluxConfigurer() {
                @Override
                public void configureArgumentResolvers(ArgumentResolverConfigurer configurer) {
                    configurer.addCustomResolver(resolver);
                }
            };
        }
    }
}
