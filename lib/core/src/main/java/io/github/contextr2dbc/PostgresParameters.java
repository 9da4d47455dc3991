package io.github.contextr2dbc;

/**
 * Counts the parameters of a PostgreSQL statement, so that the session-aware ConnectionFactory's
 * statements can check their bindings when they are made, before any connection exists.
 *
 * <p>A parameter is a {@code $n} placeholder outside string literals ({@code '...'}, {@code E'...'}),
 * quoted identifiers ({@code "..."}), dollar-quoted strings ({@code $tag$...$tag$}) and comments
 * ({@code -- ...}, nested {@code /* ... *}{@code /}); a {@code $} inside an identifier ({@code a$1}) is
 * not one. The count is the highest {@code n}, as the server counts a statement's parameters.
 */
final class PostgresParameters {

    private PostgresParameters() {
    }

    /** The highest {@code $n} placeholder of {@code sql}, or 0 if it has none. */
    static int count(String sql) {
        int highest = 0;
        int length = sql.length();
        int i = 0;
        while (i < length) {
            char c = sql.charAt(i);
            if (c == '\'') {
                boolean escapes = i > 0 && (sql.charAt(i - 1) == 'E' || sql.charAt(i - 1) == 'e')
                        && (i < 2 || !SqlLexemes.isIdentifierPart(sql.charAt(i - 2)));
                i = SqlLexemes.afterQuoted(sql, i, '\'', escapes);
            } else if (c == '"') {
                i = SqlLexemes.afterQuoted(sql, i, '"', false);
            } else if (c == '-' && i + 1 < length && sql.charAt(i + 1) == '-') {
                i = SqlLexemes.afterLineComment(sql, i);
            } else if (c == '/' && i + 1 < length && sql.charAt(i + 1) == '*') {
                i = SqlLexemes.afterBlockComment(sql, i);
            } else if (c == '$' && (i == 0 || !SqlLexemes.isIdentifierPart(sql.charAt(i - 1)))) {
                int digits = i + 1;
                while (digits < length && Character.isDigit(sql.charAt(digits))) {
                    digits++;
                }
                if (digits > i + 1) {
                    highest = Math.max(highest, parse(sql, i + 1, digits));
                    i = digits;
                } else {
                    i = SqlLexemes.afterDollarQuoted(sql, i);
                }
            } else {
                i++;
            }
        }
        return highest;
    }

    private static int parse(String sql, int from, int to) {
        try {
            return Integer.parseInt(sql, from, to, 10);
        } catch (NumberFormatException tooLarge) {
            return Integer.MAX_VALUE;
        }
    }
}
