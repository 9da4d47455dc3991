package io.github.contextr2dbc.spring;

import java.time.Duration;
import java.util.List;

import io.github.contextr2dbc.Database;

/**
 * Told how each request's unit of work ended, once per unit of work (metrics use it). Implementations
 * must be fast and must not block or throw: they run on the thread that finished the unit of work.
 */
@FunctionalInterface
public interface UnitOfWorkListener {

    /** A listener that does nothing. */
    UnitOfWorkListener NONE = finished -> { };

    /**
     * A request's unit of work has finished: committed or rolled back, and every connection released.
     *
     * @param finished what happened
     */
    void finished(Finished finished);

    /** How a unit of work ended. */
    enum Outcome {

        /** Committed (the status allowed it and nothing failed). */
        COMMITTED("commit", "none"),

        /** Rolled back because of the response status (the {@link CommitPolicy} said so). */
        ROLLED_BACK_STATUS("rollback", "status"),

        /** Rolled back because the handler or the response failed. */
        ROLLED_BACK_ERROR("rollback", "error"),

        /** Rolled back because the request was cancelled (the client went away). */
        ROLLED_BACK_CANCEL("rollback", "cancel"),

        /** Rolled back because a before-commit check vetoed the commit. */
        ROLLED_BACK_VETO("rollback", "veto"),

        /** The commit itself failed (e.g. a deferred constraint); the transactions were rolled back. */
        COMMIT_FAILED("rollback", "commit-failed");

        private final String action;

        private final String reason;

        Outcome(String action, String reason) {
            this.action = action;
            this.reason = reason;
        }

        /** {@code "commit"} or {@code "rollback"}: what happened to the transactions. */
        public String action() {
            return this.action;
        }

        /** Why, as a short tag value: {@code none, status, error, cancel, veto, commit-failed}. */
        public String reason() {
            return this.reason;
        }
    }

    /**
     * The end of one unit of work.
     *
     * @param outcome committed, or rolled back and why
     * @param connected the databases whose session held a connection when the unit of work finished, in
     *     finishing order
     * @param unconnected the databases whose session was asked for but never needed a connection
     * @param duration from the start of the request to the end of the finish (an upper bound of how long
     *     any connection was held)
     */
    record Finished(Outcome outcome, List<Database> connected, List<Database> unconnected, Duration duration) {
    }
}
