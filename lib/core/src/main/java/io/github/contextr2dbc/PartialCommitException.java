package io.github.contextr2dbc;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Committing a unit of work's databases failed after some of them had committed. There is no atomicity
 * across databases: the ones in {@link #committed()} keep their changes, the ones in
 * {@link #notCommitted()} were rolled back. The cause is the commit that failed; failures while rolling
 * back the rest are suppressed into this exception.
 */
public class PartialCommitException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient List<Database> committed;

    private final transient List<Database> notCommitted;

    PartialCommitException(List<Database> committed, List<Database> notCommitted, Throwable cause) {
        super("Committed " + names(committed) + "; NOT committed (rolled back): " + names(notCommitted)
                + ". The commit of " + notCommitted.get(0).name() + " failed: " + cause, cause);
        this.committed = List.copyOf(committed);
        this.notCommitted = List.copyOf(notCommitted);
    }

    /** The databases that committed, in commit order. */
    public List<Database> committed() {
        return this.committed;
    }

    /** The databases that did not commit: the one whose commit failed first, then the rest. */
    public List<Database> notCommitted() {
        return this.notCommitted;
    }

    private static String names(List<Database> databases) {
        return databases.stream().map(Database::name).collect(Collectors.joining(", ", "[", "]"));
    }
}
