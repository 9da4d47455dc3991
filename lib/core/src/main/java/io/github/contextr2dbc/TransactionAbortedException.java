package io.github.contextr2dbc;

/**
 * A statement or a commit was refused because an earlier statement in the same transaction had failed:
 * PostgreSQL aborts a transaction at its first error, so nothing more can run in it and nothing of it can
 * be kept. A refused commit has rolled the transaction back. The cause is the earlier statement's error.
 */
public class TransactionAbortedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /** A statement refused because an earlier one aborted the transaction. */
    static TransactionAbortedException statementRefused(String database, boolean inBlock, Throwable cause) {
        return new TransactionAbortedException("An earlier statement failed on database '" + database + "', and "
                + "PostgreSQL aborted the transaction: no statement can run in it until "
                + (inBlock ? "the atomic block ends and rolls back (to its savepoint). Let the error propagate out of "
                        + "the block, or run the failing statement in a nested atomic block to be able to go on."
                        : "it is rolled back (DbSession.rollback()).")
                + " Earlier error: " + cause, cause);
    }

    private TransactionAbortedException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A commit refused because an earlier error aborted the transaction (or it was marked rollback-only). */
    static TransactionAbortedException commitRefused(String database, Throwable cause) {
        return new TransactionAbortedException("The transaction on database '" + database + "' was aborted by an "
                + "earlier error and has been rolled back; nothing of it was committed. Let that error propagate "
                + "(or run the failing statement in a savepoint) instead of swallowing it. Earlier error: " + cause,
                cause);
    }
}
