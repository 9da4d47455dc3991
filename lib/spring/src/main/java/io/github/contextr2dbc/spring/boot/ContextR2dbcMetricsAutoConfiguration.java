package io.github.contextr2dbc.spring.boot;

import io.github.contextr2dbc.spring.Databases;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer meters, when Micrometer is on the class path (Spring Boot binds them to its registries):
 *
 * <ul>
 *   <li>{@code context.r2dbc.unit.of.work} (timer; tags {@code action} commit/rollback, {@code reason}
 *       none/status/error/cancel/veto/commit-failed, {@code connected}): every request unit of work, from
 *       the start of the request to the end of its commit or rollback;</li>
 *   <li>{@code context.r2dbc.commits}, {@code context.r2dbc.rollbacks} (counters; {@code reason});</li>
 *   <li>{@code context.r2dbc.sessions} (counter; {@code database}, {@code connected}: false for sessions
 *       that never needed a connection);</li>
 *   <li>{@code context.r2dbc.pool.acquired|allocated|idle|pending|max.allocated},
 *       {@code context.r2dbc.connections.in.use} (gauges) and {@code context.r2dbc.connections.acquisitions}
 *       (counter), each with the tag {@code database}.</li>
 * </ul>
 */
@AutoConfiguration(after = ContextR2dbcAutoConfiguration.class)
@ConditionalOnClass(MeterBinder.class)
@ConditionalOnBean(Databases.class)
public class ContextR2dbcMetricsAutoConfiguration {

    @Bean
    DatabaseMetrics contextR2dbcMetrics(Databases databases) {
        return new DatabaseMetrics(databases);
    }
}
