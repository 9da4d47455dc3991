package io.github.contextr2dbc.spring.webapp;

import io.github.contextr2dbc.launcher.PostgresPair;
import io.github.contextr2dbc.launcher.PostgresReplica;
import io.github.contextr2dbc.spring.TestSql;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The two fresh databases of the web test application, created once per JVM (every web test class shares
 * one application context), with their schema: {@code main} (also reached through its replica and through
 * a one-connection pool called {@code tiny}) and {@code audit}.
 */
final class WebAppDatabases {

    static final PostgresPair PAIR = PostgresPair.shared();

    /**
     * A second replica, started before the databases are created so that it has them (routing tests); null where
     * the provider has none (Testcontainers, an external pair without CONTEXT_R2DBC_REPLICA2_URL).
     */
    static final PostgresReplica REPLICA2 = secondReplica();

    static final String MAIN = PAIR.createDatabase("spring_main");

    static final String AUDIT = PAIR.createDatabase("spring_audit");

    static final TestSql MAIN_SQL = new TestSql(PAIR.primaryUrl(MAIN));

    static final TestSql AUDIT_SQL = new TestSql(PAIR.primaryUrl(AUDIT));

    static {
        MAIN_SQL.execute(
                "CREATE TABLE item (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE)",
                "CREATE TABLE parent (id bigint PRIMARY KEY)",
                "CREATE TABLE child (id bigserial PRIMARY KEY, parent_id bigint NOT NULL REFERENCES parent (id) "
                        + "DEFERRABLE INITIALLY DEFERRED, name text NOT NULL)",
                "CREATE TABLE deferred_code (name text NOT NULL, code text NOT NULL, "
                        + "CONSTRAINT deferred_code_unique UNIQUE (code) DEFERRABLE INITIALLY DEFERRED)",
                "CREATE TABLE checked (name text NOT NULL, value int NOT NULL)",
                "CREATE FUNCTION reject_negative() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                        + "IF NEW.value < 0 THEN RAISE EXCEPTION 'negative value' USING ERRCODE = 'P0001'; END IF; "
                        + "RETURN NEW; END $$",
                "CREATE CONSTRAINT TRIGGER checked_not_negative AFTER INSERT ON checked DEFERRABLE INITIALLY DEFERRED "
                        + "FOR EACH ROW EXECUTE FUNCTION reject_negative()",
                "CREATE FUNCTION fail_with(code text) RETURNS int LANGUAGE plpgsql AS $$ BEGIN "
                        + "RAISE EXCEPTION 'forced failure' USING ERRCODE = code; END $$",
                "CREATE TABLE numbers AS SELECT g AS n FROM generate_series(1, 10000) g");
        AUDIT_SQL.execute("CREATE TABLE audit (id bigserial PRIMARY KEY, note text NOT NULL, "
                + "CONSTRAINT audit_note_unique UNIQUE (note) DEFERRABLE INITIALLY DEFERRED)");
        PAIR.awaitReplicaCaughtUp();
    }

    private WebAppDatabases() {
    }

    private static PostgresReplica secondReplica() {
        try {
            return PAIR.secondReplica();
        } catch (UnsupportedOperationException e) {
            return null;
        }
    }

    /** The properties-only configuration of the application's databases. */
    static void register(DynamicPropertyRegistry registry) {
        registry.add("context-r2dbc.databases.main.url", () -> PAIR.primaryUrl(MAIN));
        registry.add("context-r2dbc.databases.main.default", () -> "true");
        registry.add("context-r2dbc.databases.main.pool.max-size", () -> "8");
        registry.add("context-r2dbc.databases.audit.url", () -> PAIR.primaryUrl(AUDIT));
        registry.add("context-r2dbc.databases.replica.url", () -> PAIR.replicaUrl(MAIN));
        registry.add("context-r2dbc.databases.replica.replica-of", () -> "main");
        if (REPLICA2 != null) {
            registry.add("context-r2dbc.databases.replica2.url", () -> REPLICA2.url(MAIN));
            registry.add("context-r2dbc.databases.replica2.replica-of", () -> "main");
        }
        registry.add("context-r2dbc.routing.replay-wait", () -> "100ms");
        // no background replica checks: they take connections of main, and every test asserts that its
        // requests left none in use (a check between the wait and the assertion made that flaky)
        registry.add("context-r2dbc.routing.check-interval", () -> "1h");
        registry.add("context-r2dbc.routing.token.cookie", () -> "read-after");
        registry.add("context-r2dbc.databases.tiny.url", () -> PAIR.primaryUrl(MAIN));
        registry.add("context-r2dbc.databases.tiny.pool.max-size", () -> "1");
        registry.add("context-r2dbc.databases.tiny.pool.acquire-timeout", () -> "300ms");
        registry.add("management.endpoints.web.exposure.include", () -> "health");
        registry.add("management.endpoint.health.show-details", () -> "always");
    }
}
