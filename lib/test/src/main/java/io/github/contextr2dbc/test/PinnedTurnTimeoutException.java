package io.github.contextr2dbc.test;

import java.time.Duration;

/**
 * A unit of work waited longer than the turn timeout for the one connection its database is pinned to
 * during a {@link RollbackPerTest} test.
 */
public final class PinnedTurnTimeoutException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    PinnedTurnTimeoutException(String databaseName, Duration waited) {
        super("Database '" + databaseName + "' is pinned to one connection for this test (@RollbackPerTest), and "
                + "this unit of work waited " + waited.toMillis() + " ms for its turn on it: the units of work of a "
                + "test take that connection in turn, each from its first statement until it ends, and another "
                + "one held it all that time. If this one was started inside that one (UnitOfWork.inNewUnitOfWork, "
                + "or a request sent from inside a unit of work), each waits for the other: end the outer unit of "
                + "work before starting this one, or mark the test @CommitAndCleanUp so that each unit of work has "
                + "a connection of its own. If the other one is merely slow, raise "
                + "@RollbackPerTest(turnTimeoutMillis = ...)");
    }
}
