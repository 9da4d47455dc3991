package io.github.contextr2dbc.data;

/**
 * The result of {@link QuerySet#getOrCreate} and {@link QuerySet#updateOrCreate}: the object, and whether
 * this call inserted it.
 *
 * @param object the found, updated or created object, as read back from the database
 * @param created true if this call inserted the row, false if it existed
 * @param <T> the entity type
 */
public record Created<T>(T object, boolean created) {
}
