package io.github.contextr2dbc.data;

import io.github.contextr2dbc.Database;
import org.jspecify.annotations.Nullable;

/**
 * The one place that picks the database a query set's statement runs on. Reads (plain selects, counts,
 * exists, values, aggregates) default to the repository's database; writes (insert, update, delete, and
 * selects that lock rows) go to the repository's database as the primary; {@code using(db)} overrides both.
 *
 * <p>Replica routing plugs in here: {@link #forRead} is where a routed choice (replica for reads in a GET
 * request, the primary after a write in the same unit of work) replaces the repository's database.
 */
final class DatabaseChoice {

    private DatabaseChoice() {
    }

    /** The database a read runs on. */
    static Database forRead(Database repositoryDatabase, @Nullable Database using) {
        return using != null ? using : repositoryDatabase;
    }

    /** The database a write (or a locking read) runs on. */
    static Database forWrite(Database primary, @Nullable Database using) {
        return using != null ? using : primary;
    }
}
