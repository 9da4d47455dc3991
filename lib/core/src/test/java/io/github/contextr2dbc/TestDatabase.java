package io.github.contextr2dbc;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

import io.github.contextr2dbc.launcher.DirectSql;
import io.github.contextr2dbc.launcher.PostgresPair;
import io.github.contextr2dbc.launcher.PostgresReplica;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assumptions;

/**
 * A fresh PostgreSQL database on the shared primary, for one test class, with plain blocking helpers to
 * set up and check rows from the test thread (never from a reactive pipeline).
 */
final class TestDatabase {

    static final Duration TIMEOUT = Duration.ofSeconds(30);

    final PostgresPair pair = PostgresPair.shared();

    final String name;

    final String url;

    private final DirectSql direct;

    TestDatabase(String prefix) {
        this.name = this.pair.createDatabase(prefix);
        this.url = this.pair.primaryUrl(this.name);
        this.direct = new DirectSql(this.url);
    }

    /**
     * The shared pair's second replica, started on first use: call it before creating databases it must have. Aborts
     * the test (skipped) where the provider has none (Testcontainers, an external pair without
     * CONTEXT_R2DBC_REPLICA2_URL); the local provider, which the build uses, always has one.
     */
    static PostgresReplica secondReplica() {
        try {
            return PostgresPair.shared().secondReplica();
        } catch (UnsupportedOperationException e) {
            Assumptions.abort(e.getMessage());
            throw e;
        }
    }

    /** A handle on this database, built with the test's settings on top of sensible test defaults. */
    Database handle(String handleName, Consumer<DatabaseBuilder> settings) {
        DatabaseBuilder builder = Database.builder(handleName).url(this.url).maxSize(10);
        settings.accept(builder);
        return builder.build();
    }

    Database handle(String handleName) {
        return handle(handleName, builder -> { });
    }

    /** Runs statements in auto-commit mode on a connection of its own. */
    void execute(String... statements) {
        this.direct.execute(statements);
    }

    /** The first column of the first row of {@code sql}, as a long. */
    long queryLong(String sql) {
        return this.direct.queryLong(sql);
    }

    /** The first column of every row of {@code sql}, as strings. */
    List<String> queryStrings(String sql) {
        return this.direct.queryStrings(sql);
    }

    /** Sessions of this database that sit idle inside a transaction (a leaked transaction). */
    long idleInTransaction() {
        return queryLong("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + this.name
                + "' AND state LIKE 'idle in transaction%'");
    }

    /** Waits (on the test thread) until no connection of {@code db} is in use; cleanup after cancel is asynchronous. */
    static void awaitNoConnectionsInUse(Database db) throws InterruptedException {
        try {
            Awaitility.await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(10))
                    .until(() -> db.connectionsInUse() == 0);
        } catch (ConditionTimeoutException stillNot) {
            // not yet after the time limit: the caller's assertion says what is wrong
        }
    }
}
