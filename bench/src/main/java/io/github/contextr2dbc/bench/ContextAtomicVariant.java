package io.github.contextr2dbc.bench;

import io.github.contextr2dbc.Database;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.Atomic.atomic;
import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;

/**
 * context-r2dbc with a Django-style atomic block: each unit of work is
 * {@code inNewUnitOfWork(atomic(db).wrap(dbSession(db).flatMap(statement)))}, the outermost block, which
 * sends {@code BEGIN} with its first statement and commits when the block completes; the unit of work then
 * finds nothing left to commit and closes. Same database handle settings, hence the same pool, as
 * {@link ContextVariant}.
 */
final class ContextAtomicVariant extends ContextVariant {

    /** The variant on {@code db} (built with {@link BenchSettings#database}), which it closes. */
    ContextAtomicVariant(Database db) {
        super(db);
    }

    @Override
    public Mono<Item> read(int id) {
        return inNewUnitOfWork(atomic(this.db).wrap(readStatement(id)));
    }

    @Override
    public Mono<Long> insert(String name, int price) {
        return inNewUnitOfWork(atomic(this.db).wrap(insertStatement(name, price)));
    }

    /** The outermost block reads, then a nested block (a savepoint) updates. */
    @Override
    public Mono<Item> readUpdateSavepoint(int id) {
        return inNewUnitOfWork(atomic(this.db).wrap(readStatement(id).flatMap(item -> atomic(this.db)
                .wrap(dbSession(this.db).flatMap(session -> session.sql(Workload.UPDATE_SQL).bind(0, id).execute()))
                .thenReturn(item))));
    }

    /** A block that asks for the session and runs no statement: it opens nothing. */
    @Override
    public Mono<Integer> empty(int value) {
        return inNewUnitOfWork(atomic(this.db).wrap(dbSession(this.db).map(session -> value)));
    }
}
