package io.github.contextr2dbc;

import org.jspecify.annotations.Nullable;

/**
 * Chooses the database for a read or a write, as Django's database routers do. {@link Routing} asks its routers
 * in order and takes the first answer; a router answers null for "no opinion" (both methods do by default),
 * and when every router has none, the routing's default database is used.
 *
 * <p>Naming a primary that has replicas for a read lets {@link Routing} pick one of its replicas (or the
 * primary itself, for read-your-own-writes); naming a replica asks for that replica. Routers are called on
 * the request's thread for every routed session: they must be fast and must not block.
 */
public interface Router {

    /** The database to read {@code hint} from, or null for no opinion. */
    @Nullable
    default Database dbForRead(RoutingHint hint) {
        return null;
    }

    /** The database to write {@code hint} to, or null for no opinion. */
    @Nullable
    default Database dbForWrite(RoutingHint hint) {
        return null;
    }
}
