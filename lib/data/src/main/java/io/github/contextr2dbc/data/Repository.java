package io.github.contextr2dbc.data;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.DbSession;
import io.github.contextr2dbc.Routing;
import io.github.contextr2dbc.RoutingHint;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.data.EntityMetadata.FieldInfo;
import org.jspecify.annotations.Nullable;
import org.springframework.data.r2dbc.mapping.OutboundRow;
import org.springframework.data.relational.core.sql.Column;
import org.springframework.data.relational.core.sql.Conditions;
import org.springframework.data.relational.core.sql.SQL;
import org.springframework.data.relational.core.sql.StatementBuilder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A Django-style repository of one entity type, with no session argument: its statements run in the current
 * unit of work's session for its database (see {@link QuerySet} for where and how).
 *
 * <p>Declare one per entity; the entity type is taken from the type argument. Predefined query sets
 * ("managers") are methods returning refined {@link #objects()}:
 *
 * <pre>{@code
 * public final class BookRepository extends Repository<Book, Long> {
 *     public BookRepository(Database db) {
 *         super(db);
 *     }
 *
 *     public QuerySet<Book> published() {
 *         return objects().filter("status", "published");
 *     }
 * }
 *
 * books.published().filter("author__name__icontains", "ann").orderBy("-created").limit(20).all()
 * }</pre>
 *
 * <p>Entities are Spring Data R2DBC entities ({@code @Table}, {@code @Id}, {@code @Column}); relations are
 * declared with {@link ForeignKey}. Thread-safe.
 *
 * @param <T> the entity type
 * @param <ID> the type of its {@code @Id}
 */
public abstract class Repository<T, ID> {

    /** Rows per statement of {@link #bulkCreate(Iterable)}. */
    public static final int DEFAULT_BATCH_SIZE = 500;

    private final DatabaseChoice choice;

    private final EntityMetadata<T> meta;

    /**
     * {@link #get(Object)}'s statement, rendered on its first call: {@code objects().filter(id, value).get()}'s,
     * which is the same for every id value but null; later calls only convert and bind the id.
     */
    private volatile @Nullable PointRead pointRead;

    /** The rendered point read, its filters as {@code get()} describes them, and the id field. */
    private record PointRead(String text, String filters, FieldInfo id) {
    }

    /**
     * A repository on {@code database} (the primary, for writes) with the default mapping; the entity type is
     * this class's first type argument.
     *
     * @throws IllegalStateException if the type argument cannot be read (use the constructor with a class)
     * @throws IllegalArgumentException if the entity is not mappable (message from Spring Data)
     */
    protected Repository(Database database) {
        this(database, EntityMapping.defaults());
    }

    /** Like {@link #Repository(Database)} with a mapping of its own (custom converters). */
    protected Repository(Database database, EntityMapping mapping) {
        this(database, mapping, null);
    }

    /** A repository for {@code type}, for when the type argument is not declared on a subclass. */
    protected Repository(Database database, EntityMapping mapping, Class<T> type) {
        if (database == null || mapping == null) {
            throw new IllegalArgumentException("A Repository needs a Database and an EntityMapping");
        }
        this.meta = mapping.entity(type != null ? type : inferType());
        this.choice = new DatabaseChoice(database, null, this.meta.type);
    }

    /**
     * A repository whose statements go through {@code routing}: reads to a replica where the routing says so
     * (GET requests, no write yet in the unit of work, ...), writes and locking reads to the primary; the
     * entity type is this class's first type argument and the routing hint.
     *
     * @throws IllegalStateException if the type argument cannot be read (use the constructor with a class)
     * @throws IllegalArgumentException if the entity is not mappable (message from Spring Data)
     */
    protected Repository(Routing routing) {
        this(routing, EntityMapping.defaults(), null);
    }

    /** Like {@link #Repository(Routing)}, for {@code type} and with a mapping of its own. */
    protected Repository(Routing routing, EntityMapping mapping, Class<T> type) {
        if (routing == null || mapping == null) {
            throw new IllegalArgumentException("A Repository needs a Routing and an EntityMapping");
        }
        this.meta = mapping.entity(type != null ? type : inferType());
        this.choice = new DatabaseChoice(routing.dbForWrite(RoutingHint.of(this.meta.type)), routing, this.meta.type);
    }

    /** A repository of {@code type} with no managers of its own, on the default mapping. */
    public static <T, ID> Repository<T, ID> of(Database database, Class<T> type) {
        return new Repository<>(database, EntityMapping.defaults(), type) {
        };
    }

    /** A routed repository of {@code type} with no managers of its own, on the default mapping. */
    public static <T, ID> Repository<T, ID> of(Routing routing, Class<T> type) {
        return new Repository<>(routing, EntityMapping.defaults(), type) {
        };
    }

    @SuppressWarnings("unchecked")
    private Class<T> inferType() {
        for (Class<?> c = getClass(); c != null && c != Repository.class; c = c.getSuperclass()) {
            Type superclass = c.getGenericSuperclass();
            if (superclass instanceof ParameterizedType parameterized
                    && parameterized.getRawType() == Repository.class) {
                Type argument = parameterized.getActualTypeArguments()[0];
                if (argument instanceof Class<?> entity) {
                    return (Class<T>) entity;
                }
                if (argument instanceof ParameterizedType generic && generic.getRawType() instanceof Class<?> raw) {
                    return (Class<T>) raw;
                }
            }
        }
        throw new IllegalStateException(getClass().getName() + " does not declare its entity type: extend"
                + " Repository<Book, Long> with a concrete type, or pass the class to the constructor");
    }

    /** The entity type. */
    public Class<T> entityType() {
        return this.meta.type;
    }

    /** The database its statements run on (reads may be routed elsewhere; writes go here). */
    public Database database() {
        return this.choice.database();
    }

    /** A new query set of all rows of the entity's table (lazy: runs nothing). */
    public QuerySet<T> objects() {
        return new QuerySet<>(this.meta, this.choice);
    }

    /**
     * Inserts {@code entity} ({@code INSERT ... RETURNING}); an id that is null is left to the database.
     *
     * @return a cold {@link Mono} of the entity as stored (generated id and defaults filled in); error: the
     * insert failed (e.g. a constraint); cancel: stops waiting, the insert may still have happened
     */
    public Mono<T> create(T entity) {
        return Mono.defer(() -> Inserts.insert(this.meta, List.of(entity), false)
                .query(this.choice.forWrite(null), this.meta.reader).next());
    }

    /** {@link #bulkCreate(Iterable, int)} with {@link #DEFAULT_BATCH_SIZE}. */
    public Flux<T> bulkCreate(Iterable<? extends T> entities) {
        return bulkCreate(entities, DEFAULT_BATCH_SIZE);
    }

    /**
     * Inserts {@code entities} with one multi-row {@code INSERT ... RETURNING} per {@code batchSize} rows (one
     * round trip per batch), batches one after the other.
     *
     * @return a cold {@link Flux} of the stored entities, in order; error: a batch failed (earlier batches are
     * not undone here: the unit of work or atomic block decides); cancel: no further batch is sent
     * @throws IllegalArgumentException if {@code batchSize} is not positive
     */
    public Flux<T> bulkCreate(Iterable<? extends T> entities, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
        }
        return Flux.defer(() -> {
            List<List<T>> batches = new ArrayList<>();
            List<T> batch = new ArrayList<>();
            for (T entity : entities) {
                batch.add(entity);
                if (batch.size() == batchSize) {
                    batches.add(batch);
                    batch = new ArrayList<>();
                }
            }
            if (!batch.isEmpty()) {
                batches.add(batch);
            }
            return Flux.fromIterable(batches).concatMap(rows -> Inserts.insert(this.meta, rows, false)
                    .query(this.choice.forWrite(null), this.meta.reader));
        });
    }

    /**
     * The entity with this id.
     *
     * @return a cold {@link Mono}: the entity; error: {@link ObjectNotFoundException} if there is none
     */
    public Mono<T> get(ID id) {
        if (id == null || id instanceof F) {
            return Mono.defer(() -> objects().filter(this.meta.requireId().name, id).get());
        }
        try {
            PointRead known = this.pointRead;
            Sql sql;
            if (known == null) {
                FieldInfo field = this.meta.requireId();
                sql = objects().filter(field.name, id).limit(2).allSql(new ArrayList<>());
                known = new PointRead(sql.text, List.of(Q.of(field.name, id)).toString(), field);
                this.pointRead = known;
            } else {
                Object bound = this.meta.convert(known.id(), id);
                sql = new Sql(known.text(), List.of(new Sql.Bind(bound, bound.getClass())));
            }
            return new GetOne<>(sql.query(this.choice.forRead(null), this.meta.reader), this.meta.name(),
                    known.filters());
        } catch (RuntimeException e) {
            return Mono.error(e);
        }
    }

    /**
     * Writes every mapped property of {@code entity} to its row, by id ({@code UPDATE ... RETURNING}).
     *
     * @return a cold {@link Mono} of the entity as stored; error: {@link ObjectNotFoundException} if no row has
     * its id
     */
    public Mono<T> update(T entity) {
        return Mono.defer(() -> {
            FieldInfo id = this.meta.requireId();
            var row = new OutboundRow();
            this.meta.mapping.converter.write(entity, row);
            Map<String, Object> values = new LinkedHashMap<>();
            for (FieldInfo field : this.meta.fieldList) {
                if (field != id) {
                    var parameter = row.get(field.column);
                    values.put(field.name, parameter == null ? null : parameter.getValue());
                }
            }
            Object idValue = objects().idOf(entity);
            Mono<T> updated = values.isEmpty() ? objects().filter(id.name, idValue).get()
                    : objects().filter(id.name, idValue).updateReturning(values).next();
            return updated.switchIfEmpty(Mono.error(() -> new ObjectNotFoundException("No " + this.meta.name()
                    + " has the id of the entity to update")));
        });
    }

    /**
     * Deletes {@code entity}'s row, by id.
     *
     * @return a cold {@link Mono}: true if a row was deleted, false if none had its id
     */
    public Mono<Boolean> delete(T entity) {
        return Mono.defer(() -> deleteById(castId(objects().idOf(entity))));
    }

    @SuppressWarnings("unchecked")
    private ID castId(Object id) {
        return (ID) id;
    }

    /**
     * Deletes the row with this id.
     *
     * @return a cold {@link Mono}: true if a row was deleted, false if none had this id
     */
    public Mono<Boolean> deleteById(ID id) {
        return Mono.defer(() -> {
            FieldInfo idField = this.meta.requireId();
            QueryCompiler compiler = new QueryCompiler(this.meta, Set.of());
            Column column = Column.create(idField.column, this.meta.table);
            var delete = StatementBuilder.delete(this.meta.table).where(Conditions.isEqual(column,
                    id == null ? SQL.nullLiteral() : compiler.value(new QueryCompiler.Target(this.meta.table,
                            this.meta, idField, List.of(), idField.name), id))).build();
            return new Sql(this.meta.mapping.renderer.render(delete), compiler.binds)
                    .update(this.choice.forWrite(null)).map(count -> count > 0);
        });
    }

    /** {@code objects().count()}: the number of rows. */
    public Mono<Long> count() {
        return objects().count();
    }

    /**
     * The entities with these ids, by id.
     *
     * @return a cold {@link Mono} of a map from id to entity (ids with no row are absent)
     */
    @SuppressWarnings("unchecked")
    public Mono<Map<ID, T>> inBulk(Collection<? extends ID> ids) {
        return objects().inBulk(ids).map(map -> (Map<ID, T>) (Map<?, T>) map);
    }

    /**
     * A page of rows in {@code querySet}'s order: {@code limit} rows from {@code offset}, with the total count.
     *
     * @return a cold {@link Mono} of the page (two statements: the rows, then the count)
     * @throws IllegalArgumentException if {@code offset} is negative or {@code limit} is not positive
     */
    public Mono<Page<T>> page(QuerySet<T> querySet, long offset, int limit) {
        return Page.of(querySet, offset, limit);
    }

    /** {@link #page(QuerySet, long, int)} of {@link #objects()} ordered by id. */
    public Mono<Page<T>> page(long offset, int limit) {
        return page(objects().orderBy(this.meta.requireId().name), offset, limit);
    }

    /**
     * Commits the current unit of work's transaction on this repository's database now (the session's early
     * commit, {@link DbSession#commit()}); the next statement begins a new transaction.
     *
     * @return a cold {@link Mono}, as {@link DbSession#commit()}; error: {@code NoUnitOfWorkException} outside
     * a unit of work
     */
    public Mono<Void> commit() {
        return UnitOfWork.dbSession(this.choice.database()).flatMap(DbSession::commit);
    }

    @Override
    public String toString() {
        return "Repository<" + this.meta.name() + "> on " + this.choice.database().name();
    }
}
