package io.github.contextr2dbc;

/**
 * A statement that may write was about to run on a replica's session and was refused before it reached the
 * server (see {@link DatabaseBuilder#replicaOf(Database)} and {@link Routing}).
 */
public class ReplicaWriteRefusedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    ReplicaWriteRefusedException(Database replica, Database primary, String sql) {
        super("Refused on replica '" + replica.name() + "' of '" + primary.name() + "' before reaching the server: "
                + "this statement may write (" + abbreviated(sql) + "). Run writes on the primary: "
                + "routing.writeSession(hint) or dbSession(" + primary.name() + "Database). If it only reads, quote "
                + "a column named INSERT, UPDATE, DELETE, MERGE, TRUNCATE, INTO, SHARE or KEY.");
    }

    private static String abbreviated(String sql) {
        String oneLine = sql.strip().replaceAll("\\s+", " ");
        return oneLine.length() <= 80 ? oneLine : oneLine.substring(0, 77) + "...";
    }
}
