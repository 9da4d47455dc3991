package io.github.contextr2dbc.example;

import java.time.OffsetDateTime;

import org.springframework.data.annotation.Id;
import org.springframework.data.annotation.ReadOnlyProperty;
import org.springframework.data.relational.core.mapping.Table;

/**
 * A row of table {@code item} (created by the Flyway migration {@code V1__create_item.sql}); {@code createdAt} is
 * set by the database.
 */
@Table("item")
record Item(@Id Long id, String name, @ReadOnlyProperty OffsetDateTime createdAt) {

    static Item named(String name) {
        return new Item(null, name, null);
    }
}
