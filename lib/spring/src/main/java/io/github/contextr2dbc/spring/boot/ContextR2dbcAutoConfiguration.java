package io.github.contextr2dbc.spring.boot;

import io.github.contextr2dbc.Database;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Import;

/**
 * Databases from properties: for every {@code context-r2dbc.databases.<name>} a {@link Database} bean
 * ({@code <name>Database}) and its session-aware {@code ConnectionFactory} ({@code <name>ConnectionFactory}),
 * {@code @Primary} for the default database, plus a {@link io.github.contextr2dbc.spring.Databases} bean
 * holding them all. Their pools are closed when the application stops.
 *
 * <p>It runs before Spring Boot's R2DBC auto-configuration, which then backs off (no second pool) and
 * builds Spring Data R2DBC's {@code DatabaseClient}, {@code R2dbcEntityTemplate} and repositories on the
 * default database's session-aware {@code ConnectionFactory}: they run inside the request's session.
 */
@AutoConfiguration(beforeName = {
        "org.springframework.boot.r2dbc.autoconfigure.R2dbcAutoConfiguration",
        "org.springframework.boot.r2dbc.autoconfigure.R2dbcTransactionManagerAutoConfiguration",
        "org.springframework.boot.r2dbc.autoconfigure.R2dbcInitializationAutoConfiguration",
        "org.springframework.boot.data.r2dbc.autoconfigure.DataR2dbcAutoConfiguration",
        "org.springframework.boot.data.r2dbc.autoconfigure.DataR2dbcRepositoriesAutoConfiguration"})
@ConditionalOnClass(Database.class)
@EnableConfigurationProperties(ContextR2dbcProperties.class)
@Import(DatabasesFromProperties.class)
public class ContextR2dbcAutoConfiguration {
}
