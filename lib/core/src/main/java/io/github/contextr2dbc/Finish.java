package io.github.contextr2dbc;

/**
 * How a session is {@linkplain ContextSession#finish(Finish) finished}: what happens to its open
 * transaction, and whether its unit of work ends with it (the session then refuses to acquire a connection
 * again). The connection is released in every case.
 */
enum Finish {

    /** Commit the open transaction (or roll it back if it cannot commit), release the connection. */
    COMMIT(true, false),

    /** Roll back the open transaction, release the connection. */
    ROLLBACK(false, false),

    /** {@link #COMMIT}, and end the session (its unit of work or {@code inSession} run is over). */
    COMMIT_AND_END(true, true),

    /** {@link #ROLLBACK}, and end the session (its unit of work or {@code inSession} run is over). */
    ROLLBACK_AND_END(false, true);

    private final boolean commits;

    private final boolean ends;

    Finish(boolean commits, boolean ends) {
        this.commits = commits;
        this.ends = ends;
    }

    boolean commits() {
        return this.commits;
    }

    boolean ends() {
        return this.ends;
    }
}
