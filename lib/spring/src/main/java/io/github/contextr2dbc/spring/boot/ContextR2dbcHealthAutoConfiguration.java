package io.github.contextr2dbc.spring.boot;

import java.util.LinkedHashMap;
import java.util.Map;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.spring.Databases;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeReactiveHealthContributor;
import org.springframework.boot.health.contributor.ReactiveHealthContributor;
import org.springframework.context.annotation.Bean;

/**
 * Actuator health of every configured database, under the {@code r2dbc} component (one entry per
 * database; a replica shows its replication lag). It takes the place of Spring Boot's own R2DBC health
 * indicator, which would ask the session-aware {@code ConnectionFactory} for a connection outside any
 * unit of work. {@code management.health.r2dbc.enabled=false} turns it off.
 */
@AutoConfiguration(after = ContextR2dbcAutoConfiguration.class,
        beforeName = "org.springframework.boot.r2dbc.autoconfigure.health."
                + "ConnectionFactoryHealthContributorAutoConfiguration")
@ConditionalOnClass({ReactiveHealthContributor.class, ConditionalOnEnabledHealthIndicator.class})
@ConditionalOnBean(Databases.class)
@ConditionalOnEnabledHealthIndicator("r2dbc")
public class ContextR2dbcHealthAutoConfiguration {

    /** Named so that Spring Boot's R2DBC health auto-configuration backs off. */
    @Bean
    @ConditionalOnMissingBean(name = {"r2dbcHealthIndicator", "r2dbcHealthContributor"})
    CompositeReactiveHealthContributor r2dbcHealthContributor(Databases databases, ContextR2dbcProperties properties) {
        Map<String, DatabaseHealthIndicator> indicators = new LinkedHashMap<>();
        for (Database database : databases.all()) {
            indicators.put(database.name(), new DatabaseHealthIndicator(database, databases.primaryOf(database),
                    properties.getHealth().getTimeout()));
        }
        return CompositeReactiveHealthContributor.fromMap(indicators);
    }
}
