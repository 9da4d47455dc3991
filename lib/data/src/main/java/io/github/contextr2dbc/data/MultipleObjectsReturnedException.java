package io.github.contextr2dbc.data;

/**
 * {@link QuerySet#get()} found more than one row where one was expected: add conditions that make the
 * row unique. The message names the entity and the conditions (never their values).
 */
public class MultipleObjectsReturnedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    MultipleObjectsReturnedException(String message) {
        super(message);
    }
}
