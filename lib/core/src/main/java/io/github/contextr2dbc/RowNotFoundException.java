package io.github.contextr2dbc;

import java.util.NoSuchElementException;

/**
 * A statement that must find exactly one row ({@link SqlStatement#single(java.util.function.Function)})
 * found none. The message names the statement, never its bound values. The Spring layer answers it with
 * 404.
 */
public class RowNotFoundException extends NoSuchElementException {

    private static final long serialVersionUID = 1L;

    RowNotFoundException(String sql) {
        super("No row found by: " + sql);
    }
}
