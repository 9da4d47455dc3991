package io.github.contextr2dbc.test;

import java.util.ArrayList;
import java.util.List;

import io.github.contextr2dbc.Database;

/**
 * What {@link RollbackPerTest} does around one test, for code that is not a JUnit 5 test (another test
 * framework, a benchmark): {@link #begin(Database...)} pins one connection per database in a transaction,
 * and every unit of work runs on it on savepoints until {@link #close()} rolls everything back. Both wait on
 * the calling thread: call them from a test's thread, never from an event loop.
 *
 * <pre>{@code
 * try (TestTransaction transaction = TestTransaction.begin(db)) {
 *     service.create("pen").contextWrite(...).block();
 * }
 * }</pre>
 */
public final class TestTransaction implements AutoCloseable {

    private final RollbackPerTestExtension.State state;

    private TestTransaction(RollbackPerTestExtension.State state) {
        this.state = state;
    }

    /**
     * Pins {@code primaries} (each in a transaction of its own, on one connection) with the default settings.
     *
     * @throws IllegalStateException if a database is already pinned, or no connection could be had
     */
    public static TestTransaction begin(Database... primaries) {
        List<PinTarget> targets = new ArrayList<>();
        for (Database database : primaries) {
            targets.add(new PinTarget(database, null));
        }
        RollbackPerTestExtension.State state = new RollbackPerTestExtension.State("TestTransaction", targets, null);
        RollbackPerTestExtension.claim(state);
        try {
            RollbackPerTestExtension.pin(state, RollbackPerTestExtension.Defaults.SETTINGS);
        } catch (RuntimeException e) {
            RollbackPerTestExtension.finish(state);
            throw e;
        }
        return new TestTransaction(state);
    }

    /**
     * Rolls everything back and gives the connections back to the pools.
     *
     * @throws AssertionError if a unit of work still held a connection (it was rolled back all the same)
     */
    @Override
    public void close() {
        List<String> problems = RollbackPerTestExtension.finish(this.state);
        if (!problems.isEmpty()) {
            throw new AssertionError("TestTransaction: " + String.join("; ", problems));
        }
    }
}
