package io.github.contextr2dbc;

/**
 * A transaction could not be committed because a statement in it had failed: PostgreSQL aborts a
 * transaction on its first error, so nothing of it can be kept. The transaction was rolled back; the
 * cause is the statement's error.
 */
public class TransactionAbortedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    TransactionAbortedException(String database, Throwable cause) {
        super("The transaction on database '" + database + "' was aborted by an earlier error and has been rolled "
                + "back; nothing of it was committed. Let that error propagate (or run the failing statement in a "
                + "savepoint) instead of swallowing it. Earlier error: " + cause, cause);
    }
}
