package io.github.contextr2dbc;

/**
 * Where the parts of PostgreSQL statement text that are not SQL words end: string literals
 * ({@code '...'}, {@code E'...'}), quoted identifiers ({@code "..."}), dollar-quoted strings
 * ({@code $tag$...$tag$}) and comments ({@code -- ...}, nested {@code /* ... *}{@code /}). Shared by the
 * statement scanners that must not look inside them ({@link PostgresParameters}, {@link SqlKind}).
 */
final class SqlLexemes {

    private SqlLexemes() {
    }

    /** The index after the literal or identifier opened by the quote at {@code open} (a doubled quote is one). */
    static int afterQuoted(String sql, int open, char quote, boolean backslashEscapes) {
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

    /** The index after the {@code --} comment starting at {@code open} (its line). */
    static int afterLineComment(String sql, int open) {
        int end = sql.indexOf('\n', open);
        return end < 0 ? sql.length() : end + 1;
    }

    /** The index after the block comment opened at {@code open}; block comments nest. */
    static int afterBlockComment(String sql, int open) {
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
    static int afterDollarQuoted(String sql, int open) {
        int length = sql.length();
        int i = open + 1;
        if (i < length && sql.charAt(i) != '$' && !isIdentifierStart(sql.charAt(i))) {
            return i;
        }
        while (i < length && sql.charAt(i) != '$') {
            if (!isIdentifierPart(sql.charAt(i))) {
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

    static boolean isIdentifierStart(char c) {
        return Character.isLetter(c) || c == '_' || c > 0x7f;
    }

    static boolean isIdentifierPart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$' || c > 0x7f;
    }
}
