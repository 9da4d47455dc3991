package io.github.contextr2dbc.bench;

import io.r2dbc.spi.Readable;

/** A row of {@code bench_item}, as every variant returns it from the point read. */
public record Item(int id, String name, int price) {

    /** Maps a row of {@link Workload#READ_SQL}. */
    public static Item of(Readable row) {
        return new Item(row.get("id", Integer.class), row.get("name", String.class), row.get("price", Integer.class));
    }
}
