package io.github.contextr2dbc.bench.server;

import org.springframework.data.repository.reactive.ReactiveCrudRepository;

/** The Spring Data R2DBC repository of {@code bench_item}. */
public interface ItemRows extends ReactiveCrudRepository<ItemRow, Integer> {
}
