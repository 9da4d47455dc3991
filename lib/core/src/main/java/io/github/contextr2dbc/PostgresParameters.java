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
                        && (i < 2 || !isIdentifierPart(sql.charAt(i - 2)));
                i = afterQuoted(sql, i, '\'', escapes);
            } else if (c == '"') {
                i = afterQuoted(sql, i, '"', false);
            } else if (c == '-' && i + 1 < length && sql.charAt(i + 1) == '-') {
                int end = sql.indexOf('\n', i);
                i = end < 0 ? length : end + 1;
            } else if (c == '/' && i + 1 < length && sql.charAt(i + 1) == '*') {
                i = afterBlockComment(sql, i);
            } else if (c == '$' && (i == 0 || !isIdentifierPart(sql.charAt(i - 1)))) {
                int digits = i + 1;
                while (digits < length && Character.isDigit(sql.charAt(digits))) {
                    digits++;
                }
                if (digits > i + 1) {
                    highest = Math.max(highest, parse(sql, i + 1, digits));
                    i = digits;
                } else {
                    i = afterDollarQuoted(sql, i);
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

    /**
     * The index after the literal or identifier opened by the quote at {@code open} (a doubled quote is one character).
     */
    private static int afterQuoted(String sql, int open, char quote, boolean backslashEscapes) {
        int length = sql.length();
        int i = open + 1;
        while (i < length) {
            char c = sql.charAt(i);
            if (backslashEscapes && c == '\\') {
                i += 2;
            } else if (c == quote) {
                if (i + 1 < length && sql.charAt(i + 1) == quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            } else {
                i++;
            }
        }
        return length;
    }

    private static int afterBlockComment(String sql, int open) {
        int length = sql.length();
        int depth = 0;
        int i = open;
        while (i < length) {
            if (sql.startsWith("/*", i)) {
                depth++;
                i += 2;
            } else if (sql.startsWith("*/", i)) {
                depth--;
                i += 2;
                if (depth == 0) {
                    return i;
                }
            } else {
                i++;
            }
        }
        return length;
    }

    /** After {@code $tag$...$tag$} starting at {@code open}; just past the {@code $} if no tag opens there. */
    private static int afterDollarQuoted(String sql, int open) {
        int length = sql.length();
        int i = open + 1;
        if (i < length && sql.charAt(i) != '$' && !isIdentifierStart(sql.charAt(i))) {
            return i;
        }
        while (i < length && sql.charAt(i) != '$') {
            if (!isIdentifierPart(sql.charAt(i)) || sql.charAt(i) == '$') {
                return open + 1;
            }
            i++;
        }
        if (i >= length) {
            return open + 1;
        }
        String tag = sql.substring(open, i + 1);
        int close = sql.indexOf(tag, i + 1);
        return close < 0 ? length : close + tag.length();
    }

    private static boolean isIdentifierStart(char c) {
        return Character.isLetter(c) || c == '_' || c > 0x7f;
    }

    private static boolean isIdentifierPart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$' || c > 0x7f;
    }
}
