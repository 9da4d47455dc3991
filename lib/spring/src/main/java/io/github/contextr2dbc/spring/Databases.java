package io.github.contextr2dbc.spring;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.github.contextr2dbc.Database;
import org.jspecify.annotations.Nullable;

/**
 * The application's databases by name, in declaration order, with the default one and which database
 * each replica follows. The Spring Boot auto-configuration builds it from
 * {@code context-r2dbc.databases.*}; declare your own bean of this type to use handles built in code.
 *
 * <p>Immutable and thread-safe.
 */
public final class Databases {

    private final Map<String, Database> byName;

    private final Database defaultDatabase;

    private final Map<Database, Database> primaries;

    private Databases(Map<String, Database> byName, Database defaultDatabase, Map<Database, Database> primaries) {
        this.byName = byName;
        this.defaultDatabase = defaultDatabase;
        this.primaries = primaries;
    }

    /**
     * The databases, in the order given, with {@code defaultDatabase} among them.
     *
     * @param replicaOf for each replica, the database it replicates (both among {@code databases}); may be empty
     * @throws IllegalArgumentException if the list is empty, two databases share a name, or the default
     * or a replica relation names a database not in the list
     */
    public static Databases of(List<Database> databases, Database defaultDatabase, Map<Database, Database> replicaOf) {
        if (databases.isEmpty()) {
            throw new IllegalArgumentException("Databases.of needs at least one database");
        }
        Map<String, Database> byName = new LinkedHashMap<>();
        for (Database database : databases) {
            if (byName.putIfAbsent(database.name(), database) != null) {
                throw new IllegalArgumentException("Two databases are named '" + database.name()
                        + "': give each its own name");
            }
        }
        if (byName.get(defaultDatabase.name()) != defaultDatabase) {
            throw new IllegalArgumentException("The default database '" + defaultDatabase.name() + "' is not among "
                    + byName.keySet());
        }
        Map<Database, Database> primaries = new LinkedHashMap<>();
        replicaOf.forEach((replica, primary) -> {
            if (byName.get(replica.name()) != replica || byName.get(primary.name()) != primary) {
                throw new IllegalArgumentException("Replica '" + replica.name() + "' of '" + primary.name()
                        + "': both must be among " + byName.keySet());
            }
            primaries.put(replica, primary);
        });
        return new Databases(Collections.unmodifiableMap(byName), defaultDatabase,
                Collections.unmodifiableMap(primaries));
    }

    /** A single database, the default. */
    public static Databases of(Database database) {
        return of(List.of(database), database, Map.of());
    }

    /** The default database (the one injected where no name is given). */
    public Database defaultDatabase() {
        return this.defaultDatabase;
    }

    /**
     * The database called {@code name}.
     *
     * @throws IllegalArgumentException if there is none; the message lists the names there are
     */
    public Database get(String name) {
        Database database = this.byName.get(name);
        if (database == null) {
            throw new IllegalArgumentException("No database is called '" + name + "'; the databases are "
                    + this.byName.keySet() + " (configured under context-r2dbc.databases.<name>)");
        }
        return database;
    }

    /** The database called {@code name}, if any. */
    public Optional<Database> find(String name) {
        return Optional.ofNullable(this.byName.get(name));
    }

    /** Every database, in declaration order (which is also the order units of work commit them in). */
    public List<Database> all() {
        return new ArrayList<>(this.byName.values());
    }

    /** The database {@code replica} replicates, or {@code null} if it is not a replica. */
    @Nullable
    public Database primaryOf(Database replica) {
        return this.primaries.get(replica);
    }

    @Override
    public String toString() {
        return "Databases" + this.byName.keySet() + "{default " + this.defaultDatabase.name() + "}";
    }
}
