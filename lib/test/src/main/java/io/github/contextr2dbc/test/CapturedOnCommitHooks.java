package io.github.contextr2dbc.test;

import java.util.ArrayList;
import java.util.List;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.UnitOfWork;
import reactor.core.publisher.Mono;

/**
 * Captures the on-commit hooks of databases instead of running them, to run them on demand (as Django's
 * {@code captureOnCommitCallbacks}). Only the hooks of transactions that commit are captured (a hook whose
 * savepoint or transaction rolls back is dropped, as it would be in production), when they would have run.
 * Under {@link RollbackPerTest} a simulated commit counts as a commit; without capture, hooks run at that
 * simulated commit, as in production.
 *
 * <pre>{@code
 * try (CapturedOnCommitHooks hooks = CapturedOnCommitHooks.capture(db)) {
 *     client.post().uri("/api/orders").bodyValue(order).exchange().expectStatus().isCreated();
 *     assertThat(hooks.count()).isEqualTo(1);
 *     hooks.run().block();
 * }
 * }</pre>
 *
 * <p>Capture ends with {@link #close()} (and, under {@link RollbackPerTest}, when the test ends). Whether a
 * hook was registered robust is not kept: {@link #run()} stops at the first failure.
 */
public final class CapturedOnCommitHooks implements AutoCloseable {

    private final List<Database> databases;

    private final List<Mono<Void>> captured = new ArrayList<>();

    private CapturedOnCommitHooks(List<Database> databases) {
        this.databases = databases;
    }

    /**
     * Starts capturing the on-commit hooks of {@code databases} registered from now on.
     *
     * @throws IllegalArgumentException if no database is given
     */
    public static CapturedOnCommitHooks capture(Database... databases) {
        if (databases.length == 0) {
            throw new IllegalArgumentException("capture(...) needs the databases whose hooks to capture");
        }
        CapturedOnCommitHooks hooks = new CapturedOnCommitHooks(List.of(databases));
        for (Database database : databases) {
            database.onCommitHooks(hook -> Mono.fromRunnable(() -> hooks.add(hook)));
        }
        return hooks;
    }

    /** How many hooks were captured and not run yet. */
    public int count() {
        synchronized (this.captured) {
            return this.captured.size();
        }
    }

    /**
     * Runs the captured hooks in the order they were captured, each in a unit of work of its own (as the
     * core runs them), and then the hooks those captured in turn, until none is left.
     *
     * @return a cold {@link Mono}: complete once every hook ran; error: the first hook's failure (the hooks
     * after it are kept); cancel: stops after the running hook
     */
    public Mono<Void> run() {
        return Mono.defer(() -> {
            Mono<Void> next;
            synchronized (this.captured) {
                if (this.captured.isEmpty()) {
                    return Mono.empty();
                }
                next = this.captured.remove(0);
            }
            return UnitOfWork.inNewUnitOfWork(next).then(run());
        });
    }

    /** Stops capturing: hooks registered from now on run at commit again. Captured hooks are dropped. */
    @Override
    public void close() {
        for (Database database : this.databases) {
            database.onCommitHooks(null);
        }
        synchronized (this.captured) {
            this.captured.clear();
        }
    }

    private void add(Mono<Void> hook) {
        synchronized (this.captured) {
            this.captured.add(hook);
        }
    }

    @Override
    public String toString() {
        List<String> names = new ArrayList<>();
        for (Database database : this.databases) {
            names.add(database.name());
        }
        return "CapturedOnCommitHooks" + names + "{" + count() + " captured}";
    }
}
