package io.github.contextr2dbc.bench;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The statements every variant runs, word for word. They are the statements Spring Data R2DBC 4.0
 * generates for {@code findById} and for {@code save} of a new entity (quoted identifiers and all), so that
 * the repository variant sends the same SQL as the others. (Spring's transaction manager opens with
 * {@code BEGIN READ WRITE}, the others with {@code BEGIN}: the same work for the server.)
 */
public final class Workload {

    /** The point read by primary key (Spring Data's {@code findById}). */
    public static final String READ_SQL =
            "SELECT \"bench_item\".* FROM \"bench_item\" WHERE \"bench_item\".\"id\" = $1 LIMIT 2";

    /** The insert, returning the generated key (Spring Data's {@code save} of a new entity). */
    public static final String INSERT_SQL =
            "INSERT INTO \"bench_insert\" (\"name\", \"price\") VALUES ($1, $2) RETURNING \"id\"";

    /** The update of the read-update-savepoint workload, in its savepoint (a nested atomic block). */
    public static final String UPDATE_SQL = "UPDATE bench_stock SET qty = qty + 1 WHERE id = $1";

    /** The rows of the filtered list (issue 17, item 5). */
    public static final int LIST_ROWS = 10;

    /**
     * The filtered list, written by hand: the rows from id {@code $1} up to (excluding) {@code $2}, in id order
     * (what the QuerySet variant's {@code filter("id__gte", from).filter("id__lt", to).orderBy("id")} asks for).
     */
    public static final String LIST_SQL =
            "SELECT id, name, price FROM bench_item WHERE id >= $1 AND id < $2 ORDER BY id";

    /** The name every inserted row gets. */
    public static final String INSERTED_NAME = "bench";

    /** The schema and the rows of a fresh benchmark database. */
    static final String[] SCHEMA = {
            "CREATE TABLE bench_item (id integer PRIMARY KEY, name text NOT NULL, price integer NOT NULL)",
            "INSERT INTO bench_item (id, name, price) SELECT i, 'item ' || i, i % 1000 FROM generate_series(1, "
                    + BenchSettings.ROWS + ") AS i",
            "CREATE TABLE bench_insert (id bigserial PRIMARY KEY, name text NOT NULL, price integer NOT NULL)",
            "CREATE TABLE bench_stock (id integer PRIMARY KEY, qty integer NOT NULL)",
            "INSERT INTO bench_stock (id, qty) SELECT i, 0 FROM generate_series(1, " + BenchSettings.ROWS + ") AS i",
            "VACUUM ANALYZE bench_item",
            "VACUUM ANALYZE bench_stock",
    };

    private Workload() {
    }

    /** A random existing id of {@code bench_item}. */
    public static int randomId() {
        return ThreadLocalRandom.current().nextInt(BenchSettings.ROWS) + 1;
    }

    /** A random first id of the filtered list, such that every one of its {@link #LIST_ROWS} rows exists. */
    public static int randomListStart() {
        return ThreadLocalRandom.current().nextInt(BenchSettings.ROWS - LIST_ROWS + 1) + 1;
    }

    /** What {@link Variant#list(int)} returns for {@code from}: the sum of the seeded prices. */
    public static long expectedListSum(int from) {
        long sum = 0;
        for (int id = from; id < from + LIST_ROWS; id++) {
            sum += id % 1000;
        }
        return sum;
    }

    /** The row {@link #READ_SQL} returns for {@code id} (what the seed inserted). */
    public static Item expected(int id) {
        return new Item(id, "item " + id, id % 1000);
    }
}
