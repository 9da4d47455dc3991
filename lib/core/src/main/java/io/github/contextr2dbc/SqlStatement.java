package io.github.contextr2dbc;

import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.RowMetadata;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One SQL statement of a {@link DbSession}, with its bound parameters. Values are always bound, never
 * concatenated into the SQL. A statement is run by one of its reading methods; every run is a new
 * execution, lazily, when the returned publisher is subscribed.
 *
 * <p>Not thread-safe while binding; the publishers it returns are.
 */
public interface SqlStatement {

    /**
     * Binds {@code value} to the parameter at {@code index} (0-based: index 0 is {@code $1}).
     *
     * @throws IllegalArgumentException if {@code value} is null (use {@link #bindNull(int, Class)}) or
     * {@code index} is negative
     */
    SqlStatement bind(int index, Object value);

    /**
     * Binds {@code value} to the parameter named {@code name} (as the driver names it; for PostgreSQL
     * {@code "$1"}).
     *
     * @throws IllegalArgumentException if {@code name} or {@code value} is null
     */
    SqlStatement bind(String name, Object value);

    /** Binds SQL {@code NULL} of {@code type} to the parameter at {@code index}. */
    SqlStatement bindNull(int index, Class<?> type);

    /** Binds SQL {@code NULL} of {@code type} to the parameter named {@code name}. */
    SqlStatement bindNull(String name, Class<?> type);

    /**
     * Runs the statement and maps each row. {@code mapper} runs while the row is read: it must not block
     * or run statements; it must not return null.
     *
     * @return a cold {@link Flux} of mapped rows: complete once every row is read; error: the statement
     * or {@code mapper} failed; cancel: stops reading, the session moves on to its next statement
     */
    <T> Flux<T> map(Function<? super Readable, ? extends T> mapper);

    /** Like {@link #map(Function)}, with the row's metadata. */
    <T> Flux<T> map(BiFunction<? super Row, ? super RowMetadata, ? extends T> mapper);

    /**
     * Runs the statement and reads each row as a map of column name to value, in column order.
     *
     * @return as {@link #map(Function)}
     */
    Flux<Map<String, Object>> rows();

    /**
     * Runs the statement and reads the first row, discarding the rest.
     *
     * @return a cold {@link Mono}: the mapped first row, or empty if there is none; error and cancel as
     * {@link #map(Function)}
     */
    <T> Mono<T> one(Function<? super Readable, ? extends T> mapper);

    /**
     * Runs the statement and reads its one row.
     *
     * @return a cold {@link Mono} of the mapped row; error: {@link RowNotFoundException} if there is no row,
     * {@link IllegalStateException} if there is more than one, or as {@link #map(Function)}; cancel as
     * {@link #map(Function)}
     */
    <T> Mono<T> single(Function<? super Readable, ? extends T> mapper);

    /**
     * Runs the statement and counts the rows it changed.
     *
     * @return a cold {@link Mono} of the count (0 for statements that change no rows): error: the
     * statement failed; cancel: stops reading
     */
    Mono<Long> rowsUpdated();

    /**
     * Runs the statement for its effect.
     *
     * @return a cold {@link Mono} completing when it has run; error and cancel as {@link #rowsUpdated()}
     */
    Mono<Void> execute();
}
