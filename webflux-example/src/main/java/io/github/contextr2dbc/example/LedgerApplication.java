package io.github.contextr2dbc.example;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A small banking ledger on context-r2dbc: accounts, idempotent transfers in atomic blocks, an audit log
 * written before commit, an outbox filled after commit and drained by a background job.
 *
 * <p>Every request is a unit of work, committed or rolled back by its status before the response is sent
 * (context-r2dbc-spring's auto-configuration). The databases come from {@code EXAMPLE_PRIMARY_URL} and
 * {@code EXAMPLE_REPLICA_URL} (see {@link ExampleDatabaseUrls}); for development,
 * {@code ./mvnw -pl webflux-example -am spring-boot:test-run} starts the application on a local PostgreSQL
 * primary + replica instead (the test-scoped {@code TestLedgerApplication}).
 */
@SpringBootApplication
public class LedgerApplication {

    /**
     * Starts the application.
     *
     * @param args Spring Boot's command-line arguments
     */
    public static void main(String[] args) {
        SpringApplication.run(LedgerApplication.class, args);
    }
}
