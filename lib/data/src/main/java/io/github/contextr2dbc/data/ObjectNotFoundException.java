package io.github.contextr2dbc.data;

import java.util.NoSuchElementException;

/**
 * {@link QuerySet#get()} or {@link Repository#get(Object)} found no row. The message names the entity and
 * the conditions (never their values).
 */
public class ObjectNotFoundException extends NoSuchElementException {

    private static final long serialVersionUID = 1L;

    ObjectNotFoundException(String message) {
        super(message);
    }
}
