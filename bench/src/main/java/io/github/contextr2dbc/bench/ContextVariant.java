package io.github.contextr2dbc.bench;

import java.time.Duration;

import io.github.contextr2dbc.Database;
import io.r2dbc.pool.PoolMetrics;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;

/**
 * context-r2dbc: each unit of work is {@code UnitOfWork.inNewUnitOfWork(...)} (create, bind into the
 * Context, run, commit, close), and the work asks {@code dbSession(db)} for its session, which acquires
 * and sends {@code BEGIN} with the first statement.
 *
 * <p>The work itself ({@link #readStatement(int)}, {@link #insertStatement(String, int)}) runs in whatever
 * unit of work the Context holds: here the one {@code inNewUnitOfWork} opens, in {@link WebRoutes} the
 * request's, opened by the WebFilter.
 */
class ContextVariant implements Variant {

    final Database db;

    /** The variant on {@code db} (built with {@link BenchSettings#database}), which it closes. */
    ContextVariant(Database db) {
        this.db = db;
    }

    @Override
    public Mono<Item> read(int id) {
        return inNewUnitOfWork(readStatement(id));
    }

    @Override
    public Mono<Long> insert(String name, int price) {
        return inNewUnitOfWork(insertStatement(name, price));
    }

    /** The filtered list, hand-written on the session: {@link Workload#LIST_SQL}. */
    @Override
    public Mono<Long> list(int from) {
        return inNewUnitOfWork(dbSession(this.db).flatMap(session -> session.sql(Workload.LIST_SQL)
                .bind(0, from)
                .bind(1, from + Workload.LIST_ROWS)
                .map(row -> (long) row.get(2, Integer.class))
                .reduce(0L, Long::sum)));
    }

    /** Asks for the session, as a request handler that might need it would, and runs no statement. */
    @Override
    public Mono<Integer> empty(int value) {
        return inNewUnitOfWork(dbSession(this.db).map(session -> value));
    }

    /** The point read on the session of the unit of work in the Context. */
    final Mono<Item> readStatement(int id) {
        return dbSession(this.db).flatMap(session -> session.sql(Workload.READ_SQL)
                .bind(0, id)
                .one(Item::of));
    }

    /** The insert on the session of the unit of work in the Context: the generated id. */
    final Mono<Long> insertStatement(String name, int price) {
        return dbSession(this.db).flatMap(session -> session.sql(Workload.INSERT_SQL)
                .bind(0, name)
                .bind(1, price)
                .one(row -> row.get(0, Long.class)));
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
