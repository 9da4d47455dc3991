package io.github.contextr2dbc.example;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Database settings of the example, bound from {@code example.database.*} (or the environment, e.g.
 * {@code EXAMPLE_DATABASE_URL}).
 *
 * @param url the R2DBC URL of the primary, e.g. {@code r2dbc:postgresql://user:secret@db:5432/app};
 *     empty means "start the embedded PostgreSQL pair and use its primary"
 * @param maxPoolSize the most connections the pool opens
 */
@ConfigurationProperties("example.database")
public record DatabaseProperties(String url, @DefaultValue("10") int maxPoolSize) {

    /** Whether a URL was configured. */
    public boolean hasUrl() {
        return url != null && !url.isBlank();
    }
}
