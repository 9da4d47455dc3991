package io.github.contextr2dbc.data;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.DbSession;
import io.github.contextr2dbc.Routing;
import io.github.contextr2dbc.RoutingHint;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * The one place that picks where a repository's statements run.
 *
 * <ul>
 *   <li>Without routing: reads and writes on the repository's database, or on the one given with
 *       {@code using(db)}.</li>
 *   <li>With routing (a repository built on a {@link Routing}): reads (plain selects, counts, exists, values,
 *       aggregates) through {@link Routing#readSession(RoutingHint)} with the entity type as the hint — a
 *       replica in GET requests, the primary after a write in the same unit of work, and so on; writes and
 *       locking reads through {@link Routing#writeSession(RoutingHint)}; {@code using(db)} is passed on as the
 *       hint's override.</li>
 *   <li>Outside any unit of work: on a connection of the chosen database's session-aware connection factory
 *       (auto-commit when the database allows it).</li>
 * </ul>
 */
final class DatabaseChoice {

    /**
     * Where one statement runs: in a unit of work, the session {@code routed} gives, or (null: no routing) the
     * unit of work's session for {@code database}; with no unit of work, on {@code database}.
     */
    record Where(@Nullable Mono<DbSession> routed, Database database) {
    }

    private final Database database;

    private final @Nullable Routing routing;

    private final RoutingHint hint;

    /** {@link #database} without routing: the same for every statement. */
    private final Where fixed;

    DatabaseChoice(Database database, @Nullable Routing routing, Class<?> entityType) {
        this.database = database;
        this.routing = routing;
        this.hint = RoutingHint.of(entityType);
        this.fixed = new Where(null, database);
    }

    /** The repository's database: the primary writes go to when nothing else is said. */
    Database database() {
        return this.database;
    }

    /** Where a read runs. */
    Where forRead(@Nullable Database using) {
        if (this.routing == null) {
            return fixed(using);
        }
        RoutingHint hint = using == null ? this.hint : this.hint.using(using);
        return new Where(this.routing.readSession(hint), using != null ? using : this.database);
    }

    /** Where a write (or a read that locks rows) runs. */
    Where forWrite(@Nullable Database using) {
        if (this.routing == null) {
            return fixed(using);
        }
        RoutingHint hint = using == null ? this.hint : this.hint.using(using);
        return new Where(this.routing.writeSession(hint), using != null ? using : this.database);
    }

    private Where fixed(@Nullable Database using) {
        return using == null ? this.fixed : new Where(null, using);
    }
}
