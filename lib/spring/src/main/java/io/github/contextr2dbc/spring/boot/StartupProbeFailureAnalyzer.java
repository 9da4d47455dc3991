package io.github.contextr2dbc.spring.boot;

import io.github.contextr2dbc.Database;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns a failed startup probe into Spring Boot's "APPLICATION FAILED TO START" report: which database did
 * not answer, and what to check. Registered in {@code META-INF/spring.factories}.
 */
final class StartupProbeFailureAnalyzer extends AbstractFailureAnalyzer<StartupProbeException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, StartupProbeException cause) {
        Database database = cause.database();
        String property = database == null ? "context-r2dbc.databases.<name>.url"
                : "context-r2dbc.databases." + database.name() + ".url";
        return new FailureAnalysis(cause.getMessage(),
                "Check " + property + " and that the server is up and accepts connections, or give it longer with "
                        + "context-r2dbc.startup-probe.timeout; to start without checking the databases, set "
                        + "context-r2dbc.startup-probe.enabled=false.",
                cause);
    }
}
