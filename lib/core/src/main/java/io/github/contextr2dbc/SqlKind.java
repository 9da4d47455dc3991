package io.github.contextr2dbc;

/**
 * Tells, from the SQL text alone and before anything is sent, whether a statement may write. Used to refuse
 * writes on replica sessions and to note that a primary session may have written (read-your-own-writes).
 *
 * <p>The rule, per statement of the text (statements are separated by {@code ;}):
 * <ul>
 *   <li>a statement starting with {@code SELECT}, {@code WITH}, {@code VALUES}, {@code TABLE}, {@code SHOW},
 *       {@code EXPLAIN}, {@code DECLARE}, {@code FETCH}, {@code MOVE}, {@code CLOSE}, {@code PREPARE},
 *       {@code SET}, {@code RESET}, {@code DISCARD}, {@code DEALLOCATE} or a transaction
 *       command ({@code BEGIN}, {@code START}, {@code COMMIT}, {@code END}, {@code ROLLBACK}, {@code ABORT},
 *       {@code SAVEPOINT}, {@code RELEASE}) reads, unless one of its words (outside string literals, quoted
 *       identifiers and comments) is {@code INSERT}, {@code UPDATE}, {@code DELETE}, {@code MERGE},
 *       {@code TRUNCATE} or {@code INTO} (a data-modifying {@code WITH}, {@code SELECT ... INTO}), or it takes
 *       row locks ({@code FOR UPDATE}, {@code FOR NO KEY UPDATE}, {@code FOR SHARE}, {@code FOR KEY SHARE},
 *       which a standby refuses);</li>
 *   <li>any other statement ({@code INSERT}, {@code UPDATE}, {@code DELETE}, DDL, {@code COPY}, {@code CALL},
 *       {@code DO}, {@code EXECUTE} of a prepared statement, {@code LOCK}, ...) may write.</li>
 * </ul>
 * A function with side effects called from a {@code SELECT} is not seen: on a replica the server refuses it
 * ({@code READ ONLY}, SQLSTATE 25006); on a primary, route the reads that must see it to the primary.
 * An unquoted column named like one of the words above makes a read look like a write: quote it.
 */
final class SqlKind {

    private static final String[] READ_STARTS = {"SELECT", "WITH", "VALUES", "TABLE", "SHOW", "EXPLAIN", "DECLARE",
        "FETCH", "MOVE", "CLOSE", "PREPARE", "SET", "RESET", "DISCARD", "DEALLOCATE", "BEGIN", "START",
        "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE"};

    private static final String[] WRITE_WORDS = {"INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "INTO"};

    private static final String[] LOCK_WORDS = {"UPDATE", "SHARE", "NO", "KEY"};

    private SqlKind() {
    }

    /** Whether {@code sql} may write (see the rule above). */
    static boolean mayWrite(String sql) {
        int n = sql.length();
        int i = 0;
        boolean statementStart = true;
        boolean afterFor = false;
        while (i < n) {
            char c = sql.charAt(i);
            if (Character.isWhitespace(c) || c == '(' || c == ')') {
                i++;
            } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                i = SqlLexemes.afterLineComment(sql, i);
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                i = SqlLexemes.afterBlockComment(sql, i);
            } else if (c == ';') {
                statementStart = true;
                afterFor = false;
                i++;
            } else if (c == '\'') {
                i = SqlLexemes.afterQuoted(sql, i, '\'', false);
            } else if (c == '"') {
                i = SqlLexemes.afterQuoted(sql, i, '"', false);
            } else if (c == '$') {
                i = SqlLexemes.afterDollarQuoted(sql, i);
            } else if (Character.isLetter(c) || c == '_') {
                int start = i;
                while (i < n && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_'
                        || sql.charAt(i) == '$')) {
                    i++;
                }
                if (i < n && sql.charAt(i) == '\'' && i - start == 1 && (c == 'E' || c == 'e')) {
                    i = SqlLexemes.afterQuoted(sql, i, '\'', true);
                    continue;
                }
                if (statementStart) {
                    statementStart = false;
                    if (!isOneOf(sql, start, i, READ_STARTS)) {
                        return true;
                    }
                } else if (isOneOf(sql, start, i, WRITE_WORDS) || afterFor && isOneOf(sql, start, i, LOCK_WORDS)) {
                    return true;
                }
                afterFor = i - start == 3 && sql.regionMatches(true, start, "FOR", 0, 3);
            } else {
                if (statementStart && !Character.isDigit(c)) {
                    // not a statement we know how to read (a psql command, garbage): assume the worst
                    return true;
                }
                afterFor = false;
                i++;
            }
        }
        return false;
    }

    private static boolean isOneOf(String sql, int start, int end, String[] words) {
        int length = end - start;
        for (String word : words) {
            if (word.length() == length && sql.regionMatches(true, start, word, 0, length)) {
                return true;
            }
        }
        return false;
    }
}
