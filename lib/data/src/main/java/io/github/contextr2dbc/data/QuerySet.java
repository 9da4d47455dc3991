package io.github.contextr2dbc.data;

import java.lang.reflect.Array;
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
import org.springframework.data.relational.core.sql.AssignValue;
import org.springframework.data.relational.core.sql.Column;
import org.springframework.data.relational.core.sql.Condition;
import org.springframework.data.relational.core.sql.Conditions;
import org.springframework.data.relational.core.sql.Expression;
import org.springframework.data.relational.core.sql.Expressions;
import org.springframework.data.relational.core.sql.Functions;
import org.springframework.data.relational.core.sql.InlineQuery;
import org.springframework.data.relational.core.sql.LockMode;
import org.springframework.data.relational.core.sql.OrderByField;
import org.springframework.data.relational.core.sql.SQL;
import org.springframework.data.relational.core.sql.Select;
import org.springframework.data.relational.core.sql.SimpleFunction;
import org.springframework.data.relational.core.sql.StatementBuilder;
import org.springframework.data.relational.core.sql.SubselectExpression;
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

    private final EntityMetadata<T> meta;

    private final DatabaseChoice choice;

    private final @Nullable Database using;

    private final List<Q> filters;

    private final List<String> ordering;

    private final @Nullable Long limit;

    private final long offset;

    private final boolean distinct;

    private final Lock lock;

    private final Set<String> outerJoins;

    private final List<String> related;

    private final List<Aggregate> annotations;

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

    /** The select of {@link #all()}; fills {@code eager} with the relations it loads. */
    Sql allSql(List<JoinedRelation> eager) {
        requireNoAnnotations("all()");
        String key = this.related.isEmpty() ? shapeKey('A') : null;
        Sql cached = cached(key);
        if (cached != null) {
            return cached;
        }
        QueryCompiler compiler = compiler();
        List<Expression> columns = entityColumns(compiler);
        for (String path : this.related) {
            JoinedRelation join = compiler.joinPath(path);
            EntityMetadata<?> owner = ownerOf(compiler, path);
            if (join.relation().holder == null) {
                throw new IllegalArgumentException(owner.name() + " has no field named \"" + join.relation().name
                        + "\" to hold the related " + join.relation().target().name() + ": declare"
                        + " @Transient " + join.relation().target().name() + " " + join.relation().name);
            }
            eager.add(join);
            for (FieldInfo field : join.relation().target().fieldList) {
                columns.add(Column.create(field.column, join.table()).as(alias(join, field)));
            }
        }
        return cache(key, selectSql(compiler, columns, this.limit), compiler);
    }

    /**
     * The statement cached under {@code key}, with this query set's values bound: the conditions are built
     * again for their values (cheap), the rendering is skipped (the costly part).
     */
    private @Nullable Sql cached(@Nullable String key) {
        return cached(key, null);
    }

    /** {@link #cached(String)} for an update: {@code values} are bound first, as the assignments compile. */
    private @Nullable Sql cached(@Nullable String key, @Nullable Map<String, ?> values) {
        EntityMetadata.CachedSql cached = key == null ? null : this.meta.cachedSql(key);
        if (cached == null) {
            return null;
        }
        QueryCompiler compiler = compiler();
        if (values != null) {
            int i = 0;
            for (Object value : values.values()) {
                Target target = cached.assigned().get(i++);
                if (value == null) {
                    compiler.bind(null, target.field().boundType);
                } else {
                    compiler.value(target, value);
                }
            }
        }
        compiler.bindValues(this.filters, cached.plans());
        return new Sql(cached.text(), compiler.binds);
    }

    private Sql cache(@Nullable String key, Sql sql, QueryCompiler compiler) {
        return cache(key, sql, compiler, List.of());
    }

    private Sql cache(@Nullable String key, Sql sql, QueryCompiler compiler, List<Target> assigned) {
        if (key != null) {
            this.meta.cacheSql(key, new EntityMetadata.CachedSql(sql.text, List.copyOf(compiler.plans), assigned));
        }
        return sql;
    }

    /**
     * What the rendered SQL depends on: everything but the bound values, except where a value changes the SQL
     * (null, a collection's size, a boolean for isnull). Null (not cached) when a value is an {@link F}.
     */
    private @Nullable String shapeKey(char terminal) {
        StringBuilder key = new StringBuilder(64).append(terminal);
        for (Q filter : this.filters) {
            if (!shape(filter, key)) {
                return null;
            }
        }
        key.append('|');
        for (String item : this.ordering) {
            key.append(item.length()).append(':').append(item); // length first: no two lists give one key
        }
        key.append('|').append(this.limit == null ? -1 : this.limit.longValue()).append('|').append(this.offset)
                .append('|').append(this.distinct).append('|').append(this.lock.ordinal());
        for (String path : this.outerJoins) {
            key.append('|').append(path.length()).append(':').append(path);
        }
        return key.toString();
    }

    private static boolean shape(Q q, StringBuilder key) {
        key.append('(').append(q.kind.ordinal());
        if (q.kind == Q.Kind.LEAF) {
            key.append(q.path.length()).append(':').append(q.path).append('~').append(q.lookup).append('~');
            Object value = q.value;
            if (value == null) {
                key.append('N');
            } else if (value instanceof F) {
                return false;
            } else if (value instanceof Boolean bool) {
                key.append(bool);
            } else if (value instanceof Collection<?> collection) {
                for (Object element : collection) {
                    if (element instanceof F) {
                        return false;
                    }
                }
                key.append('C').append(collection.size());
            } else if (value instanceof Object[] array) {
                for (Object element : array) {
                    if (element instanceof F) {
                        return false;
                    }
                }
                key.append('C').append(array.length);
            } else if (value.getClass().isArray()) {
                key.append('C').append(Array.getLength(value));
            } else {
                key.append('V');
            }
        }
        for (Q child : q.children) {
            if (!shape(child, key)) {
                return false;
            }
        }
        key.append(')');
        return true;
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

    Sql countSql() {
        String key = shapeKey('C');
        Sql cached = cached(key);
        if (cached != null) {
            return cached;
        }
        QueryCompiler compiler = compiler();
        if (this.limit != null || this.offset > 0 || this.distinct) {
            Select inner = compiler.select(entityColumns(compiler), this.distinct, compiler.condition(this.filters),
                    List.of(), this.limit, this.offset, null);
            Select outer = StatementBuilder.select(Functions.count(Expressions.asterisk()))
                    .from(InlineQuery.create(inner, "counted")).build();
            return cache(key, new Sql(this.meta.mapping.renderer.render(outer), compiler.binds), compiler);
        }
        // no ORDER BY: a count has one row, and ordering by a column would need it grouped
        return cache(key, selectSql(compiler, List.of(Functions.count(Expressions.asterisk())), null, false),
                compiler);
    }

    /**
     * Whether any row matches: {@code SELECT EXISTS (SELECT 1 ... LIMIT 1)}, which stops at the first row.
     *
     * @return a cold {@link Mono} of true or false
     */
    public Mono<Boolean> exists() {
        return Mono.defer(() -> existsSql().query(readDatabase(), (row, metadata) -> row.get(0, Boolean.class)).next());
    }

    Sql existsSql() {
        String key = shapeKey('E');
        Sql cached = cached(key);
        if (cached != null) {
            return cached;
        }
        QueryCompiler compiler = compiler();
        Select inner = compiler.select(List.of(SQL.literalOf(1)), false, compiler.condition(this.filters), List.of(),
                1L, this.offset, null);
        Select outer = StatementBuilder.select(SimpleFunction.create("EXISTS", List.of(SubselectExpression.of(inner))))
                .from(this.meta.table).build();
        String text = this.meta.mapping.renderer.render(outer);
        // the SQL model needs a FROM; EXISTS needs none: drop it (the model renders "... FROM <table>")
        String fromClause = " FROM " + this.meta.tableName.toSql(QueryCompiler.IDENTIFIERS);
        return cache(key, new Sql(text.substring(0, text.length() - fromClause.length()), compiler.binds), compiler);
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
            Target target = plainField(compiler, field, "Field");
            Sql sql = selectSql(compiler, List.of(QueryCompiler.column(target)), this.limit);
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

    Sql valuesSql(String... fields) {
        if (fields.length == 0) {
            throw new IllegalArgumentException("values(...) needs at least one field name");
        }
        QueryCompiler compiler = compiler();
        Map<String, Expression> aggregates = aggregateExpressions(compiler, this.annotations);
        List<Expression> columns = new ArrayList<>();
        List<Column> groupBy = new ArrayList<>();
        for (int i = 0; i < fields.length; i++) {
            Expression aggregate = aggregates.get(fields[i]);
            if (aggregate != null) {
                columns.add(aggregate);
                continue;
            }
            Column column = QueryCompiler.column(plainField(compiler, fields[i], "Field"));
            groupBy.add(column);
            columns.add(column.as("v" + i));
        }
        Sql sql;
        if (this.annotations.isEmpty()) {
            sql = selectSql(compiler, columns, this.limit);
        } else {
            sql = groupedSql(compiler, columns, groupBy, aggregates);
        }
        return sql;
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
            Map<String, Expression> expressions = aggregateExpressions(compiler, List.of(aggregates));
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

    private QueryCompiler compiler() {
        return new QueryCompiler(this.meta, this.outerJoins);
    }

    private void requireNoAnnotations(String terminal) {
        if (!this.annotations.isEmpty()) {
            throw new IllegalArgumentException(terminal + " cannot return entities with annotate(...) aggregates:"
                    + " read them with values(...)");
        }
    }

    private List<Expression> entityColumns(QueryCompiler compiler) {
        List<Expression> columns = new ArrayList<>();
        for (FieldInfo field : this.meta.fieldList) {
            columns.add(Column.create(field.column, this.meta.table));
        }
        return columns;
    }

    private static String alias(JoinedRelation join, FieldInfo field) {
        return join.table().getReferenceName().toSql(QueryCompiler.IDENTIFIERS) + "_"
                + field.column.toSql(QueryCompiler.IDENTIFIERS);
    }

    private static EntityMetadata<?> ownerOf(QueryCompiler compiler, String path) {
        int last = path.lastIndexOf("__");
        return last < 0 ? compiler.root : compiler.joins.get(path.substring(0, last)).relation().target();
    }

    private Target plainField(QueryCompiler compiler, String path, String what) {
        if (path == null) {
            throw new IllegalArgumentException(what + " name must not be null");
        }
        Target target = compiler.resolve(path, what);
        if (!target.rest().isEmpty()) {
            throw new FieldLookupException(what + " of " + this.meta.name(), path, target.owner().validNames());
        }
        return target;
    }

    private Map<String, Expression> aggregateExpressions(QueryCompiler compiler, List<Aggregate> aggregates) {
        Map<String, Expression> expressions = new LinkedHashMap<>();
        for (Aggregate aggregate : aggregates) {
            Expression argument = aggregate.field == null ? Expressions.asterisk()
                    : QueryCompiler.column(plainField(compiler, aggregate.field, "Aggregated field"));
            if (expressions.put(aggregate.alias, SimpleFunction.create(aggregate.function, List.of(argument))
                    .as(aggregate.alias)) != null) {
                throw new IllegalArgumentException("Two aggregates are named \"" + aggregate.alias + "\": name them"
                        + " apart with as(...)");
            }
        }
        return expressions;
    }

    private Sql selectSql(QueryCompiler compiler, List<? extends Expression> columns, @Nullable Long limit) {
        return selectSql(compiler, columns, limit, true);
    }

    private Sql selectSql(QueryCompiler compiler, List<? extends Expression> columns, @Nullable Long limit,
            boolean ordered) {
        Condition where = compiler.condition(this.filters);
        List<OrderByField> order = ordered ? compiler.ordering(this.ordering, Map.of()) : List.of();
        LockMode lockMode = this.lock == Lock.NONE ? null : LockMode.PESSIMISTIC_WRITE;
        String text = this.meta.mapping.renderer.render(compiler.select(columns, this.distinct, where, order, limit,
                this.offset, lockMode));
        if (this.lock == Lock.NOWAIT) {
            text += " NOWAIT";
        } else if (this.lock == Lock.SKIP_LOCKED) {
            text += " SKIP LOCKED";
        }
        return new Sql(text, compiler.binds);
    }

    /**
     * A select with GROUP BY. The SQL model has no GROUP BY clause: the statement is rendered without ordering
     * and slicing, and GROUP BY, ORDER BY, LIMIT and OFFSET are appended from model columns (names from the
     * metadata) and numbers.
     */
    private Sql groupedSql(QueryCompiler compiler, List<Expression> columns, List<Column> groupBy,
            Map<String, Expression> aggregates) {
        if (this.lock != Lock.NONE) {
            throw new IllegalArgumentException("selectForUpdate cannot lock grouped rows");
        }
        Condition where = compiler.condition(this.filters);
        Map<String, Expression> aliases = new LinkedHashMap<>();
        for (String name : aggregates.keySet()) {
            aliases.put(name, Expressions.just(name));
        }
        List<OrderByField> order = compiler.ordering(this.ordering, aliases);
        StringBuilder text = new StringBuilder(this.meta.mapping.renderer.render(compiler.select(columns, this.distinct,
                where, List.of(), null, 0, null)));
        for (int i = 0; i < groupBy.size(); i++) {
            text.append(i == 0 ? " GROUP BY " : ", ").append(qualified(groupBy.get(i)));
        }
        for (int i = 0; i < order.size(); i++) {
            OrderByField field = order.get(i);
            Expression expression = field.getExpression();
            text.append(i == 0 ? " ORDER BY " : ", ")
                    .append(expression instanceof Column column ? qualified(column) : expression.toString())
                    .append(field.getDirection() != null && field.getDirection().isDescending() ? " DESC" : " ASC");
        }
        if (this.limit != null) {
            text.append(" LIMIT ").append(this.limit.longValue());
        }
        if (this.offset > 0) {
            text.append(" OFFSET ").append(this.offset);
        }
        return new Sql(text.toString(), compiler.binds);
    }

    private static String qualified(Column column) {
        return column.getTable().getReferenceName().toSql(QueryCompiler.IDENTIFIERS) + "."
                + column.getName().toSql(QueryCompiler.IDENTIFIERS);
    }

    /** Checked before the statement cache is asked: the cache key leaves these out. */
    private void requireWritable(String operation) {
        if (this.limit != null || this.offset > 0 || this.distinct) {
            throw new IllegalArgumentException("Cannot " + operation + " a sliced or distinct query set: filter it"
                    + " instead");
        }
        if (this.lock != Lock.NONE || !this.related.isEmpty() || !this.annotations.isEmpty()) {
            throw new IllegalArgumentException("Cannot " + operation + " a query set with selectForUpdate,"
                    + " selectRelated or annotate");
        }
    }

    private Condition writeCondition(QueryCompiler compiler, String operation) {
        requireWritable(operation);
        Condition where = compiler.condition(this.filters);
        if (compiler.joins.isEmpty()) {
            return where;
        }
        // conditions across relations: the rows are picked by id in a sub-select with the joins
        Column id = Column.create(this.meta.requireId().column, this.meta.table);
        Select ids = compiler.select(List.of(id), false, where, List.of(), null, 0, null);
        // rendered apart: the model's statement validator does not follow sub-selects to their own FROM
        return Conditions.in(id, new QueryCompiler.Raw(this.meta.mapping.renderer.render(ids)));
    }

    Sql updateSql(Map<String, ?> values, boolean returning) {
        if (values == null || values.isEmpty()) {
            throw new IllegalArgumentException("update(...) needs at least one field and value");
        }
        requireWritable("update");
        String key = updateKey(values, returning);
        Sql cached = cached(key, values);
        if (cached != null) {
            return cached;
        }
        QueryCompiler compiler = compiler();
        List<AssignValue> assignments = new ArrayList<>();
        List<Target> assigned = new ArrayList<>();
        for (Map.Entry<String, ?> entry : values.entrySet()) {
            Target target = plainField(compiler, entry.getKey(), "Updated field");
            if (target.table() != this.meta.table) {
                throw new IllegalArgumentException("update(...) sets fields of " + this.meta.name() + " only, not \""
                        + entry.getKey() + "\"");
            }
            Expression value = entry.getValue() == null ? compiler.bind(null, target.field().boundType)
                    : compiler.value(target, entry.getValue());
            assignments.add(AssignValue.create(Column.create(target.field().column, this.meta.table), value));
            assigned.add(target);
        }
        Condition where = writeCondition(compiler, "update");
        var update = StatementBuilder.update(this.meta.table).set(assignments);
        String text = this.meta.mapping.renderer.render(where == null ? update.build() : update.where(where).build());
        return cache(key, new Sql(returning ? text + Inserts.returning(this.meta) : text, compiler.binds), compiler,
                List.copyOf(assigned));
    }

    /** The shape of an update: the filters' and the assigned fields in order; null (not cached) for an F. */
    private @Nullable String updateKey(Map<String, ?> values, boolean returning) {
        String filters = shapeKey(returning ? 'R' : 'U');
        if (filters == null) {
            return null;
        }
        StringBuilder key = new StringBuilder(filters);
        for (Map.Entry<String, ?> entry : values.entrySet()) {
            if (entry.getKey() == null || entry.getValue() instanceof F) {
                return null;
            }
            key.append('|').append(entry.getKey().length()).append(':').append(entry.getKey());
        }
        return key.toString();
    }

    Sql deleteSql(boolean returning) {
        requireWritable("delete");
        String key = shapeKey(returning ? 'X' : 'D');
        Sql cached = cached(key);
        if (cached != null) {
            return cached;
        }
        QueryCompiler compiler = compiler();
        Condition where = writeCondition(compiler, "delete");
        var delete = StatementBuilder.delete(this.meta.table);
        String text = this.meta.mapping.renderer.render(where == null ? delete.build() : delete.where(where).build());
        return cache(key, new Sql(returning ? text + Inserts.returning(this.meta) : text, compiler.binds), compiler);
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
            if (row.get(alias(join, target.requireId()), Object.class) != null) {
                RowDocument document = new RowDocument();
                for (FieldInfo field : target.fieldList) {
                    document.put(field.column.getReference(), row.get(alias(join, field)));
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
