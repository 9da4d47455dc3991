package io.github.contextr2dbc.example;

import java.util.Arrays;

import org.springframework.boot.SpringApplication;

/**
 * The ledger on a local PostgreSQL primary + replica, for development:
 * {@code ./mvnw -pl webflux-example -am spring-boot:test-run}. Test scope, so the launcher never reaches the
 * application's packaged jar (Spring Boot's development-time services convention).
 */
public final class TestLedgerApplication {

    private TestLedgerApplication() {
    }

    /**
     * Starts PostgreSQL, then the application on it.
     *
     * @param args Spring Boot's command-line arguments (they win over the local URLs)
     */
    public static void main(String[] args) {
        String[] local = {"--" + ExampleDatabaseUrls.PRIMARY + "=" + LocalPostgres.primaryUrl(),
                "--" + ExampleDatabaseUrls.REPLICA + "=" + LocalPostgres.replicaUrl()};
        String[] all = Arrays.copyOf(local, local.length + args.length);
        System.arraycopy(args, 0, all, local.length, args.length);
        SpringApplication.from(LedgerApplication::main).run(all);
    }
}
