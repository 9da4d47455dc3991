package io.github.contextr2dbc;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * What a routed session is for, for the {@link Router}s: an entity type, a name, or nothing; and optionally
 * the database to use whatever the routers say ({@link #using(Database)}, Django's {@code using}).
 * Immutable.
 */
public final class RoutingHint {

    /** No entity type, no name: the routers decide from nothing (usually: the default database). */
    public static final RoutingHint NONE = new RoutingHint(null, null, null);

    @Nullable
    private final Class<?> entityType;

    @Nullable
    private final String name;

    @Nullable
    private final Database using;

    private RoutingHint(@Nullable Class<?> entityType, @Nullable String name, @Nullable Database using) {
        this.entityType = entityType;
        this.name = name;
        this.using = using;
    }

    /** A hint naming the entity type read or written (a repository's type). */
    public static RoutingHint of(Class<?> entityType) {
        return new RoutingHint(Objects.requireNonNull(entityType, "entityType"), null, null);
    }

    /** A hint carrying a name (a table, a feature, a tenant), for routers that route by name. */
    public static RoutingHint named(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("RoutingHint.named(...) needs a non-blank name");
        }
        return new RoutingHint(null, name, null);
    }

    /**
     * This hint, used on exactly {@code db}: the routers, replicas and read-your-own-writes are skipped (a
     * write on a replica is still refused).
     */
    public RoutingHint using(Database db) {
        return new RoutingHint(this.entityType, this.name, Objects.requireNonNull(db, "db"));
    }

    /** The entity type, or null. */
    @Nullable
    public Class<?> entityType() {
        return this.entityType;
    }

    /** The name, or null. */
    @Nullable
    public String name() {
        return this.name;
    }

    /** The database forced by {@link #using(Database)}, or null. */
    @Nullable
    public Database using() {
        return this.using;
    }

    @Override
    public String toString() {
        return "RoutingHint{" + (this.entityType != null ? this.entityType.getSimpleName() : "")
                + (this.name != null ? this.name : "")
                + (this.using != null ? " using " + this.using.name() : "") + "}";
    }
}
