package io.github.contextr2dbc.example;

import io.github.contextr2dbc.launcher.PostgresPair;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The development and test database: one fresh database on the launcher's local PostgreSQL primary +
 * streaming replica (started from the machine's PostgreSQL binaries once per JVM, stopped when it exits).
 */
final class LocalPostgres {

    private static final class Holder {
        static final PostgresPair PAIR = PostgresPair.shared();
        static final String DATABASE = PAIR.createDatabase("ledger");
    }

    private LocalPostgres() {
    }

    static PostgresPair pair() {
        return Holder.PAIR;
    }

    static String primaryUrl() {
        return Holder.PAIR.primaryUrl(Holder.DATABASE);
    }

    static String replicaUrl() {
        return Holder.PAIR.replicaUrl(Holder.DATABASE);
    }

    /** Points a {@code @SpringBootTest}'s databases and Flyway at the local pair. */
    static void register(DynamicPropertyRegistry registry) {
        ExampleDatabaseUrls.derived(primaryUrl(), replicaUrl()).forEach((key, value) -> registry.add(key, () -> value));
    }
}
