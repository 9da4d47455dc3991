package io.github.contextr2dbc.spring.boot;

import io.github.contextr2dbc.Database;
import org.jspecify.annotations.Nullable;

/**
 * The startup probe found a database that does not answer: thrown on the application's starting thread,
 * it fails the context refresh (Spring Boot reports it through {@link StartupProbeFailureAnalyzer}).
 */
final class StartupProbeException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    @Nullable
    private final transient Database database;

    StartupProbeException(@Nullable Database database, String what, @Nullable Throwable cause) {
        super("Startup probe: " + (database == null ? "the databases" : "database '" + database.name() + "' at "
                + database.host()) + " " + what, cause);
        this.database = database;
    }

    /** The database that did not answer, or null when the probe as a whole did not finish in time. */
    @Nullable
    Database database() {
        return this.database;
    }
}
