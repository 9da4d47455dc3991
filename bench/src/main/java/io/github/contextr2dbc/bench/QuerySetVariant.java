package io.github.contextr2dbc.bench;

import java.time.Duration;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.data.QuerySet;
import io.github.contextr2dbc.data.Repository;
import io.r2dbc.pool.PoolMetrics;
import org.springframework.data.annotation.Id;
import org.springframework.data.relational.core.mapping.Table;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;

/**
 * context-r2dbc's QuerySets ({@code lib/data}): each unit of work is {@code UnitOfWork.inNewUnitOfWork(...)}
 * around a repository call, as an application using repositories writes it: the point read is
 * {@code items.get(id)} ({@code objects().filter("id", id).get()}), the insert {@code inserts.create(row)}
 * ({@code INSERT ... RETURNING}), the filtered list {@code objects().filter("id__gte", from).filter("id__lt",
 * from + 10).orderBy("id").all()}. The SQL is the QuerySet's own (its columns listed, not {@code *}); the
 * transaction, pool and settings are {@link ContextVariant}'s. Only the public API of {@code lib/data} is used.
 */
final class QuerySetVariant implements Variant {

    /** {@code bench_item} as an entity. */
    @Table("bench_item")
    public record ItemRow(@Id Integer id, String name, Integer price) {

        Item toItem() {
            return new Item(this.id, this.name, this.price);
        }
    }

    /** {@code bench_insert} as an entity (the id generated). */
    @Table("bench_insert")
    public record InsertRow(@Id Long id, String name, Integer price) {
    }

    private final Database db;

    private final Repository<ItemRow, Integer> items;

    private final Repository<InsertRow, Long> inserts;

    /** The variant on {@code db} (built with {@link BenchSettings#database}), which it closes. */
    QuerySetVariant(Database db) {
        this.db = db;
        this.items = Repository.of(db, ItemRow.class);
        this.inserts = Repository.of(db, InsertRow.class);
    }

    @Override
    public Mono<Item> read(int id) {
        return inNewUnitOfWork(this.items.get(id)).map(ItemRow::toItem);
    }

    @Override
    public Mono<Long> insert(String name, int price) {
        return inNewUnitOfWork(this.inserts.create(new InsertRow(null, name, price))).map(InsertRow::id);
    }

    /** The filtered list through a QuerySet: the rows' prices summed (every row read and mapped). */
    @Override
    public Mono<Long> list(int from) {
        QuerySet<ItemRow> rows = this.items.objects().filter("id__gte", from)
                .filter("id__lt", from + Workload.LIST_ROWS)
                .orderBy("id");
        return inNewUnitOfWork(rows.all().map(row -> (long) row.price()).reduce(0L, Long::sum));
    }

    /** Asks for the session and runs nothing, like {@link ContextVariant#empty(int)} (lazy: opens nothing). */
    @Override
    public Mono<Integer> empty(int value) {
        return inNewUnitOfWork(dbSession(this.db).map(session -> value));
    }

    @Override
    public long acquisitions() {
        return this.db.acquisitions();
    }

    @Override
    public PoolMetrics poolMetrics() {
        return this.db.poolMetrics().orElseThrow(() -> new IllegalStateException("The pool was never used"));
    }

    @Override
    public void close() {
        this.db.close().block(Duration.ofSeconds(30));
    }
}
