package io.github.contextr2dbc.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.data.EntityMetadata.FieldInfo;
import io.github.contextr2dbc.data.QueryCompiler.JoinedRelation;
import io.github.contextr2dbc.data.QueryCompiler.Target;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.RowMetadata;
import org.jspecify.annotations.Nullable;
import org.springframework.data.relational.core.sql.Expression;
import org.springframework.data.relational.domain.RowDocument;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * An immutable, lazy query over one entity, as Django's {@code QuerySet}: every refining method
 * ({@link #filter}, {@link #exclude}, {@link #orderBy}, {@link #limit}, ...) returns a new query set and
 * runs nothing; a terminal method ({@link #all()}, {@link #get()}, {@link #count()}, {@link #update},
 * ...) returns a cold publisher that builds the SQL and runs one statement (two for
 * {@link #getOrCreate}/{@link #updateOrCreate}) each time it is subscribed.
 *
 * <p>Statements run in the current unit of work's session for the database (see
 * {@code UnitOfWork.dbSession}); with none, on an auto-commit connection if the database allows it
 * ({@code OutsideUnitOfWork.AUTOCOMMIT}), and otherwise they fail with {@code NoUnitOfWorkException}. A
 * query set never commits and never begins a transaction itself: the unit of work or an atomic block does.
 * Reads run on the repository's database, writes and locking reads on its primary; {@link #using} picks
 * another database.
 *
 * <p>Field names, lookups and orderings (string form {@code "author__name__icontains"} or typed form
 * {@code Book::getTitle}) are checked against the entity's mapping when a terminal method is subscribed: an
 * unknown one fails that publisher with a {@link FieldLookupException} listing the valid ones. Values are
 * always bound parameters; identifiers come only from the mapping. Unless a method says otherwise, a
 * terminal publisher's error is that check's error or the statement's, and cancelling it stops reading
 * rows (the session moves on to its next statement; nothing is rolled back by the query set).
 *
 * @param <T> the entity type
 */
public final class QuerySet<T> {
    /** Row locks of {@link #selectForUpdate}. */
    enum Lock { NONE, UPDATE, NOWAIT, SKIP_LOCKED }


    final EntityMetadata<T> meta;


    final DatabaseChoice choice;


    final @Nullable Database using;


    final List<Q> filters;


    final List<String> ordering;


    final @Nullable Long limit;


    final long offset;


    final boolean distinct;


    final Lock lock;


    final Set<String> outerJoins;


    final List<String> related;


    final List<Aggregate> annotations;


    QuerySet(EntityMetadata<T> meta, DatabaseChoice choice) {
        this(meta, choice, null, List.of(), List.of(), null, 0, false, Lock.NONE, Set.of(), List.of(), List.of());
    }


    private QuerySet(EntityMetadata<T> meta, DatabaseChoice choice, @Nullable Database using, List<Q> filters,
            List<String> ordering, @Nullable Long limit, long offset, boolean distinct, Lock lock,
            Set<String> outerJoins, List<String> related, List<Aggregate> annotations) {
        this.meta = meta;
        this.choice = choice;
        this.using = using;
        this.filters = filters;
        this.ordering = ordering;
        this.limit = limit;
        this.offset = offset;
        this.distinct = distinct;
        this.lock = lock;
        this.outerJoins = outerJoins;
        this.related = related;
        this.annotations = annotations;
    }


    // ---- refining: each returns a new query set ----


    /** Rows matching {@code lookupPath = value} too (ANDed with the conditions already there). */
    public QuerySet<T> filter(String lookupPath, @Nullable Object value) {
        return filter(Q.of(lookupPath, value));
    }


    /** Rows matching {@code condition} too. */
    public QuerySet<T> filter(Q condition) {
        if (condition == null) {
            throw new IllegalArgumentException("filter(null): pass a Q");
        }
        List<Q> next = new ArrayList<>(this.filters);
        next.add(condition);
        return new QuerySet<>(this.meta, this.choice, this.using, List.copyOf(next), this.ordering, this.limit,
                this.offset, this.distinct, this.lock, this.outerJoins, this.related, this.annotations);
    }


    /** Typed form: rows whose {@code property} matches {@code value} by {@code lookup}. */
    public <V> QuerySet<T> filter(Property<T, V> property, Lookup lookup, @Nullable Object value) {
        return filter(Q.of(property, lookup, value));
    }


    /** Typed form: rows whose {@code property} equals {@code value} ({@code null}: is null). */
    public <V> QuerySet<T> filter(Property<T, V> property, @Nullable V value) {
        return filter(Q.of(property, Lookup.EXACT, value));
    }


    /** Rows not matching {@code lookupPath = value}. */
    public QuerySet<T> exclude(String lookupPath, @Nullable Object value) {
        return filter(Q.of(lookupPath, value).not());
    }


    /** Rows not matching {@code condition}. */
    public QuerySet<T> exclude(Q condition) {
        if (condition == null) {
            throw new IllegalArgumentException("exclude(null): pass a Q");
        }
        return filter(condition.not());
    }


    /**
     * Orders by these fields (replacing any earlier ordering): {@code "-created"} descending,
     * {@code "author__name"} through a relation, or an {@link #annotate} name.
     */
    public QuerySet<T> orderBy(String... fields) {
        for (String field : fields) {
            if (field == null || field.isBlank() || "-".equals(field)) {
                throw new IllegalArgumentException("orderBy needs field names such as \"-created\", got "
                        + Arrays.toString(fields));
            }
        }
        return new QuerySet<>(this.meta, this.choice, this.using, this.filters, List.of(fields), this.limit,
                this.offset, this.distinct, this.lock, this.outerJoins, this.related, this.annotations);
    }


    /** Typed form of {@link #orderBy(String...)}, ascending. */
    @SafeVarargs
    public final QuerySet<T> orderBy(Property<T, ?>... properties) {
        String[] names = new String[properties.length];
        for (int i = 0; i < properties.length; i++) {
            names[i] = properties[i].propertyName();
        }
        return orderBy(names);
    }


    /**
     * At most {@code limit} rows ({@code LIMIT}).
     *
     * @throws IllegalArgumentException if {@code limit} is negative
     */
    public QuerySet<T> limit(long limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative, got " + limit);
        }
        return new QuerySet<>(this.meta, this.choice, this.using, this.filters, this.ordering, limit,
                this.offset, this.distinct, this.lock, this.outerJoins, this.related, this.annotations);
    }


    /**
     * Skips {@code offset} rows ({@code OFFSET}).
     *
     * @throws IllegalArgumentException if {@code offset} is negative
     */
    public QuerySet<T> offset(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative, got " + offset);
        }
        return new QuerySet<>(this.meta, this.choice, this.using, this.filters, this.ordering, this.limit,
                offset, this.distinct, this.lock, this.outerJoins, this.related, this.annotations);
    }


    /**
     * Rows {@code from} (inclusive) to {@code to} (exclusive), as Python's {@code qs[from:to]}: OFFSET from
     * LIMIT to - from.
     *
     * @throws IllegalArgumentException if an index is negative (not supported, as in Django) or
     * {@code to < from}
     */
    public QuerySet<T> slice(long from, long to) {
        if (from < 0 || to < 0) {
            throw new IllegalArgumentException("Negative indexing is not supported: slice(" + from + ", " + to + ")");
        }
        if (to < from) {
            throw new IllegalArgumentException("slice(" + from + ", " + to + "): the end is before the start");
        }
        return offset(from).limit(to - from);
    }


    /** {@code SELECT DISTINCT}. */
    public QuerySet<T> distinct() {
        return new QuerySet<>(this.meta, this.choice, this.using, this.filters, this.ordering, this.limit,
                this.offset, true, this.lock, this.outerJoins, this.related, this.annotations);
    }


    /** Locks the selected rows ({@code FOR UPDATE}) until the transaction ends; runs on the primary. */
    public QuerySet<T> selectForUpdate() {
        return withLock(Lock.UPDATE);
    }


    /**
     * Locks the selected rows; {@code nowait}: fail at once if one is locked ({@code NOWAIT});
     * {@code skipLocked}: leave locked rows out ({@code SKIP LOCKED}).
     *
     * @throws IllegalArgumentException if both are true
     */
    public QuerySet<T> selectForUpdate(boolean nowait, boolean skipLocked) {
        if (nowait && skipLocked) {
            throw new IllegalArgumentException("selectForUpdate: nowait and skipLocked exclude each other");
        }
        return withLock(nowait ? Lock.NOWAIT : skipLocked ? Lock.SKIP_LOCKED : Lock.UPDATE);
    }


    private QuerySet<T> withLock(Lock lock) {
        return new QuerySet<>(this.meta, this.choice, this.using, this.filters, this.ordering, this.limit,
                this.offset, this.distinct, lock, this.outerJoins, this.related, this.annotations);
    }


    /**
     * Joins these relations with {@code LEFT OUTER JOIN} instead of the default inner join, wherever a lookup,
     * ordering or {@link #selectRelated} follows them (rows without a related row are kept).
     */
    public QuerySet<T> outerJoin(String... relationPaths) {
        Set<String> next = new LinkedHashSet<>(this.outerJoins);
        next.addAll(List.of(relationPaths));
        return new QuerySet<>(this.meta, this.choice, this.using, this.filters, this.ordering, this.limit,
                this.offset, this.distinct, this.lock, Set.copyOf(next), this.related, this.annotations);
    }


    /**
     * Loads these relations eagerly, in the same statement (a join), into the entity's field named like the
     * relation (declare it {@code @Transient}); {@code "author__publisher"} follows two relations.
     */
    public QuerySet<T> selectRelated(String... relationPaths) {
        List<String> next = new ArrayList<>(this.related);
        next.addAll(List.of(relationPaths));
        return new QuerySet<>(this.meta, this.choice, this.using, this.filters, this.ordering, this.limit,
                this.offset, this.distinct, this.lock, this.outerJoins, List.copyOf(next), this.annotations);
    }


    /**
     * Adds aggregates per group, for {@link #values(String...)}: the plain fields named there are the
     * {@code GROUP BY}, the aggregates' names their computed values, as Django's
     * {@code values(...).annotate(...)}.
     */
    public QuerySet<T> annotate(Aggregate... aggregates) {
        List<Aggregate> next = new ArrayList<>(this.annotations);
        next.addAll(List.of(aggregates));
        return new QuerySet<>(this.meta, this.choice, this.using, this.filters, this.ordering, this.limit,
                this.offset, this.distinct, this.lock, this.outerJoins, this.related, List.copyOf(next));
    }


    /** Runs this query set's statements on {@code db} instead of the repository's (reads and writes). */
    public QuerySet<T> using(Database db) {
        if (db == null) {
            throw new IllegalArgumentException("using(null): pass a Database");
        }
        return new QuerySet<>(this.meta, this.choice, db, this.filters, this.ordering, this.limit, this.offset,
                this.distinct, this.lock, this.outerJoins, this.related, this.annotations);
    }


    // ---- reading ----


    /**
     * The matching rows as entities, streamed: rows are read as they are requested (backpressure), never
     * collected.
     *
     * @return a cold {@link Flux}: complete after the last row; error: see the class comment; cancel: stops
     * reading
     */
    public Flux<T> all() {
        return Flux.defer(() -> {
            List<JoinedRelation> eager = new ArrayList<>();
            Sql sql = allSql(eager);
            return eager.isEmpty() ? sql.query(readDatabase(), this.meta.reader)
                    : sql.query(readDatabase(), (row, metadata) -> read(row, metadata, eager));
        });
    }


    /**
     * The first row in this query set's order (by id if it has none), or empty.
     *
     * @return a cold {@link Mono}: the entity, or empty if no row matches
     */
    public Mono<T> first() {
        QuerySet<T> ordered = this.ordering.isEmpty() && this.meta.id != null ? orderBy(this.meta.id.name) : this;
        return ordered.limit(1).all().next();
    }


    /**
     * The one matching row.
     *
     * @return a cold {@link Mono}: the entity; error: {@link ObjectNotFoundException} if no row matches,
     * {@link MultipleObjectsReturnedException} if more than one does (the statement reads at most two rows)
     */
    public Mono<T> get() {
        return new GetOne<>(limit(this.limit == null ? 2 : Math.min(this.limit, 2)).all(), this.meta.name(),
                this.filters);
    }


    /** {@code filter(lookupPath, value).get()}. */
    public Mono<T> get(String lookupPath, @Nullable Object value) {
        return filter(lookupPath, value).get();
    }


    /**
     * The number of matching rows ({@code SELECT count(*)}; over a sub-select if sliced or distinct).
     *
     * @return a cold {@link Mono} of the count
     */
    public Mono<Long> count() {
        return Mono.defer(() -> countSql().query(readDatabase(), (row, metadata) -> row.get(0, Long.class)).next());
    }


    /**
     * Whether any row matches: {@code SELECT EXISTS (SELECT 1 ... LIMIT 1)}, which stops at the first row.
     *
     * @return a cold {@link Mono} of true or false
     */
    public Mono<Boolean> exists() {
        return Mono.defer(() -> existsSql().query(readDatabase(), (row, metadata) -> row.get(0, Boolean.class)).next());
    }


    /**
     * The named fields (paths through relations allowed, {@link #annotate} names) of each matching row, as
     * maps in the order of {@code fields}; with aggregates, grouped by the plain fields.
     *
     * @return a cold {@link Flux} of maps (values as the driver reads them), streamed
     */
    public Flux<Map<String, Object>> values(String... fields) {
        return Flux.defer(() -> valuesQuery(fields)).map(values -> {
            Map<String, Object> map = new LinkedHashMap<>();
            for (int i = 0; i < fields.length; i++) {
                map.put(fields[i], values[i]);
            }
            return map;
        });
    }


    /**
     * The named fields of each matching row, as lists in the order of {@code fields}.
     *
     * @return a cold {@link Flux} of lists, streamed
     */
    public Flux<List<Object>> valuesList(String... fields) {
        return Flux.defer(() -> valuesQuery(fields)).map(values -> Arrays.asList(values));
    }


    /**
     * One field of each matching row, flat ({@code values_list(field, flat=True)}), read as {@code type}.
     *
     * @return a cold {@link Flux} of values (null values are skipped: a Flux cannot carry them), streamed
     */
    public <V> Flux<V> valuesListFlat(String field, Class<V> type) {
        return Flux.defer(() -> {
            QueryCompiler compiler = compiler();
            Target target = SelectStatements.plainField(this, compiler, field, "Field");
            Sql sql = SelectStatements.selectSql(this, compiler, List.of(QueryCompiler.column(target)), this.limit);
            return sql.query(readDatabase(), (row, metadata) -> {
                V value = row.get(0, type);
                return value == null ? List.<V>of() : List.of(value);
            }).concatMapIterable(list -> list);
        });
    }


    private Flux<Object[]> valuesQuery(String[] fields) {
        Sql sql = valuesSql(fields);
        int width = fields.length;
        return sql.query(readDatabase(), (row, metadata) -> {
            Object[] values = new Object[width];
            for (int i = 0; i < width; i++) {
                values[i] = row.get(i);
            }
            return values;
        });
    }


    /**
     * Aggregates over all matching rows: {@code aggregate(Aggregate.sum("pages"), Aggregate.count())}.
     *
     * @return a cold {@link Mono} of a map from each aggregate's {@linkplain Aggregate#alias() name} to its
     * value (null for a sum, average, minimum or maximum over no rows)
     * @throws IllegalArgumentException (as the publisher's error) if sliced: aggregate a sliced query set by
     * first collecting it
     */
    public Mono<Map<String, Object>> aggregate(Aggregate... aggregates) {
        return Mono.defer(() -> {
            if (aggregates.length == 0) {
                throw new IllegalArgumentException("aggregate(...) needs at least one Aggregate");
            }
            if (this.limit != null || this.offset > 0) {
                throw new IllegalArgumentException("aggregate() over a sliced query set is not supported");
            }
            QueryCompiler compiler = compiler();
            Map<String, Expression> expressions = SelectStatements.aggregateExpressions(this, compiler,
                    List.of(aggregates));
            Sql sql = new Sql(this.meta.mapping.renderer.render(compiler.select(new ArrayList<>(expressions.values()),
                    false, compiler.condition(this.filters), List.of(), null, 0, null)), compiler.binds);
            List<String> names = new ArrayList<>(expressions.keySet());
            return sql.query(readDatabase(), (row, metadata) -> {
                Map<String, Object> result = new LinkedHashMap<>();
                for (int i = 0; i < names.size(); i++) {
                    result.put(names.get(i), row.get(i));
                }
                return result;
            }).next();
        });
    }


    // ---- writing ----


    /**
     * Updates every matching row in one statement: {@code update(Map.of("status", "sold", "stock",
     * F.of("stock").minus(1)))}. Values are bound; {@link F} values are computed by the database from the row's
     * current values (no lost update under concurrency).
     *
     * @return a cold {@link Mono} of the number of rows updated; error also {@link IllegalArgumentException}
     * for an empty map, a sliced or locked query set
     */
    public Mono<Long> update(Map<String, ?> values) {
        return Mono.defer(() -> updateSql(values, false).update(writeDatabase()));
    }


    /**
     * Like {@link #update(Map)}, returning the updated rows ({@code UPDATE ... RETURNING}).
     *
     * @return a cold {@link Flux} of the updated entities
     */
    public Flux<T> updateReturning(Map<String, ?> values) {
        return Flux.defer(() -> updateSql(values, true).query(writeDatabase(), this::readEntity));
    }


    /**
     * Deletes every matching row in one statement.
     *
     * @return a cold {@link Mono} of the number of rows deleted; error also {@link IllegalArgumentException}
     * for a sliced query set
     */
    public Mono<Long> delete() {
        return Mono.defer(() -> deleteSql(false).update(writeDatabase()));
    }


    /**
     * Like {@link #delete()}, returning the deleted rows ({@code DELETE ... RETURNING}).
     *
     * @return a cold {@link Flux} of the deleted entities
     */
    public Flux<T> deleteReturning() {
        return Flux.defer(() -> deleteSql(true).query(writeDatabase(), this::readEntity));
    }


    /**
     * The one matching row, or, if there is none, {@code creator}'s entity inserted. Safe under concurrency
     * without aborting the transaction: the insert is {@code INSERT ... ON CONFLICT DO NOTHING}, and if a
     * concurrent insert won (a unique constraint matched), the row is read again and {@code created} is false.
     *
     * @return a cold {@link Mono} of the object and whether this call created it; error as {@link #get()}
     * (except not found), or the insert's error
     */
    public Mono<Created<T>> getOrCreate(Supplier<? extends T> creator) {
        return get().map(found -> new Created<>(found, false))
                .onErrorResume(ObjectNotFoundException.class, notFound -> insertIfAbsent(creator)
                        .map(created -> new Created<>(created, true))
                        .switchIfEmpty(Mono.defer(() -> get().map(found -> new Created<>(found, false)))));
    }


    /**
     * Updates the one matching row with {@code values} (locking it first, {@code SELECT ... FOR UPDATE}), or,
     * if there is none, inserts {@code creator}'s entity. {@code created} is true only if this call inserted.
     *
     * @return a cold {@link Mono} of the object as stored and whether this call created it; errors as
     * {@link #getOrCreate}
     */
    public Mono<Created<T>> updateOrCreate(Map<String, ?> values, Supplier<? extends T> creator) {
        Mono<Created<T>> updateFound = selectForUpdate().get().flatMap(found -> byId(found).updateReturning(values)
                .next().map(updated -> new Created<>(updated, false)));
        return updateFound.onErrorResume(ObjectNotFoundException.class, notFound -> insertIfAbsent(creator)
                .map(created -> new Created<>(created, true))
                .switchIfEmpty(Mono.defer(() -> updateFound)));
    }


    /**
     * The matching rows whose id is in {@code ids}, by id.
     *
     * @return a cold {@link Mono} of a map from id to entity (ids with no row are absent)
     */
    public Mono<Map<Object, T>> inBulk(Collection<?> ids) {
        return Mono.defer(() -> {
            FieldInfo id = this.meta.requireId();
            return filter(id.name + "__in", ids).all().collectMap(this::idOf, entity -> entity, LinkedHashMap::new);
        });
    }


    // ---- internals ----


    EntityMetadata<T> metadata() {
        return this.meta;
    }


    private Mono<T> insertIfAbsent(Supplier<? extends T> creator) {
        return Mono.defer(() -> Inserts.insert(this.meta, List.of(creator.get()), true)
                .query(writeDatabase(), this::readEntity).next());
    }


    private QuerySet<T> byId(T entity) {
        return new QuerySet<>(this.meta, this.choice, this.using, List.of(), List.of(), null, 0, false, Lock.NONE,
                Set.of(), List.of(), List.of()).filter(this.meta.requireId().name, idOf(entity));
    }


    Object idOf(T entity) {
        return this.meta.entity.getIdentifierAccessor(entity).getRequiredIdentifier();
    }


    private DatabaseChoice.Where readDatabase() {
        return this.lock == Lock.NONE ? this.choice.forRead(this.using) : this.choice.forWrite(this.using);
    }


    private DatabaseChoice.Where writeDatabase() {
        return this.choice.forWrite(this.using);
    }


    QueryCompiler compiler() {
        return new QueryCompiler(this.meta, this.outerJoins);
    }


    /** The select of {@link #all()}; fills {@code eager} with the relations it loads. */
    Sql allSql(List<JoinedRelation> eager) {
        return SelectStatements.allSql(this, eager);
    }

    Sql countSql() {
        return SelectStatements.countSql(this);
    }

    Sql existsSql() {
        return SelectStatements.existsSql(this);
    }

    Sql valuesSql(String... fields) {
        return SelectStatements.valuesSql(this, fields);
    }

    Sql updateSql(Map<String, ?> values, boolean returning) {
        return WriteStatements.updateSql(this, values, returning);
    }

    Sql deleteSql(boolean returning) {
        return WriteStatements.deleteSql(this, returning);
    }

    T readEntity(Row row, RowMetadata metadata) {
        return this.meta.reader.apply(row, metadata);
    }


    private T read(Row row, RowMetadata metadata, List<JoinedRelation> eager) {
        T entity = readEntity(row, metadata);
        if (eager.isEmpty()) {
            return entity;
        }
        Map<String, Object> loaded = new LinkedHashMap<>();
        for (JoinedRelation join : eager) {
            EntityMetadata<?> target = join.relation().target();
            Object related = null;
            if (row.get(SelectStatements.alias(join, target.requireId()), Object.class) != null) {
                RowDocument document = new RowDocument();
                for (FieldInfo field : target.fieldList) {
                    document.put(field.column.getReference(), row.get(SelectStatements.alias(join, field)));
                }
                related = this.meta.mapping.converter.read(target.type, document);
            }
            int last = join.path().lastIndexOf("__");
            Object owner = last < 0 ? entity : loaded.get(join.path().substring(0, last));
            if (owner != null) {
                try {
                    join.relation().holder.set(owner, related);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException("Cannot set " + join.relation().name + " on " + owner.getClass(),
                            e);
                }
            }
            loaded.put(join.path(), related);
        }
        return entity;
    }


    @Override
    public String toString() {
        return "QuerySet<" + this.meta.name() + ">" + this.filters + (this.ordering.isEmpty() ? "" : " ORDER BY "
                + this.ordering);
    }
}
