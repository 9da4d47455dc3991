package io.github.contextr2dbc.spring.webapp;

import org.jspecify.annotations.Nullable;
import org.springframework.data.annotation.Id;
import org.springframework.data.relational.core.mapping.Table;

/** A row of table {@code item}, for Spring Data R2DBC. */
@Table("item")
public record Item(@Id @Nullable Long id, String name) {
}
