package io.github.contextr2dbc.bench.server;

import org.springframework.data.annotation.Id;
import org.springframework.data.relational.core.mapping.Table;

/** A row of {@code bench_item}, the entity of {@link ItemRows}. */
@Table("bench_item")
public record ItemRow(@Id Integer id, String name, Integer price) {
}
