package io.github.contextr2dbc.spring;

import java.time.Duration;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.launcher.DirectSql;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Plain blocking SQL on a database of its own connection, for test set-up and checks from the test thread
 * (never from a reactive pipeline).
 */
public final class TestSql {

    public static final Duration TIMEOUT = DirectSql.TIMEOUT;

    private final DirectSql direct;

    public TestSql(String url) {
        this.direct = new DirectSql(url);
    }

    /** Runs statements in auto-commit mode. */
    public void execute(String... statements) {
        this.direct.execute(statements);
    }

    /** The first column of the first row of {@code sql}, as a long. */
    public long queryLong(String sql) {
        return this.direct.queryLong(sql);
    }

    /**
     * Waits (on the test thread) until no connection of {@code db} is in use; cleanup after a cancel is asynchronous.
     */
    public static void awaitNoConnectionsInUse(Database db) throws InterruptedException {
        awaitConnectionsInUse(db, 0);
    }

    /** Waits (on the test thread) until {@code count} connections of {@code db} are in use. */
    public static void awaitConnectionsInUse(Database db, int count) throws InterruptedException {
        try {
            Awaitility.await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(5))
                    .until(() -> db.connectionsInUse() == count);
        } catch (ConditionTimeoutException stillNot) {
            // not yet after the time limit: the caller's assertion says what is wrong
        }
    }
}
