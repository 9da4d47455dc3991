package io.github.contextr2dbc.data;

import java.util.List;

import reactor.core.publisher.Mono;

/**
 * One page of a list: its rows and where it sits in the whole.
 *
 * @param data the rows of this page
 * @param meta the page's position and the total
 * @param <T> the row type
 */
public record Page<T>(List<T> data, Meta meta) {

    /**
     * Where a page sits.
     *
     * @param offset rows skipped before this page
     * @param limit the page size asked for
     * @param totalItems rows in the whole list
     * @param totalPages pages of {@code limit} rows in the whole list
     * @param pageNumber this page's number, from 1 ({@code offset / limit + 1})
     */
    public record Meta(long offset, int limit, long totalItems, long totalPages, long pageNumber) {
    }

    /** Copies {@code data}. */
    public Page {
        data = List.copyOf(data);
    }

    /**
     * The page of {@code querySet} ({@code limit} rows from {@code offset}) with the total count of
     * {@code querySet}, read with two statements one after the other.
     *
     * @return a cold {@link Mono} of the page; error: either statement's error
     * @throws IllegalArgumentException if {@code offset} is negative or {@code limit} is not positive
     */
    public static <T> Mono<Page<T>> of(QuerySet<T> querySet, long offset, int limit) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative, got " + offset);
        }
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive, got " + limit);
        }
        return querySet.offset(offset).limit(limit).all().collectList()
                .flatMap(rows -> querySet.count().map(total -> new Page<>(rows, new Meta(offset, limit, total,
                        (total + limit - 1) / limit, offset / limit + 1))));
    }
}
