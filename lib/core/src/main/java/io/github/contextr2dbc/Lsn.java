package io.github.contextr2dbc;

/** PostgreSQL WAL positions ({@code pg_lsn}, written {@code 16/B374D848}) as unsigned 64-bit numbers. */
final class Lsn {

    /** No position known. */
    static final long NONE = -1;

    private Lsn() {
    }

    /**
     * The position written as {@code hi/lo} in hexadecimal, as PostgreSQL prints a {@code pg_lsn}.
     *
     * @throws IllegalArgumentException if {@code text} is not such a position
     */
    static long parse(String text) {
        int slash = text == null ? -1 : text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1 || slash > 8 || text.length() - slash - 1 > 8) {
            throw new IllegalArgumentException("Not a WAL position (pg_lsn such as 16/B374D848): " + text);
        }
        try {
            long hi = Long.parseLong(text, 0, slash, 16);
            long lo = Long.parseLong(text, slash + 1, text.length(), 16);
            return (hi << 32) | lo;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Not a WAL position (pg_lsn such as 16/B374D848): " + text, e);
        }
    }

    /** The position as PostgreSQL prints it. */
    static String format(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
    }
}
