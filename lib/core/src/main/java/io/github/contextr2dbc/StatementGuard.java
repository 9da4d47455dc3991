package io.github.contextr2dbc;

import org.jspecify.annotations.Nullable;

/**
 * What routing needs to know of each statement, from its SQL ({@link SqlKind}): a statement that may write is
 * refused on a replica's session, and noted on a primary's session (read-your-own-writes).
 */
final class StatementGuard {

    private StatementGuard() {
    }

    /**
     * Called when a statement's result publisher is made, before anything is sent.
     *
     * @return the error to fail the statement with, or null to run it
     */
    @Nullable
    static RuntimeException refusal(ContextSession session, String sql) {
        Database primary = session.database().replicaOf();
        if (primary != null && SqlKind.mayWrite(sql)) {
            return new ReplicaWriteRefusedException(session.database(), primary, sql);
        }
        return null;
    }

    /** Called when a statement is about to be sent on the session's connection. */
    static void sending(ContextSession session, String sql) {
        if (session.database().hasReplicas() && !session.mayHaveWritten() && SqlKind.mayWrite(sql)) {
            session.markMayHaveWritten();
        }
    }
}
