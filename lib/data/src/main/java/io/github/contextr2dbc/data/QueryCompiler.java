package io.github.contextr2dbc.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.github.contextr2dbc.data.EntityMetadata.FieldInfo;
import io.github.contextr2dbc.data.EntityMetadata.Relation;
import org.jspecify.annotations.Nullable;
import org.springframework.data.r2dbc.dialect.PostgresDialect;
import org.springframework.data.relational.core.sql.BindMarker;
import org.springframework.data.relational.core.sql.Column;
import org.springframework.data.relational.core.sql.Condition;
import org.springframework.data.relational.core.sql.Expression;
import org.springframework.data.relational.core.sql.IdentifierProcessing;
import org.springframework.data.relational.core.sql.Join;
import org.springframework.data.relational.core.sql.LockMode;
import org.springframework.data.relational.core.sql.Named;
import org.springframework.data.relational.core.sql.OrderByField;
import org.springframework.data.relational.core.sql.SQL;
import org.springframework.data.relational.core.sql.Select;
import org.springframework.data.relational.core.sql.SelectBuilder;
import org.springframework.data.relational.core.sql.StatementBuilder;
import org.springframework.data.relational.core.sql.Table;
import org.springframework.data.relational.core.sql.Visitor;

/**
 * Builds one statement of a query set with Spring Data Relational's SQL model: resolves lookup paths against
 * the entity metadata (joining relations as it goes), turns each condition into a model {@link Condition}
 * with a {@code $n} bind marker per value, and collects the bound values in marker order. Not thread-safe:
 * one compiler per statement.
 */
final class QueryCompiler {

    static final IdentifierProcessing IDENTIFIERS = PostgresDialect.INSTANCE.getIdentifierProcessing();

    /** {@code $1} to {@code $64}, shared (markers are immutable). */
    private static final Expression[] MARKERS = new Expression[64];

    static {
        for (int i = 0; i < MARKERS.length; i++) {
            MARKERS[i] = SQL.bindMarker("$" + (i + 1));
        }
    }

    /** One joined relation. */
    record JoinedRelation(String path, Relation relation, Table parent, Table table, boolean outer) {
    }

    /** A resolved path: the field, the table (or join alias) it is read from, and what follows it. */
    record Target(Table table, EntityMetadata<?> owner, FieldInfo field, List<String> rest, String path) {
    }

    final EntityMetadata<?> root;

    private final Set<String> outerJoins;

    final Map<String, JoinedRelation> joins = new LinkedHashMap<>();

    final List<Sql.Bind> binds = new ArrayList<>();

    /** How each leaf condition binds its value, in the order the leaves were compiled (depth first). */
    final List<LeafPlan> plans = new ArrayList<>();

    /** A compiled leaf condition: enough to bind another value of the same shape without building SQL. */
    record LeafPlan(Target target, Lookup lookup, boolean datePart) {
    }

    QueryCompiler(EntityMetadata<?> root, Set<String> outerJoins) {
        this.root = root;
        this.outerJoins = outerJoins;
    }

    // ---- paths ----

    Target resolve(String path, String what) {
        String[] segments = segments(path);
        EntityMetadata<?> meta = this.root;
        Table table = this.root.table;
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < segments.length; i++) {
            String segment = segments[i];
            FieldInfo field = meta.fields.get(segment);
            Relation relation = meta.relations.get(segment);
            if (relation != null && i + 1 < segments.length && names(relation.target(), segments[i + 1])) {
                prefix.append(segment);
                table = join(prefix.toString(), relation, table);
                prefix.append("__");
                meta = relation.target();
                continue;
            }
            if (relation != null && i + 1 < segments.length && Lookup.byName(segments[i + 1]) == null) {
                List<String> valid = new ArrayList<>();
                for (String name : relation.target().validNames()) {
                    valid.add(prefix + segment + "__" + name);
                }
                throw new FieldLookupException(what + " of " + this.root.name(), prefix + segment + "__"
                        + segments[i + 1], valid);
            }
            if (field == null && relation != null) {
                field = relation.foreignKey;
            }
            if (field == null) {
                List<String> valid = new ArrayList<>();
                for (String name : meta.validNames()) {
                    valid.add(prefix + name);
                }
                throw new FieldLookupException(what + " of " + this.root.name(), prefix + segment, valid);
            }
            List<String> rest = List.of(segments).subList(i + 1, segments.length);
            return new Target(table, meta, field, rest, prefix + segment);
        }
        throw new FieldLookupException(what + " of " + this.root.name(), path, this.root.validNames());
    }

    /** {@code path} split at each {@code "__"} (without the regular expression of {@code String.split}). */
    static String[] segments(String path) {
        int at = path.indexOf("__");
        if (at < 0) {
            return new String[] {path};
        }
        List<String> parts = new ArrayList<>(4);
        int start = 0;
        while (at >= 0) {
            parts.add(path.substring(start, at));
            start = at + 2;
            at = path.indexOf("__", start);
        }
        parts.add(path.substring(start));
        return parts.toArray(String[]::new);
    }

    private static boolean names(EntityMetadata<?> meta, String segment) {
        return meta.fields.containsKey(segment) || meta.relations.containsKey(segment);
    }

    Table join(String path, Relation relation, Table parent) {
        JoinedRelation known = this.joins.get(path);
        if (known != null) {
            return known.table();
        }
        Table table = Table.create(relation.target().tableName).as("j" + (this.joins.size() + 1));
        this.joins.put(path, new JoinedRelation(path, relation, parent, table, this.outerJoins.contains(path)));
        return table;
    }

    /** Joins the relation at {@code path} (for eager loading) and returns it. */
    JoinedRelation joinPath(String path) {
        String[] segments = segments(path);
        EntityMetadata<?> meta = this.root;
        Table table = this.root.table;
        StringBuilder prefix = new StringBuilder();
        for (String segment : segments) {
            Relation relation = meta.relations.get(segment);
            if (relation == null) {
                List<String> valid = new ArrayList<>();
                for (String name : meta.relations.keySet()) {
                    valid.add(prefix + name);
                }
                throw new FieldLookupException("Relation of " + this.root.name(), prefix + segment, valid);
            }
            prefix.append(segment);
            table = join(prefix.toString(), relation, table);
            prefix.append("__");
            meta = relation.target();
        }
        return this.joins.get(path);
    }

    static Column column(Target target) {
        return Column.create(target.field().column, target.table());
    }

    // ---- values ----

    Expression bind(@Nullable Object value, Class<?> type) {
        this.binds.add(new Sql.Bind(value, type));
        int number = this.binds.size();
        return number <= MARKERS.length ? MARKERS[number - 1] : SQL.bindMarker("$" + number);
    }

    /** A value compared with (or assigned to) {@code target}: a bound parameter, or a column for an {@link F}. */
    Expression value(Target target, Object value) {
        if (value instanceof F f) {
            return expression(f);
        }
        Object converted = target.owner().convert(target.field(), value);
        return bind(converted, converted.getClass());
    }

    /** The SQL expression of {@code f}: its column and arithmetic steps, operands bound. */
    Expression expression(F f) {
        Target target = resolve(f.field, "F field");
        if (!target.rest().isEmpty()) {
            throw new FieldLookupException("F field of " + this.root.name(), f.field, this.root.validNames());
        }
        Column column = column(target);
        if (f.steps.isEmpty()) {
            return column;
        }
        StringBuilder text = new StringBuilder(sql(column));
        for (F.Step step : f.steps) {
            Expression operand = step.operand() instanceof F other ? expression(other) : bind(step.operand(),
                    step.operand().getClass());
            text.insert(0, '(').append(' ').append(step.operator()).append(' ').append(sql(operand)).append(')');
        }
        return new Raw(text.toString());
    }

    private static String sql(Expression expression) {
        if (expression instanceof Column column) {
            return column.getTable().getReferenceName().toSql(IDENTIFIERS) + "." + column.getName().toSql(IDENTIFIERS);
        }
        if (expression instanceof BindMarker && expression instanceof Named marker) {
            return marker.getName().getReference();
        }
        return expression.toString();
    }

    /**
     * An expression already rendered from model parts (qualified column names from the metadata, bind markers,
     * operators of {@link F}); the SQL model has no arithmetic, and renders an expression it does not know by
     * its {@code toString()}.
     */
    static final class Raw implements Expression {

        private final String text;

        Raw(String text) {
            this.text = text;
        }

        @Override
        public void visit(Visitor visitor) {
            visitor.enter(this);
            visitor.leave(this);
        }

        @Override
        public String toString() {
            return this.text;
        }
    }

    // ---- conditions ----

    @Nullable Condition condition(List<Q> filters) {
        return ConditionCompiler.condition(this, filters);
    }

    /**
     * Binds the values of {@code filters} as compiling them would, with the plans of an earlier compilation of
     * the same shape (see {@link ConditionCompiler#bindValues}).
     */
    void bindValues(List<Q> filters, List<LeafPlan> plans) {
        ConditionCompiler.bindValues(this, filters, plans);
    }
    // ---- ordering and select ----

    List<OrderByField> ordering(List<String> ordering, Map<String, Expression> aliases) {
        List<OrderByField> fields = new ArrayList<>();
        for (String item : ordering) {
            boolean descending = item.startsWith("-");
            String path = descending ? item.substring(1) : item;
            Expression expression = aliases.get(path);
            if (expression == null) {
                Target target = resolve(path, "Ordering field");
                if (!target.rest().isEmpty()) {
                    throw new FieldLookupException("Ordering field of " + this.root.name(), path,
                            target.owner().validNames());
                }
                expression = column(target);
            }
            OrderByField field = OrderByField.from(expression);
            fields.add(descending ? field.desc() : field.asc());
        }
        return fields;
    }

    /** A select with this compiler's joins over the root table. */
    Select select(List<? extends Expression> columns, boolean distinct, @Nullable Condition where,
            List<OrderByField> order, @Nullable Long limit, long offset, @Nullable LockMode lock) {
        SelectBuilder.SelectAndFrom start = StatementBuilder.select(columns);
        if (distinct) {
            start = start.distinct();
        }
        SelectBuilder.SelectFromAndJoin from = start.from(this.root.table);
        Object builder = from;
        for (JoinedRelation join : this.joins.values()) {
            Relation relation = join.relation();
            builder = ((SelectBuilder.SelectJoin) builder)
                    .join(join.table(), join.outer() ? Join.JoinType.LEFT_OUTER_JOIN : Join.JoinType.JOIN)
                    .on(Column.create(relation.target().requireId().column, join.table()))
                    .equals(Column.create(relation.foreignKey.column, join.parent()));
        }
        if (limit != null && offset > 0) {
            builder = ((SelectBuilder.SelectLimitOffset) builder).limitOffset(limit, offset);
        } else if (limit != null) {
            builder = ((SelectBuilder.SelectLimitOffset) builder).limit(limit);
        } else if (offset > 0) {
            builder = ((SelectBuilder.SelectLimitOffset) builder).offset(offset);
        }
        if (where != null) {
            builder = ((SelectBuilder.SelectWhere) builder).where(where);
        }
        if (!order.isEmpty()) {
            builder = ((SelectBuilder.SelectOrdered) builder).orderBy(order);
        }
        if (lock != null) {
            builder = ((SelectBuilder.SelectLock) builder).lock(lock);
        }
        return ((SelectBuilder.BuildSelect) builder).build();
    }
}
